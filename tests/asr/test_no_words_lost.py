"""No word lost to batching: on real speech, every chunk the worker decodes in a batch holds
the words the sequential decode of that chunk holds, its last sentence included.

The talk is the real English recordings of ``tests/data/speech`` joined with 0.7-1.0 s
pauses, cut at pauses into chunks of 15-29 s two different ways (as the plan cuts segments).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.media import real_talk
from tests.support.wer import matched_pairs, norm_words, wer
from worker.engines.asr import WhisperEngine
from worker.engines.asr.types import TranscribeRequest, Transcript

RATE = 16000
pytestmark = pytest.mark.slow


def _talk(seed: int) -> tuple[np.ndarray, list[int]]:
    """Every English recording, twice, shuffled, with pauses; and the middle of each pause."""
    talk = real_talk("en", repeats=2, seed=seed)
    ends = [round(end * RATE) for _, end in talk.where]
    starts = [round(start * RATE) for start, _ in talk.where[1:]] + [len(talk.samples)]
    return talk.samples, [(end + start) // 2 for end, start in zip(ends, starts, strict=True)]


def _chunks(pauses: list[int], at_least_s: float) -> list[tuple[int, int]]:
    """Cut at the first pause ``at_least_s`` after the last cut (chunks over 29 s skipped)."""
    chunks, start = [], 0
    for pause in pauses:
        if (pause - start) / RATE >= at_least_s:
            if (pause - start) / RATE <= 29.0:
                chunks.append((start, pause))
            start = pause
    return chunks


def _words(transcript: Transcript) -> list[str]:
    return norm_words(" ".join(seg.text for seg in transcript.segments))


def test_batched_chunks_keep_every_word_the_sequential_decode_keeps(
    engine: WhisperEngine,
) -> None:
    talk, pauses = _talk(seed=1)
    chunks = _chunks(pauses, 15.0) + _chunks(pauses[1:], 21.0)
    assert len(chunks) >= 10, chunks
    requests = [TranscribeRequest(audio=talk[a:b], language="en") for a, b in chunks]
    batched = engine.transcribe_batch(requests)
    errors, words, short_ended = 0.0, 0, []
    for (a, b), request, got in zip(chunks, requests, batched, strict=True):
        assert isinstance(got, Transcript), got
        want = _words(engine.transcribe(request))
        have = _words(got)
        errors += wer(want, have) * len(want)
        words += len(want)
        last_kept = max((i for i, _ in matched_pairs(want, have)), default=-1)
        if len(want) - 1 - last_kept > 1:  # more than a last word differing: words cut off
            short_ended.append(f"{a / RATE:.1f}-{b / RATE:.1f} s lost {want[last_kept + 1 :]}")
    summed = errors / words
    print(f"asr: batched vs sequential, {len(chunks)} chunks, {words} words: WER {summed:.3f}")
    assert not short_ended, short_ended
    assert summed <= 0.02
