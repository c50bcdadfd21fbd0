"""Atomic file output: a file appears complete at its final path, or not at all.

Subtitle files and videos are written to a temporary file in the destination directory (so
the final rename never crosses file systems), flushed to disk, and renamed over the target.
If anything fails on the way, the temporary file is removed and an existing target is left
as it was.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_output", "write_text_atomic"]

log = logging.getLogger(__name__)


def _fsync_path(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _fsync_directory(directory: Path) -> None:
    """Persist a rename; not possible (nor needed) on Windows."""
    if os.name == "nt":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def atomic_output(target: Path) -> Iterator[Path]:
    """Give a temporary path to write; on success it replaces ``target`` atomically.

    The temporary file keeps ``target``'s suffix, so tools that choose a format by suffix
    (muxers, ffmpeg) write the right one.

    Args:
        target: The final path. Its directory must exist.

    Yields:
        The temporary path to write to (it exists, empty).

    Raises:
        FileNotFoundError: The target's directory does not exist.
        IsADirectoryError: The target is a directory.
    """
    target = Path(target)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write {target}: folder {directory} does not exist")
    if target.is_dir():
        raise IsADirectoryError(f"cannot write {target}: it is a folder")
    descriptor, name = tempfile.mkstemp(
        prefix=f".{target.stem[:40]}.", suffix=f".partial{target.suffix}", dir=directory
    )
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        _fsync_path(temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _fsync_directory(directory)
    log.debug("wrote %s", target)


def write_text_atomic(target: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write text to ``target`` atomically (see :func:`atomic_output`).

    Returns:
        The target path.
    """
    with atomic_output(target) as temporary:
        temporary.write_text(text, encoding=encoding, newline="")
    return Path(target)
