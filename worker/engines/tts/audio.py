"""Measure and trim spoken lines: where speech starts and ends, pauses inside, FLAC out.

Levels are relative to the line's own loudest frame, so a quiet voice is trimmed the same as
a loud one. Frames are 5 ms: onsets land within one frame of the true start.
"""

from __future__ import annotations

import io

import av
import numpy as np

from worker.engines.tts.base import Samples, Speech

FRAME_S = 0.005
#: A frame is speech when its RMS is within this many dB of the loudest frame.
SPEECH_DB = -40.0
#: A pause inside a line is a run of frames this far below the loudest frame.
PAUSE_DB = -35.0
#: Kept after the last speech frame, so the decay of the last sound is not cut.
TAIL_S = 0.02
#: Fades at cut edges (no clicks).
FADE_S = 0.004
#: Pauses inside a line longer than this may be shortened, down to ``KEPT_PAUSE_S``.
SHORTENABLE_PAUSE_S = 0.15
KEPT_PAUSE_S = 0.08


def frame_levels(samples: Samples, rate: int) -> tuple[np.ndarray, int]:
    """RMS of each 5 ms frame (the last partial frame included), and the frame length."""
    size = max(1, round(FRAME_S * rate))
    count = -(-len(samples) // size)
    padded = np.zeros(count * size, dtype=np.float32)
    padded[: len(samples)] = samples
    rms = np.sqrt(np.mean(padded.reshape(count, size) ** 2, axis=1))
    return rms, size


def _loud(rms: np.ndarray, db: float) -> np.ndarray:
    peak = float(rms.max()) if rms.size else 0.0
    return rms > max(peak * 10 ** (db / 20), 1e-4)


def fade(samples: Samples, rate: int, *, head: bool = True, tail: bool = True) -> Samples:
    """A copy with short linear fades at the chosen ends."""
    out = samples.astype(np.float32, copy=True)
    n = min(len(out) // 2, max(1, round(FADE_S * rate)))
    ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
    if head:
        out[:n] *= ramp
    if tail:
        out[len(out) - n :] *= ramp[::-1]
    return out


def trim(speech: Speech) -> Speech:
    """The speech without leading and trailing silence (empty when there is no speech)."""
    rms, size = frame_levels(speech.samples, speech.sample_rate)
    loud = np.flatnonzero(_loud(rms, SPEECH_DB))
    if loud.size == 0:
        return Speech(np.zeros(0, dtype=np.float32), speech.sample_rate)
    first = int(loud[0]) * size
    # Refine the onset to the first sample that reaches the threshold inside its frame.
    threshold = max(float(rms.max()) * 10 ** (SPEECH_DB / 20), 1e-4)
    hits = np.flatnonzero(np.abs(speech.samples[first : first + size]) >= threshold)
    start = first + (int(hits[0]) if hits.size else 0)
    end = min(len(speech.samples), (int(loud[-1]) + 1) * size + round(TAIL_S * speech.sample_rate))
    clip = fade(speech.samples[start:end], speech.sample_rate, head=False)
    return Speech(clip, speech.sample_rate)


def _pauses(rms: np.ndarray) -> list[tuple[int, int]]:
    """Runs of quiet frames strictly inside the line, as (first frame, end frame)."""
    quiet = ~_loud(rms, PAUSE_DB)
    runs: list[tuple[int, int]] = []
    index = 0
    while index < len(quiet):
        if quiet[index]:
            end = index
            while end < len(quiet) and quiet[end]:
                end += 1
            if index > 0 and end < len(quiet):
                runs.append((index, end))
            index = end
        else:
            index += 1
    return runs


def shorten_pauses(speech: Speech, excess_s: float) -> tuple[Speech, float]:
    """Remove up to ``excess_s`` seconds from the longest pauses inside the line.

    Each pause longer than 150 ms keeps at least 80 ms (split around its middle), so words
    stay apart. Returns the new speech and the seconds removed.
    """
    rate = speech.sample_rate
    rms, size = frame_levels(speech.samples, rate)
    keep = round(KEPT_PAUSE_S / FRAME_S)
    cuts: list[tuple[int, int]] = []
    left = excess_s
    for first, end in sorted(_pauses(rms), key=lambda r: r[0] - r[1]):
        spare = (end - first) - keep
        if left <= 0 or (end - first) * FRAME_S <= SHORTENABLE_PAUSE_S:
            continue
        take = min(spare, int(np.ceil(left / FRAME_S)))
        middle = (first + end) // 2
        cuts.append(((middle - take // 2) * size, (middle - take // 2 + take) * size))
        left -= take * FRAME_S
    if not cuts:
        return speech, 0.0
    pieces: list[Samples] = []
    position = 0
    for start, stop in sorted(cuts):
        pieces.append(speech.samples[position:start])
        position = stop
    pieces.append(speech.samples[position:])
    removed = sum(stop - start for start, stop in cuts) / rate
    return Speech(np.concatenate(pieces).astype(np.float32), rate), removed


def encode_flac(speech: Speech) -> bytes:
    """The speech as a 16-bit mono FLAC file in memory (bit-exact for the same samples)."""
    pcm = np.round(np.clip(speech.samples, -1.0, 1.0) * 32767).astype(np.int16)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="flac", options={"fflags": "+bitexact"}) as out:
        stream = out.add_stream("flac", rate=speech.sample_rate, layout="mono")
        for start in range(0, max(1, len(pcm)), 4096):
            block = pcm[start : start + 4096].reshape(1, -1)
            if block.size == 0:
                break
            frame = av.AudioFrame.from_ndarray(block, format="s16", layout="mono")
            frame.sample_rate = speech.sample_rate
            frame.pts = start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return buffer.getvalue()
