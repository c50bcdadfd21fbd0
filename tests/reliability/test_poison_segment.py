"""A poison segment inside a running job (real broker, real workers, tiny.en): the worker
dies every time it recognises one segment. The job still ends done: that segment is a gap
named in one warning and flagged ``unrecognised`` in Review, every other cue is there, and a
later run of the job sends that one segment again and fills the gap.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pysubs2
import pytest

from tests.support.broker import TestBroker
from tests.support.media import make_talk_video
from tests.support.wer import norm_words, wer
from tests.support.workers import replace_dead_workers, worker_procs
from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.media import pick_audio_stream, plan_segments, probe
from vt_desktop.core.pipeline.recognise import gaps_of
from vt_desktop.core.pipeline.runner import JobOutcome
from vt_desktop.core.review import ReviewSession
from vt_desktop.core.runtime import AppRuntime
from vt_desktop.core.subtitles import UNRECOGNISED
from worker.transport.consumer import ISOLATE_AFTER

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
TALK_S = 100.0
POISON = "tests.reliability.poison_asr_worker"
Cues = list[tuple[int, int, str]]


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple[float, float]]:
    """A talk of four segments or so, and where its second segment lies (the poison one)."""
    video = make_talk_video(tmp_path_factory.mktemp("talk") / "talk.mp4", seconds=TALK_S)
    info = probe(video, max_size=1 << 40)
    plan = plan_segments(video, pick_audio_stream(info).index)
    assert len(plan.segments) >= 3, plan.segments
    second = plan.segments[1]
    return video, (second.start_s, second.end_s)


def _settings(url: str, prefix: str, home: Path) -> AppSettings:
    return AppSettings(
        mode="remote", rabbitmq_url=url, workers=0, rabbitmq_rpc_queue=prefix,
        data_dir=home / "data", cache_dir=home / "cache", log_dir=home / "logs",
        config_dir=home / "config",
    )  # fmt: skip


def _cues(path: Path) -> Cues:
    return [(e.start, e.end, e.text) for e in pysubs2.load(str(path))]


async def _run(rt: AppRuntime, job: str) -> JobOutcome:
    assert rt.runner is not None
    started = time.monotonic()
    outcome = await asyncio.wait_for(rt.runner.run(job), 300)
    print(f"job {job}: {time.monotonic() - started:.0f} s, {outcome.calls_sent} call(s) sent")
    return outcome


async def test_a_poison_segment_becomes_one_flagged_gap_and_a_later_run_fills_it(
    broker: TestBroker, talk: tuple[Path, tuple[float, float]], tmp_path: Path
) -> None:
    video, (gap_start, gap_end) = talk
    srt = tmp_path / "out" / f"{video.stem}.en.srt"
    with worker_procs(broker.url, tmp_path / "workers") as pool:
        rt = AppRuntime(_settings(broker.url, pool.prefix, tmp_path))
        await rt.start()
        try:
            assert rt.events is not None
            spec = JobSpec(input=video, targets=["en"], out_dir=tmp_path / "out",
                           model="tiny.en", formats=["srt"])  # fmt: skip
            # Undisturbed first: the cues every later run is compared with.
            healthy = pool.start(VT_WORKER_SERVICES="system,asr")
            await rt.events.wait_for_workers(1, "asr", timeout=120)
            first = await _run(rt, rt.store.create_job(spec))
            baseline = _cues(srt)
            pool.kill(healthy)

            # A worker that dies on the second segment, replaced each time it dies.
            env = {"VT_WORKER_SERVICES": "system,asr", "VT_TEST_POISON_OFFSET": f"{gap_start}"}
            pool.start(module=POISON, **env)
            crashes: list[str] = [healthy]  # killed on purpose, not replaced
            supervisor = asyncio.create_task(replace_dead_workers(pool, crashes, POISON, **env))
            job = rt.store.create_job(spec)
            try:
                outcome = await _run(rt, job)
                await asyncio.sleep(1.0)  # the last death is seen (it can beat the poll)
            finally:
                supervisor.cancel()
            deaths = crashes[1:]
            record = rt.store.get(job)
            gapped = _cues(srt)
            review = ReviewSession.open(rt.store, job, "en")

            # The same job again with healthy workers: only the gap is sent.
            pool.stop_all()
            pool.start(VT_WORKER_SERVICES="system,asr")
            await rt.events.wait_for_workers(1, "asr", timeout=120)
            again = await _run(rt, job)
            filled = _cues(srt)
            gaps_after = gaps_of(rt.store, job)
        finally:
            await rt.stop()

    assert record.state is JobState.DONE, record.error
    gap_warnings = [w for w in outcome.warnings if w not in first.warnings]
    assert len(gap_warnings) == 1, outcome.warnings
    assert "segment 2 " in gap_warnings[0] and "left as a gap" in gap_warnings[0]
    assert "crashed the worker process each time it ran alone" in gap_warnings[0]
    # twice from the queue (ISOLATE_AFTER); then it crashed only the processes it ran alone in
    assert len(deaths) == ISOLATE_AFTER, deaths
    flagged = [c for c in review.cues if UNRECOGNISED in c.flags]
    assert len(flagged) == 1 and not flagged[0].text
    assert (flagged[0].start, flagged[0].end) == pytest.approx((gap_start, gap_end))
    outside = [c for c in baseline if c[1] / 1000 <= gap_start or c[0] / 1000 >= gap_end]
    inside = [c for c in baseline if c not in outside]
    assert inside, "the poison segment held no cue of the undisturbed run"
    missing = [c for c in outside if c not in gapped]
    assert not missing, f"cues outside the gap were lost: {missing}"
    assert not any(c in gapped for c in inside), "the gap's cues were shipped anyway"

    assert again.calls_sent == 1, again  # the one segment, nothing else
    assert again.warnings == first.warnings and gaps_after == {}
    # Outside the gap, the very cues of the undisturbed run. Inside it, the retried segment is
    # recognised alone where the undisturbed run may have batched it with others, and its
    # audio is read from the file by seeking, not cut from the planner's continuous decode
    # (AAC decoded after a seek differs a little: 2026-12-04, this talk, rms difference 0.001
    # on this segment against a signal rms of 0.084; 0.013 to 0.020 on segments whose seek
    # lands off the 48 -> 16 kHz resampler's 3:1 grid). tiny.en may then hear a word
    # differently ("my Friday tune" for "my Friday afternoon" with numpy 2.4.6) or end a
    # line's last word 0.24 s earlier, so there: as many cues, within 0.5 s, nearly the same
    # words.
    assert len(filled) == len(baseline), (filled, baseline)
    assert [c for c in filled if c in outside] == outside
    refilled = [f for f, b in zip(filled, baseline, strict=True) if b in inside]
    moved = [(f, b) for f, b in zip(filled, baseline, strict=True)
             if abs(f[0] - b[0]) > 500 or abs(f[1] - b[1]) > 500]  # fmt: skip
    assert not moved, moved
    heard, said = (
        norm_words(" ".join(c[2] for c in refilled)),
        norm_words(" ".join(c[2] for c in inside)),
    )
    assert wer(said, heard) <= 0.1, (said, heard)
    print(
        f"reliability: poison-segment segments_gap=1 worker_deaths={len(deaths)} "
        f"cues_kept={len(outside)}/{len(outside)} gap_cues={len(inside)} "
        f"retry_calls_sent={again.calls_sent} filled_cues={len(filled)}/{len(baseline)} "
        f"refilled_wer={wer(said, heard):.3f}"
    )
