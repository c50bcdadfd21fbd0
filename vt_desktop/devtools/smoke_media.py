"""Media for the ``--smoke`` check: the clip it translates and the checks on what it wrote.

The clip is made at run time from the short speech sample in ``resources/samples`` (the
frozen app carries no test media): a small H.264 picture with the sample as AAC audio, so
the check goes through the same intake, audio and remux paths as a user's video. Opening the
result with QtMultimedia proves its FFmpeg backend loads in this build.
"""

from __future__ import annotations

import asyncio
import contextlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pysubs2
from PySide6.QtCore import QUrl
from PySide6.QtMultimedia import QMediaPlayer

from vt_desktop.core.errors import VtError

CLIP_SIZE = (160, 96)
CLIP_FPS = 10
CLIP_RATE = 48000
AAC_FRAME = 1024
PLAYBACK_TIMEOUT = 20.0


class SmokeError(VtError, RuntimeError):
    """Raised when a step of the smoke check fails; the message says which and why."""


def _decode_mono(path: Path, rate: int) -> np.ndarray:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    chunks: list[np.ndarray] = []
    with av.open(str(path)) as src:
        for frame in src.decode(audio=0):
            chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(frame))
    chunks.extend(f.to_ndarray().reshape(-1) for f in resampler.resample(None))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def make_clip(audio: Path, out: Path) -> Path:
    """Write ``out`` (MKV): a plain moving picture with ``audio`` as its sound track.

    Raises:
        SmokeError: the sample is missing or cannot be decoded or encoded.
    """
    if not audio.is_file():
        raise SmokeError(f"the speech sample is missing from this install: {audio}")
    try:
        samples = _decode_mono(audio, CLIP_RATE)
        out.parent.mkdir(parents=True, exist_ok=True)
        with av.open(str(out), "w") as dst:
            picture = dst.add_stream("libx264", rate=CLIP_FPS)
            sound = dst.add_stream("aac", rate=CLIP_RATE, layout="mono")
            _write_picture(dst, picture, len(samples) / CLIP_RATE)
            _write_sound(dst, sound, samples)
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise SmokeError(f"could not make the smoke clip from {audio.name}: {exc}") from None
    return out


def _write_picture(
    dst: av.container.OutputContainer, stream: av.VideoStream, seconds: float
) -> None:
    w, h = CLIP_SIZE
    stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
    stream.options = {"preset": "ultrafast"}
    ramp = np.linspace(0, 255, w, dtype=np.float32)
    for i in range(round(seconds * CLIP_FPS)):
        img = np.empty((h, w, 3), dtype=np.uint8)
        img[..., 0] = (ramp + i * 7) % 256
        img[..., 1] = 96
        img[..., 2] = 255 - ramp.astype(np.uint8)
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts, frame.time_base = i, Fraction(1, CLIP_FPS)
        dst.mux(stream.encode(frame))
    dst.mux(stream.encode(None))


def _write_sound(
    dst: av.container.OutputContainer, stream: av.AudioStream, samples: np.ndarray
) -> None:
    for start in range(0, len(samples), AAC_FRAME):
        block = samples[start : start + AAC_FRAME].reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(block, format="flt", layout="mono")
        frame.sample_rate, frame.pts = CLIP_RATE, start
        dst.mux(stream.encode(frame))
    dst.mux(stream.encode(None))


def subtitle_text(path: Path) -> str:
    """The text of every cue in a subtitle file, one cue per line."""
    return "\n".join(event.plaintext for event in pysubs2.load(str(path)))


async def check_playback(video: Path) -> str:
    """Open ``video`` with QtMultimedia and describe it (length, subtitle tracks).

    Raises:
        SmokeError: no QtMultimedia backend loads, or it cannot open the file in time.
    """
    player = QMediaPlayer()
    if not player.isAvailable():
        raise SmokeError("QtMultimedia has no working backend (its FFmpeg plugin did not load)")
    done: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    def on_status(status: QMediaPlayer.MediaStatus) -> None:
        if status == QMediaPlayer.MediaStatus.LoadedMedia and not done.done():
            done.set_result("")
        elif status == QMediaPlayer.MediaStatus.InvalidMedia and not done.done():
            done.set_result(player.errorString() or "invalid media")

    def on_error(_error: QMediaPlayer.Error, message: str) -> None:
        if not done.done():
            done.set_result(message or "unknown error")

    player.mediaStatusChanged.connect(on_status)
    player.errorOccurred.connect(on_error)
    player.setSource(QUrl.fromLocalFile(str(video)))
    try:
        error = await asyncio.wait_for(done, PLAYBACK_TIMEOUT)
    except TimeoutError:
        error = f"no answer within {PLAYBACK_TIMEOUT:.0f} s"
    described = (
        f"opened {video.name} ({player.duration() / 1000:.1f} s, "
        f"{len(player.subtitleTracks())} subtitle track(s))"
    )
    with contextlib.suppress(RuntimeError):
        player.setSource(QUrl())
    if error:
        raise SmokeError(f"QtMultimedia could not open {video.name}: {error}")
    return described
