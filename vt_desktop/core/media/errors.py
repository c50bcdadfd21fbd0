"""Why a file cannot be used as the source of a translation job.

Every refusal is an :class:`IntakeError` whose ``kind`` is a stable, machine-readable word (for
the job store, the CLI's exit codes and UI icons) and whose message names the file in plain
words (for the user)::

    IntakeError                      a media file cannot be used (never raised itself; a VtError)
    ├── MediaNotFoundError           the path does not exist (or is a dangling symlink)
    ├── IsADirectoryMediaError       the path is a directory
    ├── NotARegularFileError         the path is a device, FIFO or socket
    ├── UnreadableMediaError         this process is not allowed to read the file
    ├── SymlinkLoopError             the path's symbolic links point at each other
    ├── EmptyMediaError              the file has zero bytes
    ├── MediaTooLargeError           the file is over the size limit
    ├── NotMediaError                the bytes are not an audio or video container
    ├── CorruptMediaError            a media container that is damaged or cut short
    ├── NoAudioStreamError           the container carries no audio stream
    ├── NoSuchAudioStreamError       a stream index that names no audio stream
    ├── ZeroDurationError            the audio lasts no time at all
    └── AudioUndecodableError        the audio stream's data cannot be decoded
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from vt_desktop.core.errors import VtError

__all__ = [
    "AudioUndecodableError",
    "CorruptMediaError",
    "EmptyMediaError",
    "IntakeError",
    "IsADirectoryMediaError",
    "MediaNotFoundError",
    "MediaTooLargeError",
    "NoAudioStreamError",
    "NoSuchAudioStreamError",
    "NotARegularFileError",
    "NotMediaError",
    "SymlinkLoopError",
    "UnreadableMediaError",
    "ZeroDurationError",
]


class IntakeError(VtError):
    """A media file cannot be used; the message says why in words a user understands.

    Attributes:
        kind: Stable identifier of the reason, the same for every instance of a class.
        path: The file that was refused.
    """

    kind: ClassVar[str] = "intake"

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(f"Cannot use “{path}”: {reason}")


class MediaNotFoundError(IntakeError):
    """Raised when the path does not exist (or is a symbolic link to nothing)."""

    kind: ClassVar[str] = "not_found"


class IsADirectoryMediaError(IntakeError):
    """Raised when the path is a directory rather than a file."""

    kind: ClassVar[str] = "is_directory"


class NotARegularFileError(IntakeError):
    """Raised when the path is a device, FIFO or socket, which cannot be read as a file."""

    kind: ClassVar[str] = "not_a_file"


class UnreadableMediaError(IntakeError):
    """Raised when the operating system does not let this process read the file."""

    kind: ClassVar[str] = "unreadable"


class SymlinkLoopError(IntakeError):
    """Raised when resolving the path's symbolic links goes round in a circle."""

    kind: ClassVar[str] = "symlink_loop"


class EmptyMediaError(IntakeError):
    """Raised when the file has zero bytes."""

    kind: ClassVar[str] = "empty"


class MediaTooLargeError(IntakeError):
    """Raised when the file is bigger than the configured size limit."""

    kind: ClassVar[str] = "too_large"


class NotMediaError(IntakeError):
    """Raised when the bytes are not any audio or video format (e.g. text renamed .mp4)."""

    kind: ClassVar[str] = "not_media"


class CorruptMediaError(IntakeError):
    """Raised when a media container is damaged or cut short (e.g. an interrupted copy)."""

    kind: ClassVar[str] = "corrupt"


class NoAudioStreamError(IntakeError):
    """Raised when the container has no audio stream, so there is no speech to translate."""

    kind: ClassVar[str] = "no_audio"


class NoSuchAudioStreamError(IntakeError):
    """Raised when a caller names a stream index that is not an audio stream of the file."""

    kind: ClassVar[str] = "no_such_stream"


class ZeroDurationError(IntakeError):
    """Raised when the audio holds no samples or the file says it lasts no time."""

    kind: ClassVar[str] = "zero_duration"


class AudioUndecodableError(IntakeError):
    """Raised when an audio stream exists but its data cannot be decoded (damage, DRM)."""

    kind: ClassVar[str] = "audio_undecodable"
