"""Find where people speak in a long audio stream with bounded memory.

The Silero VAD that faster-whisper ships looks at the whole array it is given, so it is run
over windows of ``window_s`` seconds that overlap by ``overlap_s``; the speech found in
neighbouring windows is joined where it overlaps. Only one window of samples is held at a
time, so memory does not grow with the length of the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from faster_whisper.vad import VadOptions, get_speech_timestamps

from vt_desktop.core.media.audio import PCM_RATE, Pcm

__all__ = ["SPEECH_VAD_OPTIONS", "SpeechRun", "find_speech"]

SPEECH_VAD_OPTIONS = VadOptions(
    threshold=0.5,
    min_speech_duration_ms=250,  # a click or a cough is not a sentence
    min_silence_duration_ms=250,  # pauses between sentences, not the gaps inside words
    speech_pad_ms=100,  # keep soft word onsets and endings inside the speech
)
"""Silero settings for planning: every pause they report is safe to cut in the middle of."""
#: A window whose loudest sample stays below this (-60 dBFS) is silence without asking the
#: VAD: hours of digital silence plan at decoding speed (1 h: 13.7 s → about 4.5 s).
SILENCE_PEAK = 10 ** (-60 / 20)


@dataclass(frozen=True, slots=True)
class SpeechRun:
    """A stretch of speech (padded by the VAD), in seconds from the start of the stream."""

    start_s: float
    end_s: float


@dataclass(slots=True)
class _Window:
    """Samples not yet analysed, with the stream position of the first one."""

    start: int
    parts: list[Pcm]
    length: int = 0

    def take(self, block: Pcm) -> None:
        self.parts.append(block)
        self.length += block.size


def find_speech(
    blocks: Iterable[Pcm],
    *,
    window_s: float = 60.0,
    overlap_s: float = 5.0,
    options: VadOptions = SPEECH_VAD_OPTIONS,
) -> Iterator[SpeechRun]:
    """Yield the speech in a stream of 16 kHz mono blocks, in order, as soon as it is final.

    Args:
        blocks: Consecutive PCM blocks at :data:`PCM_RATE` (e.g. from ``iter_pcm``).
        window_s: Length of audio the VAD sees at once; bounds the memory used.
        overlap_s: How much each window repeats of the previous one, so speech crossing a
            window edge is seen whole by one of them.
        options: The VAD's thresholds and paddings.

    Yields:
        Non-overlapping runs of speech, sorted by time.
    """
    window_len, overlap = round(window_s * PCM_RATE), round(overlap_s * PCM_RATE)
    if not 0 < overlap < window_len:
        raise ValueError(f"need 0 < overlap_s < window_s, got {overlap_s} and {window_s}")
    window = _Window(start=0, parts=[])
    pending: list[tuple[int, int]] = []
    analysed_to = 0
    for block in blocks:
        window.take(block)
        while window.length >= window_len:
            samples = np.concatenate(window.parts)
            pending = _join(pending, _speech_in(samples[:window_len], window.start, options))
            analysed_to = window.start + window_len
            keep = samples[window_len - overlap :].copy()  # let the window go
            window = _Window(start=analysed_to - overlap, parts=[keep], length=keep.size)
            done = [run for run in pending if run[1] < window.start]
            pending = pending[len(done) :]
            yield from (SpeechRun(s / PCM_RATE, e / PCM_RATE) for s, e in done)
    if window.start + window.length > analysed_to or analysed_to == 0:
        samples = np.concatenate(window.parts) if window.parts else np.zeros(0, np.float32)
        pending = _join(pending, _speech_in(samples, window.start, options))
    yield from (SpeechRun(s / PCM_RATE, e / PCM_RATE) for s, e in pending)


def _speech_in(samples: Pcm, offset: int, options: VadOptions) -> list[tuple[int, int]]:
    if samples.size == 0 or float(np.max(np.abs(samples))) < SILENCE_PEAK:
        return []  # nothing above -60 dBFS: no speech the VAD (or Whisper) could hear
    found = get_speech_timestamps(samples, options, sampling_rate=PCM_RATE)
    return [(offset + int(run["start"]), offset + int(run["end"])) for run in found]


def _join(runs: list[tuple[int, int]], more: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of two sorted lists of runs; runs that overlap or touch become one."""
    joined: list[tuple[int, int]] = []
    for start, end in sorted(runs + more):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], end))
        else:
            joined.append((start, end))
    return joined
