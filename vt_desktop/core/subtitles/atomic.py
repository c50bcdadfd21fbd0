"""Atomic file output: a file appears complete at its final path, or not at all.

Subtitle files and videos are written to a temporary file in the destination directory (so
the final rename never crosses file systems), flushed to disk, and renamed over the target.
If anything fails on the way, the temporary file is removed and an existing target is left
as it was.
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import re
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


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Read once at import: os.umask() can only be read by setting it, which races with threads.
_UMASK = _read_umask()


def _remove_stale_partials(directory: Path, prefix: str, suffix: str) -> None:
    """Remove temporary files of this same target that a killed writer (SIGKILL, power
    loss) could not remove; names of other targets never match (mkstemp's 8 characters)."""
    pattern = re.compile(re.escape(prefix) + r"[a-z0-9_]{8}" + re.escape(suffix))
    for stale in directory.glob(f"{glob.escape(prefix)}*{glob.escape(suffix)}"):
        if pattern.fullmatch(stale.name):
            with contextlib.suppress(OSError):
                stale.unlink()
                log.info("removed %s, left by an interrupted write", stale)


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
    prefix, suffix = f".{target.stem[:40]}.", f".partial{target.suffix}"
    _remove_stale_partials(directory, prefix, suffix)
    descriptor, name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=directory)
    # mkstemp makes the file 0600; the output must get the usual permissions (umask)
    os.fchmod(descriptor, 0o666 & ~_UMASK)
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
