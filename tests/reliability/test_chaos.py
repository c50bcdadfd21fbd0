"""Chaos during a real job (real broker, real workers, tiny.en): workers killed with SIGKILL
again and again, and the TCP path to the broker cut for longer than the heartbeat.

Each disturbed run must finish with subtitles identical to an undisturbed run of the same
talk: no cue lost, none duplicated.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pysubs2
import pytest

from tests.support.broker import TestBroker
from tests.support.media import make_talk_video
from tests.support.proxy import CuttableProxy
from tests.support.workers import WorkerProcs, worker_procs
from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.model import JobSpec
from vt_desktop.core.pipeline.runner import JobOutcome
from vt_desktop.core.runtime import AppRuntime

pytestmark = pytest.mark.slow
TALK_S = 900.0  # 40 calls: room for 12 kills paced by results
WORKERS = 2
HEARTBEAT_S = 2
WARM_S = 4.0
Disturb = Callable[[AppRuntime, str, WorkerProcs], Awaitable[dict[str, int]]]


@dataclass
class Run:
    """One job's subtitles and what it cost."""

    cues: list[tuple[int, int, str]]
    outcome: JobOutcome
    figures: dict[str, int]
    wall_s: float


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_talk_video(tmp_path_factory.mktemp("talk") / "talk.mp4", seconds=TALK_S)


async def _nothing(rt: AppRuntime, job: str, pool: WorkerProcs) -> dict[str, int]:
    return {}


async def run_job(
    url: str,
    home: Path,
    video: Path,
    disturb: Disturb = _nothing,
    *,
    app_url: str | None = None,
    workers: int = WORKERS,
) -> Run:
    """Run ``video`` → English SRT with ``workers`` workers on ``url`` while ``disturb`` acts."""
    with worker_procs(url, home / "workers") as pool:
        for _ in range(workers):
            pool.start(RABBITMQ_HEARTBEAT=str(HEARTBEAT_S), VT_WORKER_SERVICES="system,asr")
        settings = AppSettings(
            mode="remote", rabbitmq_url=app_url or url, workers=0, rabbitmq_heartbeat=HEARTBEAT_S,
            rabbitmq_rpc_queue=pool.prefix, data_dir=home / "data", cache_dir=home / "cache",
            log_dir=home / "logs", config_dir=home / "config",
        )  # fmt: skip
        rt = AppRuntime(settings)
        await rt.start()
        try:
            assert rt.events is not None and rt.runner is not None
            await rt.events.wait_for_workers(workers, "asr", timeout=120)
            spec = JobSpec(input=video, targets=["en"], out_dir=home / "out", model="tiny.en",
                           formats=["srt"])  # fmt: skip
            job = rt.store.create_job(spec)
            started = time.monotonic()
            running = asyncio.create_task(rt.runner.run(job))
            figures = await disturb(rt, job, pool)
            outcome = await asyncio.wait_for(running, 400)
            wall = time.monotonic() - started
        finally:
            await rt.stop()
    subs = pysubs2.load(str(home / "out" / f"{video.stem}.en.srt"))
    return Run([(e.start, e.end, e.text) for e in subs], outcome, figures, wall)


@pytest.fixture(scope="module")
def baseline(broker: TestBroker, talk: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The same job with nothing disturbed."""
    return asyncio.run(run_job(broker.url, tmp_path_factory.mktemp("baseline"), talk))


def lost_and_duplicated(run: Run, baseline: Run) -> tuple[int, int]:
    """Cues of the undisturbed run missing here, and cues here more often than there."""
    want, got = Counter(baseline.cues), Counter(run.cues)
    lost = sum((want - got).values())
    duplicated = sum((got - want).values())
    return lost, duplicated


KILLS = 12  # planned kills a job; the test asks for at least 10 of them
#: Workers in the kill test. Each kill takes a warm worker and its replacement is warm only
#: WARM_S later, so with 2 workers kills come at most about 2 per 4-5 s: 9 in CI's 22 s job
#: on 2026-12-04 (the pinned stack's calls are quicker), 10-13 before. With 3 there is a warm
#: worker to kill whenever the results say a kill is due. The cues do not depend on how many
#: workers there are (each takes one call at a time), so the 2-worker baseline still holds.
KILL_WORKERS = 3
MIN_GAP_S = 1.0


def _kill_as_the_job_goes(calls: int) -> Disturb:
    """SIGKILL a random worker (a fresh one replaces it) every ``calls / KILLS`` results.

    Kills are paced by the job's progress, not by the clock, so a quicker machine sees as many
    kills as a slower one (a clock-paced version got 9 on CI's quicker machine, 13 here).
    Only workers up for ``WARM_S`` (model loaded, serving) are picked, the k-th kill once
    k × ``step`` results arrived and 1 s after the previous one: kills faster than any call
    can finish would rightly turn every call into a poison call (delivery limit 3), which is
    another scenario.
    """
    step = max(1, calls // (KILLS + 1))

    async def disturb(rt: AppRuntime, job: str, pool: WorkerProcs) -> dict[str, int]:
        rng = random.Random(8)
        # The job's first workers were up and serving before it began (run_job waits for them):
        # counted warm at once, not WARM_S into the job, when 8 or so results have gone by.
        born = {wid: time.monotonic() - WARM_S for wid in pool.procs}
        kills, killed_at = 0, 0.0
        while not rt.store.get(job).state.finished:
            await asyncio.sleep(0.2)
            now, results = time.monotonic(), rt.store.result_count(job)
            warm = [
                w for w, p in pool.procs.items() if p.poll() is None and now - born[w] >= WARM_S
            ]
            # the k-th kill is due at k × step results: one held back (no warm worker yet)
            # does not push the later ones back
            due = results >= (kills + 1) * step and now - killed_at >= MIN_GAP_S
            if rt.store.get(job).state.finished or not warm or not due:
                continue
            await asyncio.to_thread(pool.kill, rng.choice(warm), signal.SIGKILL)
            kills, killed_at = kills + 1, time.monotonic()
            fresh = pool.start(RABBITMQ_HEARTBEAT=str(HEARTBEAT_S), VT_WORKER_SERVICES="system,asr")
            born[fresh] = time.monotonic()
        return {"kills": kills, "step": step}

    return disturb


async def test_workers_killed_again_and_again_lose_and_duplicate_nothing(
    broker: TestBroker, talk: Path, baseline: Run, tmp_path: Path
) -> None:
    run = await run_job(
        broker.url,
        tmp_path,
        talk,
        _kill_as_the_job_goes(baseline.outcome.calls_sent),
        workers=KILL_WORKERS,
    )
    lost, duplicated = lost_and_duplicated(run, baseline)
    print(
        f"reliability: kill9 kills={run.figures['kills']} every={run.figures['step']} results "
        f"cues={len(run.cues)} lost={lost} "
        f"duplicated={duplicated} calls_sent={run.outcome.calls_sent} "
        f"wall={run.wall_s:.0f}s baseline_wall={baseline.wall_s:.0f}s"
    )
    assert run.figures["kills"] >= 10
    assert (lost, duplicated) == (0, 0)
    assert run.cues == baseline.cues


async def test_job_finishes_after_the_broker_path_is_cut_longer_than_the_heartbeat(
    broker: TestBroker, talk: Path, baseline: Run, tmp_path: Path
) -> None:
    proxy = CuttableProxy(broker.port)
    proxy.start()
    cut_s = 4 * HEARTBEAT_S

    async def cut(rt: AppRuntime, job: str, pool: WorkerProcs) -> dict[str, int]:
        while rt.store.result_count(job) < 2:
            await asyncio.sleep(0.05)
        before = proxy.connections
        proxy.cut()
        await asyncio.sleep(cut_s)
        proxy.restore()
        return {"connections_before": before}

    url = broker.url.replace(f":{broker.port}/", f":{proxy.port}/")
    try:
        run = await run_job(url, tmp_path, talk, cut, app_url=url)
    finally:
        proxy.stop()
    lost, duplicated = lost_and_duplicated(run, baseline)
    reconnects = proxy.connections - run.figures["connections_before"]
    print(
        f"reliability: tcp-cut cut_s={cut_s} heartbeat_s={HEARTBEAT_S} reconnects={reconnects} "
        f"cues={len(run.cues)} lost={lost} duplicated={duplicated} wall={run.wall_s:.0f}s"
    )
    assert reconnects >= WORKERS + 1, "the cut did not break the connections"
    assert (lost, duplicated) == (0, 0)
    assert run.cues == baseline.cues
