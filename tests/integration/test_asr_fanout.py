"""Segmenting and fanning out does not cost accuracy: the system against faster-whisper direct.

Both are scored against the truth we built the recording from: the words said (WER) and
where each sentence starts (the clips' onsets). Whisper's own first-word-after-a-pause
times are off by up to ~0.7 s in either run, so the direct run is a reference for most
words but not for sentence onsets; onsets are scored against the recording itself.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from faster_whisper import WhisperModel

from tests.integration.conftest import open_caller
from tests.support.media import JFK_TEXT, SENTENCES, join_talk, speech_clips, write_wav
from tests.support.wer import matched_pairs, norm_words, wer
from tests.support.workers import WorkerProcs
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.pipeline.recognise import words_of
from vt_desktop.core.pipeline.streaming import transcribe_file
from worker.engines.models import ModelManager

pytestmark = pytest.mark.slow
Words = list[tuple[str, float]]


def onsets(clips: list[np.ndarray], where: list[tuple[float, float]]) -> list[tuple[str, float]]:
    """(first word, true start) of every clip in the recording."""
    texts = [JFK_TEXT, *SENTENCES]
    out = []
    for i, (at, _) in enumerate(where):
        clip = clips[i % len(clips)]
        lead = int(np.argmax(np.abs(clip) > 0.02)) / 16000
        out.append((norm_words(texts[i % len(texts)])[0], at + lead))
    return out


def onset_error(words: Words, truth: list[tuple[str, float]]) -> float:
    """Mean |start − true onset| of each clip's first word (nearest match within 2 s)."""
    errors = []
    for first, t in truth:
        near = [abs(s - t) for w, s in words if norm_words(w) == [first] and abs(s - t) < 2.0]
        errors.append(min(near) if near else 2.0)
    return float(np.mean(errors))


async def fan_out(workers: WorkerProcs, audio: Path, db: Path) -> Words:
    caller = await open_caller(workers.url, workers.prefix)
    try:
        await caller.events.wait_for_workers(1, "asr", timeout=60)
        plan, results = await transcribe_file(
            caller.rpc, caller.events, JobStore(db), audio, model="tiny.en", language="en"
        )
        return [(w.text, w.start) for w in words_of(results, plan.speech)]
    finally:
        await caller.rpc.close()
        await caller.rpc.connection.close()


def test_fanout_transcript_matches_direct_faster_whisper(
    workers: WorkerProcs, tmp_path: Path
) -> None:
    clips = speech_clips(tmp_path)
    samples, where, _ = join_talk(clips, 190.0)
    audio = write_wav(tmp_path / "talk.wav", samples)
    texts = [JFK_TEXT, *SENTENCES]
    reference = [w for i in range(len(where)) for w in norm_words(texts[i % len(texts)])]

    model_dir = ModelManager.for_worker_cache(str(tmp_path / "cache")).resolve("tiny.en").path
    direct_model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=2)
    segs, _ = direct_model.transcribe(str(audio), language="en", word_timestamps=True)
    direct: Words = [(w.word, w.start) for s in segs for w in (s.words or [])]
    workers.start(VT_WORKER_PREFETCH="4")
    fanned = asyncio.run(fan_out(workers, audio, tmp_path / "jobs.sqlite3"))

    wer_direct = wer(reference, norm_words(" ".join(t for t, _ in direct)))
    wer_fanout = wer(reference, norm_words(" ".join(t for t, _ in fanned)))
    truth = onsets(clips, where)
    err_direct, err_fanout = onset_error(direct, truth), onset_error(fanned, truth)
    d_flat = [" ".join(norm_words(t)) for t, _ in direct]
    f_flat = [" ".join(norm_words(t)) for t, _ in fanned]
    pairs = matched_pairs(d_flat, f_flat)
    gaps = sorted(abs(direct[i][1] - fanned[j][1]) for i, j in pairs)
    within = sum(g <= 0.3 for g in gaps) / len(gaps)
    print(
        f"WER direct {wer_direct:.3f}, fan-out {wer_fanout:.3f}; sentence-onset error "
        f"direct {err_direct:.3f} s, fan-out {err_fanout:.3f} s; {len(pairs)} words matched, "
        f"{within:.1%} within 0.3 s of direct (median {gaps[len(gaps) // 2]:.3f} s)"
    )

    assert wer_fanout <= wer_direct + 0.01
    starts = [s for _, s in fanned]
    assert starts == sorted(starts)
    assert len(pairs) > 0.9 * len(d_flat)
    assert err_fanout <= err_direct + 0.05
    assert within >= 0.95
