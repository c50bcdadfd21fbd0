"""A stand-in ``asr`` service for the fan-out benchmark (``bench/fanout_scaling.py``).

It answers the real ``asr.transcribe`` and ``asr.detect_language`` declarations (the same
``Method`` objects, params and result models the pipeline and the built-in service use)
after sleeping for the segment's duration divided by ``speed`` (its config file's
``speed = …``), as a worker that recognises ``speed`` times faster than real time would. Its
result has the real shape: stretches of a few seconds with words every ~0.4 s, their absolute
times, probabilities, the language, model, device and compute time.

The segment's duration is read from the FLAC header the pipeline sends (no decoding); any
other format is decoded by the worker's own decoder. Calls run side by side up to the
worker's prefetch, so one process with prefetch N stands for N single-call workers.

A plugin may not take a built-in service's name unless the worker is told to leave that
built-in out, so the benchmark starts its workers with ``VT_WORKER_REPLACE_BUILTINS=asr``.
"""

from __future__ import annotations

import asyncio
import random
import struct
import time

from worker.protocol.asr import (
    DETECT_LANGUAGE,
    TRANSCRIBE,
    DetectLanguageParams,
    DetectLanguageResult,
    LanguageProbability,
    Segment,
    TranscribeParams,
    TranscribeResult,
    Word,
)
from worker.services.base import BaseService, ServiceSettings, rpc_method

#: Words to say, in turn; what matters is their count, length and timing, not their sense.
TEXT = (
    "and so my fellow Americans ask not what your country can do for you ask what you can "
    "do for your country the quick brown fox jumps over the lazy dog while the river runs "
    "past the old mill where we met last summer before the rain came down again"
)
VOCABULARY = TEXT.split()
WORD_S = 0.38  # a word and the gap after it (about 2.6 words a second, as people talk)
STRETCH_S = 6.0  # Whisper's segments run a few seconds each
#: A detection costs this share of a transcription of the same audio: Whisper detects the
#: language from one encoder pass and one decoder step, where a transcription decodes every
#: token (with beam search) as well.
DETECT_SHARE = 0.15


class StandinSettings(ServiceSettings):
    """``speed``: how many times faster than real time this stand-in "recognises"."""

    speed: float = 100.0


def flac_seconds(data: bytes) -> float | None:
    """The length of a FLAC file from its STREAMINFO block; None when it is no FLAC or the
    header does not say (an encoder that could not seek back leaves the count 0)."""
    if len(data) < 26 or data[:4] != b"fLaC":
        return None
    (packed,) = struct.unpack(">Q", data[18:26])
    rate = packed >> 44
    samples = packed & ((1 << 36) - 1)
    return samples / rate if rate and samples else None


def segment_seconds(data: bytes) -> float:
    """How long the call's audio lasts (the worker's decoder for anything but FLAC)."""
    seconds = flac_seconds(data)
    if seconds is None:
        from worker.engines.asr.audio import SAMPLE_RATE, decode_segment

        seconds = decode_segment(data).shape[0] / SAMPLE_RATE
    return seconds


def said(offset: float, duration: float, language: str) -> list[Segment]:
    """Plausible recognised stretches covering ``duration`` seconds from ``offset``."""
    rng = random.Random(round(offset * 1000))
    stretches: list[Segment] = []
    at, end = offset + 0.2, offset + duration - 0.2
    turn = rng.randrange(len(VOCABULARY))
    while at + WORD_S <= end:
        stop = min(end, at + STRETCH_S * rng.uniform(0.6, 1.4))
        words: list[Word] = []
        while at + WORD_S <= stop:
            text = VOCABULARY[turn % len(VOCABULARY)]
            turn += 1
            span = WORD_S * rng.uniform(0.5, 0.9)
            words.append(Word(start=round(at, 3), end=round(at + span, 3), word=f" {text}",
                              probability=round(rng.uniform(0.55, 0.99), 3)))  # fmt: skip
            at += WORD_S
        if words:
            text = "".join(w.word for w in words).strip().capitalize() + "."
            stretches.append(Segment(start=words[0].start, end=words[-1].end, text=text,
                                     words=words))  # fmt: skip
        at += rng.uniform(0.3, 0.9)  # a breath between sentences
    return stretches


class StandinAsrService(BaseService):
    """``asr`` that sleeps instead of recognising."""

    name = "asr"
    Settings = StandinSettings

    def _speed(self) -> float:
        return max(1e-3, float(self.get_config()["speed"]))

    @rpc_method(TRANSCRIBE)
    async def transcribe(self, p: TranscribeParams) -> TranscribeResult:
        """Sleep for the segment's duration ÷ speed, then say what a recogniser would."""
        started = time.perf_counter()
        duration = segment_seconds(p.audio_bytes())
        await asyncio.sleep(duration / self._speed())
        language = p.language or "en"
        return TranscribeResult(
            language=language, language_probability=0.97, duration=duration,
            segments=said(p.offset_s, duration, language), model=p.model or "stand-in",
            device="cpu", compute_s=time.perf_counter() - started, batch_size=1,
        )  # fmt: skip

    @rpc_method(DETECT_LANGUAGE)
    async def detect_language(self, p: DetectLanguageParams) -> DetectLanguageResult:
        """English, after the time a detection of (at most) 30 s of audio takes at ``speed``."""
        duration = segment_seconds(p.audio_bytes())
        await asyncio.sleep(DETECT_SHARE * min(duration, 30.0) / self._speed())
        return DetectLanguageResult(
            language="en", language_probability=0.97, duration=duration,
            candidates=[LanguageProbability(language="en", probability=0.97),
                        LanguageProbability(language="de", probability=0.01)],
            model=p.model or "stand-in",
        )  # fmt: skip
