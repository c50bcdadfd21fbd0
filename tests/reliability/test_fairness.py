"""Two people sharing workers: two app installs (two client ids, each its own store and reply
queue) start a long job at the same moment on the same two workers (tiny.en).

RabbitMQ has no fair queuing across publishers: a service queue hands calls out in the order
they were published. Alone on the workers, a client keeps ``AHEAD`` × their capacity in flight
(each worker has its next call waiting); two clients doing that would hold the queue in blocks
of 4 calls each, and each would wait 2-3 calls' time between results (measured before the fix:
longest waits 2-3 median calls). So each worker says in its presence which clients it serves
(``worker/transport/clients_seen.py``), at once when a new one comes, and a client that sees
others keeps only its share of the capacity in flight (``JobContext.in_flight``): no call
waits in the queue, and each client gets a result within one call's time. At a job's start a
client sends only half the capacity until a worker lists it: two clients that start together
cannot see each other before that, and with full waves one of them waited behind the other's
(the start race).
"""

from __future__ import annotations

import asyncio
import itertools
import re
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.broker import TestBroker
from tests.support.media import make_talk_video
from tests.support.workers import worker_procs
from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.model import JobSpec
from vt_desktop.core.runtime import AppRuntime

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
TALK_S = 600.0
WORKERS = 2
AFTER_S = 6.0  # at most this long a window after the first job's end
ROUND_TRIP_S = 0.5  # reply, store write, the next call sent, this test's 50 ms poll
SERVED = re.compile(r"answered rpc asr\.transcribe id=\S+ in ([0-9.]+) s: ok")


@dataclass
class Progress:
    """When each of one job's results arrived (seconds from the common start)."""

    arrivals: list[float] = field(default_factory=list)
    wall_s: float = 0.0

    def longest_wait(self, start: float, end: float) -> float:
        """The longest stretch within [start, end] in which this job got no result."""
        inside = [start, *(t for t in self.arrivals if start < t < end), end]
        return max(b - a for a, b in itertools.pairwise(inside))


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_talk_video(tmp_path_factory.mktemp("talk") / "talk.mp4", seconds=TALK_S)


def app_settings(url: str, prefix: str, home: Path) -> AppSettings:
    return AppSettings(
        mode="remote", rabbitmq_url=url, workers=0, rabbitmq_rpc_queue=prefix,
        data_dir=home / "data", cache_dir=home / "cache", log_dir=home / "logs",
        config_dir=home / "config",
    )  # fmt: skip


async def follow(
    rt: AppRuntime, job: str, progress: Progress, started: float, delay_s: float = 0.0
) -> None:
    """Start ``job`` ``delay_s`` after ``started`` and note the time of each result stored
    for it until it ends."""
    assert rt.runner is not None
    await asyncio.sleep(delay_s)
    running = asyncio.create_task(rt.runner.run(job))
    seen = 0
    while True:
        ended = running.done()
        count = rt.store.result_count(job)
        progress.arrivals.extend([time.monotonic() - started] * (count - seen))
        seen = count
        if ended:
            break
        await asyncio.sleep(0.05)
    outcome = await running
    progress.wall_s = time.monotonic() - started
    assert rt.store.get(job).state.value == "done", outcome


async def share_workers(
    broker: TestBroker, talk: Path, tmp_path: Path, b_after_s: float
) -> tuple[Progress, Progress, list[float]]:
    """Two app installs each run a job on the same workers, b's starting ``b_after_s``
    after a's: when each result came, and how long each call took in the workers."""
    with worker_procs(broker.url, tmp_path / "workers") as pool:
        for _ in range(WORKERS):
            pool.start(VT_WORKER_SERVICES="system,asr")
        apps = [AppRuntime(app_settings(broker.url, pool.prefix, tmp_path / n)) for n in "ab"]
        for rt in apps:
            await rt.start()
        try:
            assert apps[0].settings.client_id != apps[1].settings.client_id
            for rt in apps:
                assert rt.events is not None
                await rt.events.wait_for_workers(WORKERS, "asr", timeout=120)
            specs = [
                JobSpec(
                    input=talk,
                    targets=["en"],
                    out_dir=tmp_path / f"out{i}",
                    model="tiny.en",
                    formats=["srt"],
                )
                for i in range(2)
            ]
            jobs = [rt.store.create_job(spec) for rt, spec in zip(apps, specs, strict=True)]
            runs = [Progress(), Progress()]
            started = time.monotonic()
            both = zip(apps, jobs, runs, (0.0, b_after_s), strict=True)
            await asyncio.wait_for(
                asyncio.gather(*(follow(rt, j, p, started, d) for rt, j, p, d in both)), 600
            )
        finally:
            for rt in apps:
                await rt.stop()
        served = [float(s) for wid in pool.procs for s in SERVED.findall(pool.log_text(wid))]
    return runs[0], runs[1], served


async def test_two_clients_sharing_two_workers_both_advance_and_neither_starves(
    broker: TestBroker, talk: Path, tmp_path: Path
) -> None:
    a, b, served = await share_workers(broker, talk, tmp_path, 0.0)
    runs = [a, b]
    call_s, longest_call = statistics.median(served), max(served)
    one_call = longest_call + ROUND_TRIP_S
    both_from = max(a.arrivals[0], b.arrivals[0])
    both_until = min(a.wall_s, b.wall_s)
    waits = [p.longest_wait(both_from, both_until) for p in runs]
    first_gap = abs(a.arrivals[0] - b.arrivals[0])
    # how far apart the two jobs' k-th results came (same video, so the same k-th segment)
    lags = [abs(x - y) for x, y in zip(a.arrivals, b.arrivals, strict=False)]
    lag = max(lags)
    print(
        f"reliability: two clients on {WORKERS} workers, {TALK_S:.0f} s talk each: "
        f"results a={len(a.arrivals)} b={len(b.arrivals)}; walls a={a.wall_s:.1f}s "
        f"b={b.wall_s:.1f}s; first results {a.arrivals[0]:.1f}s / {b.arrivals[0]:.1f}s; "
        f"longest wait for a result while both ran a={waits[0]:.1f}s b={waits[1]:.1f}s; "
        f"asr call median {call_s:.2f}s max {longest_call:.2f}s over {len(served)} calls; "
        f"longest wait in calls a={waits[0] / call_s:.1f} b={waits[1] / call_s:.1f}; "
        f"k-th results at most {lag:.2f}s apart ({lag / call_s:.2f} calls, k={lags.index(lag) + 1})"
    )
    assert len(a.arrivals) == len(b.arrivals), (len(a.arrivals), len(b.arrivals))
    # Both advance, each within one call's time of the other: from start to end neither
    # waits longer than the longest call served plus the round trip outside the worker, and
    # the k-th results of the two come within that of each other. Before the fair share,
    # blocks of 4 queued calls made the waits 2-3 median calls; before the start rule (half
    # the capacity until a worker lists the client), a start race left one client 2 calls
    # behind to the end (k-th results 2.8 calls apart).
    assert first_gap <= one_call, (first_gap, one_call)
    assert max(waits) <= one_call, (waits, longest_call, a.arrivals, b.arrivals)
    assert lag <= one_call, (lag, longest_call, a.arrivals, b.arrivals)
    # neither starves: each takes about as long as both jobs together, not half of it
    assert min(a.wall_s, b.wall_s) >= 0.8 * max(a.wall_s, b.wall_s)


async def test_a_client_that_joins_a_running_job_waits_at_most_a_queue_and_then_its_share(
    broker: TestBroker, talk: Path, tmp_path: Path
) -> None:
    """a runs alone first and knows it (a presence from every worker since they listed it),
    so it keeps a next call waiting in the queue for each worker. b's first calls queue
    behind those: b waits them out once, and from then on both get their share."""
    joins_s = 8.0
    a, b, served = await share_workers(broker, talk, tmp_path, joins_s)
    call_s, longest_call = statistics.median(served), max(served)
    one_call = longest_call + ROUND_TRIP_S
    first_wait = b.arrivals[0] - joins_s
    a_before = sum(t < joins_s for t in a.arrivals)
    settled = b.arrivals[1]  # b's second result: a's queued calls are answered by then
    both_until = min(a.wall_s, b.wall_s)
    waits = [p.longest_wait(settled, both_until) for p in (a, b)]
    print(
        f"reliability: b joins a's job on {WORKERS} workers {joins_s:.0f} s after it started "
        f"(a had {a_before} results by then): b's first result {first_wait:.1f}s after it "
        f"started ({first_wait / call_s:.1f} median calls), its second at "
        f"{b.arrivals[1] - joins_s:.1f}s; from then on the longest wait for a result while "
        f"both ran a={waits[0]:.1f}s b={waits[1]:.1f}s; walls a={a.wall_s:.1f}s "
        f"b={b.wall_s - joins_s:.1f}s from its start; asr call median {call_s:.2f}s max "
        f"{longest_call:.2f}s"
    )
    # a's job ended and its app told the workers (RpcClient.leave): b takes every worker at
    # once, not only after the workers forget a (6 s after its last call)
    window = min(AFTER_S, b.wall_s - a.wall_s - ROUND_TRIP_S)
    alone = [t for t in b.arrivals if a.wall_s < t <= a.wall_s + window]
    workers_worth = len(alone) * call_s / window
    print(
        f"reliability: in the {window:.1f} s after a's job ended, b got {len(alone)} results "
        f"({workers_worth:.1f} workers' worth at the median call; 1.0 before a's app told "
        f"the workers it had left)"
    )
    assert window >= 3.0, (a.wall_s, b.wall_s)
    assert workers_worth >= 1.5, (alone, call_s, window)
    assert len(a.arrivals) == len(b.arrivals), (len(a.arrivals), len(b.arrivals))
    # b's first call waits behind at most one queued call per worker, then runs
    assert first_wait <= 3 * longest_call + ROUND_TRIP_S, (first_wait, longest_call)
    assert max(waits) <= one_call, (waits, longest_call, a.arrivals, b.arrivals)


async def test_an_app_that_stops_after_its_job_is_dropped_from_the_workers_lists_at_once(
    broker: TestBroker, tmp_path: Path
) -> None:
    """``vt translate`` ends its run and stops: its app says it has left before its link
    closes, so the others sharing the workers get their share back within a heartbeat, not
    ``RECENT_S`` (6 s) after its last call."""
    clip = make_talk_video(tmp_path / "clip.mp4", seconds=60.0)
    with worker_procs(broker.url, tmp_path / "workers") as pool:
        for _ in range(WORKERS):
            pool.start(VT_WORKER_SERVICES="system,asr")
        app, other = (AppRuntime(app_settings(broker.url, pool.prefix, tmp_path / n)) for n in "ab")
        await other.start()
        try:
            await app.start()
            assert app.runner is not None and other.events is not None
            await other.events.wait_for_workers(WORKERS, "asr", timeout=120)
            spec = JobSpec(input=clip, targets=["en"], out_dir=tmp_path / "out",
                           model="tiny.en", formats=["srt"])  # fmt: skip
            assert app.events is not None
            gone, events = app.events.digest, other.events

            def listed() -> bool:
                return any(gone in c.clients for c in events.online("asr"))

            seen_listed = False

            async def watch() -> None:
                nonlocal seen_listed
                while not seen_listed:
                    seen_listed = listed()
                    await asyncio.sleep(0.05)

            watching = asyncio.create_task(watch())
            await asyncio.wait_for(app.runner.run(app.store.create_job(spec)), 300)
            await app.stop()  # at once, as the CLI does
            stopped = time.monotonic()
            watching.cancel()
            assert seen_listed  # the other app saw it while its job ran
            while listed():
                assert time.monotonic() - stopped < 5.0, "still listed"
                await asyncio.sleep(0.05)
            dropped_s = time.monotonic() - stopped
        finally:
            await other.stop()
    print(f"reliability: an app that stopped after its job was off the workers' lists "
          f"{dropped_s:.2f} s later (RECENT_S 6 s without its leave)")  # fmt: skip
    assert dropped_s < 2.0
