"""Load: 20 jobs queued at once over 4 local workers (real broker, real workers, tiny.en).

All must finish with their subtitles, none may starve (the queue is FIFO, so they finish in
submission order), the calls must spread over every worker, and the app's memory must stay
flat from job 5 to job 20 (a leak per job would show there, after the warm-up).
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import os
import re
import shutil
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pysubs2
import pytest

from tests.support.media import make_video
from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.model import JobRecord, JobSpec, JobState
from vt_desktop.core.runtime import AppRuntime, LogLine
from vt_desktop.core.supervisor.broker import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(400)]
JOBS = 20
WORKERS = 4
#: Each job's own data is a few KB (an 11 s clip: 3 calls, one SRT), so anything kept per job
#: is a leak. Sampled after gc + malloc_trim, RSS from job 5 on moved within about ±6 MB in
#: probes (after every job); 20 MB over the 15 jobs from job 5 to job 20 catches any leak of
#: 1.3 MB or more per job (e.g. keeping each job's decoded 48 kHz clip, 2.1 MB).
RSS_GROWTH_MAX_MB = 20.0
#: What a worker logs (at DEBUG) for each call it served; the log line's source is its id.
_SERVED = re.compile(r"rpc (\S+) id=(\S+) served in")


def rss_mb() -> float:
    """Resident memory of this process (the app: runtime, queue, store, RPC client) in MB.

    Garbage is collected and free heap handed back to the system first, so the figure is what
    the app still holds, not what the allocator happens to keep cached.
    """
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class Watch:
    """When each job started and ended, RSS after given jobs, and who served which call."""

    def __init__(self, rt: AppRuntime, sample_after: tuple[int, ...]) -> None:
        self.rt = rt
        self.started: dict[str, float] = {}
        self.ended: dict[str, float] = {}
        self.rss: dict[int, float] = {}
        self.sample_after = sample_after
        self.served: list[tuple[str, str]] = []  # (worker id, call id)
        self.all_done = asyncio.Event()
        self.queued_at = 0.0

    def on_change(self, job_id: str) -> None:
        queue = self.rt.queue
        if queue is not None and queue.current == job_id:
            self.started.setdefault(job_id, time.monotonic())
            return
        if job_id in self.ended or not self.rt.store.get(job_id).state.finished:
            return
        self.ended[job_id] = time.monotonic()
        if len(self.ended) in self.sample_after:
            self.rss[len(self.ended)] = rss_mb()
        if len(self.ended) == JOBS:
            self.all_done.set()

    def on_log(self, line: LogLine) -> None:
        if found := _SERVED.search(line.message):
            self.served.append((line.source, found.group(2)))


def settings_for(tmp: Path) -> AppSettings:
    return AppSettings(
        data_dir=tmp / "data", cache_dir=tmp / "cache", log_dir=tmp / "logs",
        config_dir=tmp / "config", workers=WORKERS, rabbitmq_port=free_port(),
        log_level="DEBUG",  # workers then log each call they served, with its id
    )  # fmt: skip


def spec_for(video: Path, out: Path) -> JobSpec:
    return JobSpec(input=video, targets=["pt"], out_dir=out, model="tiny.en", engine="bergamot",
                   formats=["srt"])  # fmt: skip


def clips(tmp: Path) -> list[Path]:
    """``JOBS`` copies of the 11 s jfk video, each its own file (own output names)."""
    jfk = make_video(tmp / "jfk.mp4")
    return [Path(shutil.copy(jfk, tmp / f"jfk{n:02d}.mp4")) for n in range(JOBS)]


async def run_load(tmp: Path) -> tuple[list[JobRecord], Watch, float]:
    """Submit every job at once, run the queue to the last one; returns jobs in order."""
    rt = AppRuntime(settings_for(tmp))
    watch = Watch(rt, sample_after=(5, JOBS))
    rt.on_log.append(watch.on_log)
    await rt.start()
    try:
        assert rt.queue is not None and rt.events is not None
        await rt.events.wait_for_workers(WORKERS, "asr", timeout=240)
        rt.queue.on_change.append(watch.on_change)
        specs = [spec_for(video, tmp / "out") for video in clips(tmp)]
        jobs = [rt.queue.submit(spec) for spec in specs]
        watch.queued_at = time.monotonic()
        await rt.queue.start()
        await asyncio.wait_for(watch.all_done.wait(), 240)
        wall = time.monotonic() - watch.queued_at
        return [rt.store.get(j) for j in jobs], watch, wall
    finally:
        await rt.stop()


async def test_twenty_queued_jobs_over_four_workers_all_finish_in_order_memory_flat(
    tmp_path: Path,
) -> None:
    records, watch, wall = await run_load(tmp_path)
    jobs = [r.id for r in records]
    for n, job in enumerate(jobs):
        wait = watch.started[job] - watch.queued_at
        run = watch.ended[job] - watch.started[job]
        print(f"load: job {n:02d} {job} {records[n].state} wait={wait:.1f}s run={run:.1f}s")
    ours = [(w, c) for w, c in watch.served if c.split(".", 1)[0] in set(jobs)]
    per_worker = Counter(w for w, _ in ours)
    per_method = Counter(c.split(".")[1] for _, c in ours)
    done = sum(r.state is JobState.DONE for r in records)
    growth = watch.rss[JOBS] - watch.rss[5]
    print(
        f"reliability: load jobs={JOBS} workers={WORKERS} done={done} wall={wall:.0f}s "
        f"rss_after_5={watch.rss[5]:.1f}MB rss_after_20={watch.rss[JOBS]:.1f}MB "
        f"growth={growth:.1f}MB calls_per_worker={sorted(per_worker.values())} "
        f"calls_by_kind={dict(per_method)}"
    )
    failed = {r.id: r.error for r in records if r.state is not JobState.DONE}
    assert not failed, f"jobs not done: {failed}"
    for n, record in enumerate(records):
        srt = tmp_path / "out" / f"jfk{n:02d}.pt.srt"
        assert str(srt) in record.outputs, record.outputs
        assert any(event.text.strip() for event in pysubs2.load(str(srt)))
    # none starves: FIFO, each starts after the previous one ended, in submission order
    assert sorted(jobs, key=watch.started.__getitem__) == jobs
    assert sorted(jobs, key=watch.ended.__getitem__) == jobs
    assert all(watch.started[b] >= watch.ended[a] for a, b in pairwise(jobs))
    assert per_method["asr"] >= JOBS, "a job's speech was not recognised by a worker"
    assert len(per_worker) == WORKERS, f"a worker served no call: {dict(per_worker)}"
    assert growth < RSS_GROWTH_MAX_MB, f"app RSS grew {growth:.1f} MB from job 5 to job {JOBS}"
