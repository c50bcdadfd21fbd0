"""Open a media file with PyAV and turn every way that can fail into an :class:`IntakeError`."""

from __future__ import annotations

import errno
import io
import os
import stat
from pathlib import Path

import av
import av.container

from vt_desktop.core.media.errors import (
    AudioUndecodableError,
    CorruptMediaError,
    IsADirectoryMediaError,
    MediaNotFoundError,
    NoSuchAudioStreamError,
    NotARegularFileError,
    NotMediaError,
    SymlinkLoopError,
    UnreadableMediaError,
)

__all__ = [
    "audio_stream_of",
    "check_regular_file",
    "looks_like_media",
    "open_input",
    "open_input_bytes",
    "read_head",
]

_HEAD_BYTES = 512

# Leading bytes of the containers and elementary streams FFmpeg reads; used only to tell
# "damaged media" from "not media at all" once FFmpeg has refused a file.
_MAGIC_AT_START = (
    b"\x1a\x45\xdf\xa3",  # Matroska / WebM
    b"RIFF",  # WAV, AVI
    b"RF64",  # large WAV
    b"OggS",  # Ogg (Vorbis, Opus, FLAC, Theora)
    b"fLaC",  # FLAC
    b"ID3",  # MP3 with a tag
    b"FORM",  # AIFF
    b"caff",  # Core Audio
    b"FLV",  # Flash video
    b"\x30\x26\xb2\x75\x8e\x66\xcf\x11",  # ASF (WMV, WMA)
    b"\x00\x00\x01\xba",  # MPEG program stream
    b"#!AMR",  # AMR
    b"MAC ",  # Monkey's Audio
    b"wvpk",  # WavPack
    b".RMF",  # RealMedia
)
_QUICKTIME_ATOMS = (b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot")
_MPEG_TS_PACKET = 188


def looks_like_media(head: bytes) -> bool:
    """Whether the first bytes of a file carry the signature of a known media format.

    Args:
        head: The first few hundred bytes of the file.

    Returns:
        True for a recognised container or audio elementary stream signature.
    """
    if head.startswith(_MAGIC_AT_START):
        return True
    if head[4:8] in _QUICKTIME_ATOMS:
        return True
    if len(head) > _MPEG_TS_PACKET and head[0] == head[_MPEG_TS_PACKET] == 0x47:
        return True  # MPEG transport stream: a sync byte every 188 bytes
    # MPEG audio (MP3) and ADTS AAC frames start with an 11/12-bit sync word.
    return len(head) >= 2 and head[0] == 0xFF and (head[1] & 0xE0) == 0xE0


def check_regular_file(path: Path) -> os.stat_result:
    """Stat ``path`` and refuse anything that is not an existing regular file.

    Raises:
        MediaNotFoundError: The path (or its symlink target) does not exist.
        SymlinkLoopError: Its symbolic links form a loop.
        UnreadableMediaError: A parent directory may not be searched.
        IsADirectoryMediaError: It is a directory.
        NotARegularFileError: It is a device, FIFO or socket.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if path.is_symlink():
            raise MediaNotFoundError(path, "it is a link to a file that does not exist.") from None
        raise MediaNotFoundError(path, "the file does not exist.") from None
    except PermissionError:
        raise UnreadableMediaError(
            path, "you do not have permission to open the folder that holds it."
        ) from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SymlinkLoopError(
                path, "its symbolic links point at each other in a loop, so no file is there."
            ) from None
        raise UnreadableMediaError(
            path, f"the system could not look at it ({exc.strerror})."
        ) from None
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryMediaError(path, "it is a folder, not a video or audio file.")
    if not stat.S_ISREG(info.st_mode):
        raise NotARegularFileError(path, "it is a device, pipe or socket, not a regular file.")
    return info


def read_head(path: Path) -> bytes:
    """Read the first bytes of ``path``, refusing a file this process may not read.

    Both the permission bits (``os.access``) and the actual ``open`` are checked: root passes
    the first for every file, while ACLs, mandatory access control and network file systems
    can still fail the second.

    Raises:
        UnreadableMediaError: The file may not be read.
        MediaNotFoundError: The file vanished since it was looked at.
    """
    denied = UnreadableMediaError(path, "you do not have permission to read this file.")
    if not os.access(path, os.R_OK):
        raise denied
    try:
        with path.open("rb") as source:
            return source.read(_HEAD_BYTES)
    except PermissionError:
        raise denied from None
    except FileNotFoundError:
        raise MediaNotFoundError(path, "the file disappeared while it was being opened.") from None
    except OSError as exc:
        raise UnreadableMediaError(path, f"reading it failed ({exc.strerror}).") from None


def open_input(path: Path) -> av.container.InputContainer:
    """Open ``path`` for reading with PyAV (never for writing).

    Raises:
        IntakeError: A subclass saying why the file cannot be opened as media.
    """
    try:
        return av.open(str(path.absolute()), mode="r", metadata_errors="replace")
    except av.error.FFmpegError as exc:
        raise _refusal_for_open_error(path, exc) from None


def open_input_bytes(data: bytes, label: Path) -> av.container.InputContainer:
    """Open an in-memory media file (an encoded segment) with PyAV.

    Args:
        data: The file's bytes.
        label: What to call it in error messages.

    Raises:
        NotMediaError: The bytes are not a media file FFmpeg can read.
    """
    try:
        return av.open(io.BytesIO(data), mode="r")
    except av.error.FFmpegError as exc:
        raise NotMediaError(
            label, f"the bytes are not a readable audio file ({exc.strerror})."
        ) from None


def _refusal_for_open_error(path: Path, exc: av.error.FFmpegError) -> Exception:
    if isinstance(exc, FileNotFoundError):
        return MediaNotFoundError(path, "the file does not exist.")
    if isinstance(exc, PermissionError):
        return UnreadableMediaError(path, "you do not have permission to read this file.")
    try:
        head = read_head(path)
    except (UnreadableMediaError, MediaNotFoundError) as refusal:
        return refusal
    if looks_like_media(head):
        return CorruptMediaError(
            path,
            "it looks like a media file but is damaged or incomplete "
            f"(FFmpeg says: {exc.strerror}). Was the copy or download interrupted?",
        )
    return NotMediaError(path, "it is not a video or audio file that this app can read.")


def audio_stream_of(
    container: av.container.InputContainer, index: int, path: Path
) -> av.audio.stream.AudioStream:
    """Return the container's stream number ``index``, which must carry audio.

    Raises:
        NoSuchAudioStreamError: No stream has that index, or it is not audio.
        AudioUndecodableError: The stream's codec has no decoder here.
    """
    audio = {stream.index: stream for stream in container.streams.audio}
    stream = audio.get(index)
    if stream is None:
        have = ", ".join(f"#{i}" for i in audio) or "none"
        raise NoSuchAudioStreamError(
            path, f"it has no audio stream #{index} (its audio streams: {have})."
        )
    if stream.codec_context is None:
        raise AudioUndecodableError(
            path, f"audio stream #{index} uses a codec this app cannot decode."
        )
    return stream
