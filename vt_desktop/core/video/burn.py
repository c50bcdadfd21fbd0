"""Burn subtitles into the picture with ffmpeg's libass ``subtitles`` filter.

PyAV has no ``subtitles`` filter, so this runs the ffmpeg binary that ``imageio-ffmpeg`` ships
(built with libass). The video is re-encoded as H.264; audio is copied untouched. Progress is
read from ``-progress pipe:1``; cancelling the awaiting task kills ffmpeg and removes the
partial output.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import re
from collections.abc import Callable
from pathlib import Path

import av
import imageio_ffmpeg

from vt_desktop.core.errors import VtError
from vt_desktop.core.subtitles.atomic import atomic_output

__all__ = ["BurnError", "burn_subtitles", "subtitles_filter"]

log = logging.getLogger(__name__)

_OUTPUT_SUFFIXES = (".mp4", ".mkv", ".mov", ".m4v")
_STDERR_LINES_KEPT = 30
_MICROSECONDS = 1_000_000

ProgressCallback = Callable[[float], None]


class BurnError(VtError):
    """Raised when ffmpeg cannot burn the subtitles in; the message holds ffmpeg's own words."""


def _escape_filter_value(value: str) -> str:
    """Escape a value for a filter option, then for the filtergraph around it.

    ffmpeg parses a ``-vf`` argument twice: the filtergraph parser treats ``\\ ' [ ] , ;``
    as special, then the filter's option parser treats ``\\ ' :``. Each level gets its own
    backslash escapes, innermost first.
    """
    option_level = re.sub(r"([\\':])", r"\\\1", value)
    return re.sub(r"([\\'\[\],;])", r"\\\1", option_level)


def subtitles_filter(subtitle_file: Path, fonts_dir: Path | None = None) -> str:
    """The ``-vf`` argument that draws ``subtitle_file``, safe for any file name.

    Args:
        subtitle_file: An .ass (or .srt) file; colons, quotes, backslashes, brackets, commas
            and non-ASCII letters in its path are all escaped.
        fonts_dir: An extra folder of fonts for libass.

    Returns:
        The filter description, e.g. ``subtitles=filename=/tmp/a\\\\\\:b.ass``.
    """
    description = "subtitles=filename=" + _escape_filter_value(Path(subtitle_file).as_posix())
    if fonts_dir is not None:
        description += ":fontsdir=" + _escape_filter_value(Path(fonts_dir).as_posix())
    return description


def _probe(video: Path) -> tuple[float | None, bool]:
    """The video's duration in seconds (None when unknown) and whether it has audio."""
    try:
        with av.open(str(video)) as container:
            if not container.streams.video:
                raise BurnError(f"{video.name} has no video stream to burn subtitles into")
            duration = container.duration / av.time_base if container.duration else None
            return duration, bool(container.streams.audio)
    except av.error.FFmpegError as error:
        raise BurnError(f"cannot read {video.name}: {error}") from error


def _command(
    ffmpeg: str, video: Path, subtitle_file: Path, output: Path, *, has_audio: bool, crf: int
) -> list[str]:
    command = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y"]
    command += ["-i", str(video), "-map", "0:v:0"]
    if has_audio:
        command += ["-map", "0:a", "-c:a", "copy"]
    command += ["-vf", subtitles_filter(subtitle_file)]
    command += ["-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-pix_fmt", "yuv420p"]
    command += ["-progress", "pipe:1", str(output)]
    return command


async def _read_progress(
    stream: asyncio.StreamReader, duration: float | None, progress: ProgressCallback | None
) -> None:
    """Turn ffmpeg's ``key=value`` progress blocks into fractions for the callback."""
    async for raw in stream:
        key, _, value = raw.decode("utf-8", "replace").strip().partition("=")
        if progress is None:
            continue
        if key == "out_time_us" and duration and value.lstrip("-").isdigit():
            progress(min(max(int(value) / _MICROSECONDS / duration, 0.0), 1.0))
        elif key == "progress" and value == "end":
            progress(1.0)


async def _read_errors(stream: asyncio.StreamReader, kept: collections.deque[str]) -> None:
    async for raw in stream:
        line = raw.decode("utf-8", "replace").rstrip()
        if line:
            kept.append(line)


async def _run_ffmpeg(
    command: list[str], duration: float | None, progress: ProgressCallback | None
) -> None:
    """Run ffmpeg to completion; kill it if the awaiting task is cancelled."""
    process = await asyncio.create_subprocess_exec(
        *command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    if process.stdout is None or process.stderr is None:
        raise BurnError("ffmpeg started without its output pipes")
    errors: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES_KEPT)
    try:
        await asyncio.gather(
            _read_progress(process.stdout, duration, progress),
            _read_errors(process.stderr, errors),
        )
        code = await process.wait()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await asyncio.shield(process.wait())
        log.info("burn-in cancelled; ffmpeg (pid %d) killed", process.pid)
        raise
    if code != 0:
        detail = "\n".join(errors) or "no error text"
        raise BurnError(f"ffmpeg could not burn the subtitles in (exit code {code}):\n{detail}")


def _check_paths(video: Path, subtitle_file: Path, out: Path) -> None:
    if not video.is_file():
        raise FileNotFoundError(f"video {video} does not exist")
    if not subtitle_file.is_file():
        raise FileNotFoundError(f"subtitle file {subtitle_file} does not exist")
    if out.suffix.lower() not in _OUTPUT_SUFFIXES:
        raise ValueError(f"cannot write {out.name}: use one of {', '.join(_OUTPUT_SUFFIXES)}")
    if out.exists() and out.resolve() == video.resolve():
        raise ValueError(f"refusing to overwrite the source video {video}")


async def burn_subtitles(
    video: Path,
    ass_file: Path,
    out: Path,
    *,
    progress: ProgressCallback | None = None,
    crf: int = 20,
    ffmpeg: str | None = None,
) -> Path:
    """Write a copy of ``video`` with the subtitles drawn into the picture.

    Cancel the awaiting task to stop: ffmpeg is killed and no partial file is left.

    Args:
        video: The source video; never modified.
        ass_file: The styled subtitles (.ass; .srt works with libass's default style).
        out: The output (.mp4, .mkv, .mov or .m4v); H.264 video, the source's audio copied.
        progress: Called with the fraction done, 0..1, as ffmpeg reports it.
        crf: x264 quality (lower is better and bigger; 18-23 is visually good).
        ffmpeg: The ffmpeg binary; by default the one imageio-ffmpeg ships.

    Returns:
        ``out``.

    Raises:
        FileNotFoundError: The video or subtitle file does not exist.
        ValueError: Unsupported output suffix, or ``out`` is the source.
        BurnError: The video cannot be read or ffmpeg fails (its error text included).
    """
    video, ass_file, out = Path(video), Path(ass_file), Path(out)
    _check_paths(video, ass_file, out)
    if not 0 <= crf <= 51:
        raise ValueError(f"crf must be between 0 and 51, got {crf}")
    duration, has_audio = _probe(video)
    executable = ffmpeg or imageio_ffmpeg.get_ffmpeg_exe()
    with atomic_output(out) as temporary:
        command = _command(
            executable, video, ass_file.resolve(), temporary, has_audio=has_audio, crf=crf
        )
        log.info("burning %s into %s", ass_file.name, out)
        await _run_ffmpeg(command, duration, progress)
    return out
