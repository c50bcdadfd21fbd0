"""Sharing workers fairly: workers name the clients they serve in their presence, and a client
that sees others keeps only its share of the workers' capacity in flight (see
``tests/reliability/test_fairness.py`` for two real clients on real workers)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from vt_desktop.core.jobs.model import JobSpec
from vt_desktop.core.pipeline.context import JobContext
from worker.protocol.system import Capabilities
from worker.transport.clients_seen import ClientsSeen, client_digest
from worker.transport.events import EventStream, WorkerSeen
from worker.transport.topology import Names

ME = "client-me"


def worker(
    wid: str, prefetch: int, clients: list[str], services: list[str] | None = None
) -> WorkerSeen:
    caps = Capabilities(
        worker_id=wid, host="h", pid=1, version="1", services=services or ["system", "asr"],
        prefetch=prefetch, clients=[client_digest(c) for c in clients],
    )  # fmt: skip
    return WorkerSeen(caps)


def context(*workers: WorkerSeen) -> JobContext:
    stream = EventStream(None, Names("vt.rpc"), ME)  # type: ignore[arg-type]
    stream.workers = {w.caps.worker_id: w for w in workers}
    spec = JobSpec(input=Path("talk.mp4"), targets=["de"], out_dir=Path("out"))
    return JobContext("job", spec, None, stream, None)  # type: ignore[arg-type]


def test_a_worker_lists_the_clients_it_serves_and_those_it_served_lately() -> None:
    seen = ClientsSeen(recent_s=0.2)
    with seen.serving("alice"), seen.serving("alice"), seen.serving("bob"):
        assert seen.now() == sorted([client_digest("alice"), client_digest("bob")])
    with seen.serving(None):  # a call without a client id is served, not counted
        assert seen.now() == sorted([client_digest("alice"), client_digest("bob")])
    time.sleep(0.3)
    assert seen.now() == []


def test_a_client_id_is_not_shown_only_its_digest() -> None:
    seen = ClientsSeen()
    with seen.serving("vt-client-1234"):
        assert "vt-client-1234" not in seen.now()
        assert seen.now() == [client_digest("vt-client-1234")]
    assert len(client_digest("vt-client-1234")) == 12


def test_alone_a_client_keeps_the_workers_next_calls_waiting() -> None:
    ctx = context(worker("w1", 1, [ME]), worker("w2", 1, []))
    assert ctx.events.other_clients("asr") == 0
    assert ctx.in_flight("asr", ahead=2) == 4
    assert ctx.in_flight("asr") == 2


@pytest.mark.parametrize(
    ("prefetch", "others", "share"),
    [(1, ["bob"], 1), (1, ["bob", "carol"], 1), (4, ["bob"], 4), (4, ["bob", "carol"], 3)],
)
def test_sharing_a_client_keeps_only_its_share_in_flight(
    prefetch: int, others: list[str], share: int
) -> None:
    ctx = context(worker("w1", prefetch, [ME, others[0]]), worker("w2", prefetch, others))
    assert ctx.events.other_clients("asr") == len(others)
    assert ctx.in_flight("asr", ahead=2) == share  # capacity 2 × prefetch, shared, rounded up


def test_only_the_workers_of_the_service_count() -> None:
    ctx = context(worker("w1", 2, [ME]), worker("m1", 2, ["bob"], services=["system", "mt"]))
    assert ctx.in_flight("asr", ahead=2) == 4
    assert ctx.in_flight("mt") == 1
