"""Sharing workers fairly: workers name the clients they serve in their presence, and a client
that sees others keeps only its share of the workers' capacity in flight (see
``tests/reliability/test_fairness.py`` for two real clients on real workers)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from vt_desktop.core.jobs.model import JobSpec
from vt_desktop.core.pipeline.context import JobContext, bounded_gather
from worker.protocol.system import Capabilities
from worker.transport.clients_seen import ClientsSeen, client_digest
from worker.transport.events import EventStream
from worker.transport.topology import Names

ME = "client-me"


def caps(
    wid: str, prefetch: int, clients: list[str], services: list[str] | None = None
) -> Capabilities:
    return Capabilities(
        worker_id=wid, host="h", pid=1, version="1", services=services or ["system", "asr"],
        prefetch=prefetch, clients=[client_digest(c) for c in clients],
    )  # fmt: skip


def context(*heartbeats: Capabilities) -> JobContext:
    """A job whose client has heard ``heartbeats`` in this order."""
    stream = EventStream(None, Names("vt.rpc"), ME)  # type: ignore[arg-type]
    for beat in heartbeats:
        stream.note_presence(beat)
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


def test_a_worker_tells_at_once_when_a_new_client_comes() -> None:
    news: list[int] = []
    seen = ClientsSeen(recent_s=0.2, on_new=lambda: news.append(1))
    with seen.serving("alice"):
        assert len(news) == 1
        with seen.serving("alice"), seen.serving(None):
            assert len(news) == 1  # alice is listed already; no id, nobody to list
        with seen.serving("bob"):
            assert len(news) == 2
    with seen.serving("alice"):  # still listed as served lately
        assert len(news) == 2
    time.sleep(0.3)
    with seen.serving("alice"):  # gone from the list: new again
        assert len(news) == 3


def test_alone_a_client_keeps_the_workers_next_calls_waiting_once_it_knows() -> None:
    # a job's first calls: nobody lists this client; another could be starting at the same
    # moment and see nobody either, so each sends half the capacity and both run at once
    ctx = context(caps("w1", 2, []), caps("w2", 2, []))
    assert ctx.events.other_clients("asr") == 0
    assert not ctx.events.listed("asr")
    assert not ctx.events.known_alone("asr")
    assert ctx.in_flight("asr", ahead=2) == 2
    # w1 serves it now (and says so at once): one call per worker slot, none waiting
    ctx.events.note_presence(caps("w1", 2, [ME]))
    assert ctx.events.listed("asr")
    assert ctx.in_flight("asr", ahead=2) == 4
    ctx.events.note_presence(caps("w2", 2, []))
    assert ctx.in_flight("asr", ahead=2) == 4  # w1, which listed it, not heard since
    # every worker heard since it was listed, and none serves anyone else: it is alone
    ctx.events.note_presence(caps("w1", 2, [ME]))
    assert ctx.events.known_alone("asr")
    assert ctx.in_flight("asr", ahead=2) == 8
    assert ctx.in_flight("asr") == 4
    # another client shows up: its share at once, and it must learn again that it is alone
    ctx.events.note_presence(caps("w2", 2, ["bob"]))
    assert ctx.in_flight("asr", ahead=2) == 2
    ctx.events.note_presence(caps("w2", 2, []))
    ctx.events.note_presence(caps("w1", 2, []))  # no longer listed (its job ended)
    assert not ctx.events.known_alone("asr")
    assert ctx.in_flight("asr", ahead=2) == 2


def test_a_single_worker_slot_is_never_halved_to_nothing() -> None:
    ctx = context(caps("w1", 1, []))
    assert ctx.in_flight("asr", ahead=2) == 1


async def test_a_heartbeat_wakes_whoever_waits_for_room() -> None:
    ctx = context(caps("w1", 1, []))
    heard = ctx.events.heard()
    assert not heard.is_set()
    ctx.events.note_presence(caps("w1", 1, [ME]))
    assert heard.is_set()
    assert not ctx.events.heard().is_set()  # a fresh one for the next heartbeat


@pytest.mark.parametrize(
    ("prefetch", "others", "share"),
    [(1, ["bob"], 1), (1, ["bob", "carol"], 1), (4, ["bob"], 4), (4, ["bob", "carol"], 3)],
)
def test_sharing_a_client_keeps_only_its_share_in_flight(
    prefetch: int, others: list[str], share: int
) -> None:
    ctx = context(caps("w1", prefetch, [ME, others[0]]), caps("w2", prefetch, others))
    assert ctx.events.other_clients("asr") == len(others)
    assert ctx.in_flight("asr", ahead=2) == share  # capacity 2 × prefetch, shared, rounded up


def test_only_the_workers_of_the_service_count() -> None:
    ctx = context(caps("w1", 2, [ME]), caps("m1", 2, ["bob"], services=["system", "mt"]))
    assert ctx.in_flight("asr", ahead=2) == 2  # listed, not yet known to be alone
    ctx.events.note_presence(caps("w1", 2, [ME]))
    assert ctx.in_flight("asr", ahead=2) == 4
    assert ctx.in_flight("mt") == 1


async def test_room_that_grows_is_taken_at_the_next_heartbeat() -> None:
    room, heartbeat = [1], [asyncio.Event()]
    started: list[int] = []
    release = asyncio.Event()

    async def run(item: int) -> None:
        started.append(item)
        await release.wait()

    gather = asyncio.create_task(
        bounded_gather([0, 1, 2], run, lambda: room[0], lambda: heartbeat[0])
    )
    await asyncio.sleep(0.05)
    assert started == [0]
    room[0] = 3  # a worker listed this client: more room, and no call has ended
    heartbeat[0].set()
    heartbeat[0] = asyncio.Event()
    await asyncio.sleep(0.05)  # well inside the one-second re-read
    assert started == [0, 1, 2]
    release.set()
    await asyncio.wait_for(gather, 5)


def test_a_client_that_leaves_is_listed_no_longer_unless_a_call_of_its_still_runs() -> None:
    seen = ClientsSeen()
    with seen.serving("alice"):
        pass
    with seen.serving("bob"):
        assert not seen.forget(client_digest("bob"))  # its call still runs here
        assert seen.forget(client_digest("alice"))
        assert seen.now() == [client_digest("bob")]
    assert not seen.forget(client_digest("carol"))  # never served here
    assert seen.forget(client_digest("bob"))
    assert seen.now() == []
