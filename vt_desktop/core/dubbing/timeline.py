"""The dub on one sample-accurate timeline: each line placed at its own cue start.

Clips are kept sparse (start sample + samples at 48 kHz), so an hour of video costs only the
speech, and any block of the track can be rendered on its own while streaming.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]

RATE = 48_000
"""Sample rate of the dubbed track."""
#: Each line's loudness (RMS) is brought to this, then its peak kept under ``PEAK``.
VOICE_RMS = 0.1
PEAK = 0.95
FADE_S = 0.01


def _mono(frame: av.AudioFrame) -> Samples:
    return np.asarray(frame.to_ndarray(), dtype=np.float32).reshape(-1)


def decode_clip(audio_b64: str, rate: int = RATE) -> Samples:
    """A ``tts.synthesize`` result's audio as float32 mono at ``rate``.

    Raises:
        ValueError: the audio is not a decodable audio file.
    """
    chunks: list[Samples] = []
    try:
        data = base64.b64decode(audio_b64, validate=True)
        with av.open(io.BytesIO(data), "r") as container:
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            for frame in container.decode(audio=0):
                chunks += [_mono(f) for f in resampler.resample(frame)]
            chunks += [_mono(f) for f in resampler.resample(None)]
    except (ValueError, av.error.FFmpegError) as exc:
        raise ValueError(f"the spoken line's audio cannot be decoded: {exc}") from exc
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


def level(samples: Samples) -> Samples:
    """The line at the common voice loudness, its peak under ``PEAK``."""
    rms = float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0
    if rms < 1e-6:
        return samples
    gain = VOICE_RMS / rms
    peak = float(np.abs(samples).max()) * gain
    if peak > PEAK:
        gain *= PEAK / peak
    return (samples * gain).astype(np.float32)


@dataclass(frozen=True)
class Clip:
    """One line on the timeline: its first sample and its samples."""

    start: int
    samples: Samples

    @property
    def end(self) -> int:
        """One past the last sample."""
        return self.start + len(self.samples)


def place(start_s: float, samples: Samples, max_s: float, rate: int = RATE) -> tuple[Clip, bool]:
    """A clip starting exactly at ``start_s``, cut (with a fade) at ``max_s`` if longer.

    Returns the clip and whether it had to be cut.
    """
    limit = max(0, round(max_s * rate))
    cut = len(samples) > limit
    body = samples[:limit].astype(np.float32, copy=True)
    if cut and body.size:
        n = min(body.size, round(FADE_S * rate))
        body[body.size - n :] *= np.linspace(1.0, 0.0, n, dtype=np.float32)
    return Clip(round(start_s * rate), level(body)), cut


class Timeline:
    """Placed clips, rendered block by block; ducking follows where the voice speaks."""

    def __init__(self, clips: Sequence[Clip], rate: int = RATE) -> None:
        self.clips = sorted(clips, key=lambda c: c.start)
        self.rate = rate

    @property
    def end(self) -> int:
        """One past the last voiced sample (0 when empty)."""
        return max((c.end for c in self.clips), default=0)

    def voice(self, first: int, count: int) -> Samples:
        """The voice in samples ``first … first + count``."""
        out = np.zeros(count, dtype=np.float32)
        for clip in self.clips:
            a, b = max(first, clip.start), min(first + count, clip.end)
            if a < b:
                out[a - first : b - first] += clip.samples[a - clip.start : b - clip.start]
        return out

    def duck_gain(self, first: int, count: int, gain_db: float, ramp_s: float) -> Samples:
        """Gain for the original in that block: ``gain_db`` under each clip, linear ramps
        of ``ramp_s`` before and after it, 1 elsewhere."""
        floor = 10 ** (gain_db / 20)
        ramp = max(1, round(ramp_s * self.rate))
        index = np.arange(first, first + count, dtype=np.int64)
        depth = np.zeros(count, dtype=np.float32)  # 0 = full level, 1 = fully ducked
        for clip in self.clips:
            if clip.end + ramp <= first or clip.start - ramp >= first + count:
                continue
            before = (index - (clip.start - ramp)) / ramp
            after = ((clip.end + ramp) - index) / ramp
            shape = np.clip(np.minimum(before, after), 0.0, 1.0).astype(np.float32)
            np.maximum(depth, shape, out=depth)
        return (1.0 - depth * (1.0 - floor)).astype(np.float32)
