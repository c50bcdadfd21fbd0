"""A planned job's recognition (``vt jobs resume``, a job whose plan is stored) on real workers:
the spoken language is detected while the segments behind the first are already being
encoded, each segment is read once, and the calls' order only changes in the last wave
(``bench/fanout_scaling.py --compare`` measures what it buys)."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import open_caller
from tests.support.media import real_talk, write_wav
from tests.support.wer import norm_words, wer
from tests.support.workers import WorkerProcs
from vt_desktop.core.jobs.model import JobSpec
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.media.audio import read_pcm as real_read
from vt_desktop.core.media.plan import plan_segments
from vt_desktop.core.pipeline import recognise as recognise_module
from vt_desktop.core.pipeline.context import JobContext
from vt_desktop.core.pipeline.recognise import recognise, words_of

pytestmark = pytest.mark.slow


def test_planned_job_detects_while_encoding_and_reads_each_segment_once(
    workers: WorkerProcs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    talk = real_talk("en")
    audio = write_wav(tmp_path / "talk.wav", talk.samples)
    plan = plan_segments(audio, 0)
    assert len(plan.segments) >= 3, plan.segments
    reads: list[tuple[float, float]] = []  # (when the read started, the segment's start)
    lock = threading.Lock()

    def counting_read(path: Path, stream: int, start_s: float, end_s: float) -> Any:
        with lock:
            reads.append((time.monotonic(), start_s))
        return real_read(path, stream, start_s, end_s)

    monkeypatch.setattr(recognise_module, "read_pcm", counting_read)
    workers.start(VT_WORKER_PREFETCH="2")

    async def run() -> tuple[str, list[Any], float, JobStore, str]:
        caller = await open_caller(workers.url, workers.prefix)
        try:
            await caller.events.wait_for_workers(1, "asr", timeout=60)
            store = JobStore(tmp_path / "jobs.sqlite3")
            spec = JobSpec(input=audio, targets=["fr"], out_dir=tmp_path / "out", model="tiny.en")
            ctx = JobContext(store.create_job(spec), spec, caller.rpc, caller.events, store)
            known_at = [float("nan")]
            report = ctx.report

            def noting(stage: str, fraction: float, message: str = "", level: str = "INFO") -> None:
                if message.startswith("spoken language"):
                    known_at[0] = time.monotonic()
                report(stage, fraction, message, level)

            ctx.report = noting  # type: ignore[method-assign]
            language, results = await recognise(ctx, plan, None)
            return language, results, known_at[0], store, ctx.job_id
        finally:
            await caller.rpc.close()
            await caller.rpc.connection.close()

    language, results, known_at, store, job_id = asyncio.run(run())

    assert language == "en"
    assert store.artifact(job_id, "language") == "en"
    # Each segment read once: the detection used the first segment's encoded call audio
    # (before, the first segment was read and encoded twice).
    assert sorted(s for _, s in reads) == [seg.start_s for seg in plan.segments]
    # The second segment's read started before the language came back: the detection no
    # longer holds back the first wave's encoding.
    second = next(t for t, s in reads if s == plan.segments[1].start_s)
    assert second < known_at
    # The results are the plan's, in its order, and they are the talk's words.
    assert len(results) == len(plan.segments)
    heard = norm_words(" ".join(w.text for w in words_of(results, plan.speech)))
    said = [w for text in talk.texts for w in norm_words(text)]
    assert wer(said, heard) < 0.15
