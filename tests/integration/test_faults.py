"""Faults on the wire: a broker restart, a worker stopped in the middle of a call."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Caller, open_caller
from tests.support.broker import TestBroker
from tests.support.proxy import CuttableProxy
from tests.support.workers import WorkerProcs, worker_procs
from worker.protocol.errors import Cancelled
from worker.protocol.system import PING, SLEEP, PingParams, SleepParams
from worker.transport.client import LIVE_CHECK_TTL

pytestmark = pytest.mark.slow


async def held_by(caller: Caller, wid: str, call: asyncio.Task[object]) -> None:
    """Wait until worker ``wid``'s presence (every 0.5 s) reports the call running there: a
    fixed pause may signal a worker that has not taken it yet on a loaded machine."""
    loop = asyncio.get_running_loop()
    since = loop.time()
    while not caller.events.workers[wid].caps.load:
        assert loop.time() < since + 30 and not call.done(), f"{wid} never reported the call"
        await asyncio.sleep(0.05)
    assert not call.done(), "the call ended before the worker could be stopped during it"
    print(f"faults: {wid} reported the call held {loop.time() - since:.2f} s after it was sent")


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[TestBroker]:
    """A node of this test's own, so restarting it disturbs no other test."""
    node = TestBroker(tmp_path / "node")
    node.start()
    yield node
    node.stop()


async def test_broker_restart_under_a_client_and_a_worker_both_reconnect(
    own_broker: TestBroker, tmp_path: Path
) -> None:
    with worker_procs(own_broker.url, tmp_path / "w") as workers:
        wid = workers.start()
        caller = await open_caller(own_broker.url, workers.prefix)
        try:
            await caller.events.wait_for_workers(1)
            assert (await caller.rpc.call(PING, PingParams(), timeout=10)).worker_id == wid
            await asyncio.to_thread(own_broker.restart)
            caller.events.workers.clear()
            await caller.events.wait_for_workers(1, timeout=60)
            # presence may come back a moment before the consumer is restored: let the call
            # wait in the queue for it rather than fail fast with NoWorker
            pong = await caller.rpc.call(PING, PingParams(), timeout=30, require_worker=False)
            assert pong.worker_id == wid
            assert workers.procs[wid].poll() is None
        finally:
            await caller.rpc.close()
            await caller.rpc.connection.close()


async def test_a_call_sent_while_the_clients_link_is_cut_waits_for_the_broker(
    own_broker: TestBroker, tmp_path: Path
) -> None:
    """The live-worker check meets a dead connection: it waits for the link, as a publish
    does, instead of failing the call (and the job) with a connection error."""
    proxy = CuttableProxy(own_broker.port)
    proxy.start()
    via_proxy = own_broker.url.replace(f":{own_broker.port}/", f":{proxy.port}/")
    try:
        with worker_procs(own_broker.url, tmp_path / "w") as workers:
            wid = workers.start()  # the worker's own link is not cut
            caller = await open_caller(via_proxy, workers.prefix)
            try:
                await caller.events.wait_for_workers(1)
                assert (await caller.rpc.call(PING, PingParams(), timeout=10)).worker_id == wid
                await asyncio.sleep(LIVE_CHECK_TTL)  # the next call asks the broker again
                proxy.cut()
                call = asyncio.create_task(caller.rpc.call(PING, PingParams(), timeout=60))
                await asyncio.sleep(6.0)  # past the 2 s heartbeat: the link is seen dead
                assert not call.done()
                proxy.restore()
                assert (await call).worker_id == wid
            finally:
                await caller.rpc.close()
                await caller.rpc.connection.close()
    finally:
        proxy.stop()


async def test_links_dropped_on_our_side_only_come_back_at_once_not_when_the_broker_notices(
    own_broker: TestBroker, tmp_path: Path
) -> None:
    """The app's and the worker's connections close on their side while the broker keeps the
    old ones (10 s heartbeats: it notices after 20-30 s). Both reconnect within seconds,
    and their private queues (the app's events, the worker's control queue) come back under
    fresh names. Restored under the old names, which the old connections still held, they
    were refused with RESOURCE_LOCKED, which aborted each connection's restore until the
    broker noticed. Replies reach the new connection at once: the old connection's consumer
    still sits on the app's durable reply queue, and at equal priority the broker handed it
    every other reply, late by as long as it took the broker to notice."""
    proxy = CuttableProxy(own_broker.port)
    proxy.start()
    via_proxy = own_broker.url.replace(f":{own_broker.port}/", f":{proxy.port}/")
    try:
        with worker_procs(via_proxy, tmp_path / "w") as workers:
            wid = workers.start(RABBITMQ_HEARTBEAT="10")
            caller = await open_caller(via_proxy, workers.prefix, heartbeat=10)
            try:
                await caller.events.wait_for_workers(1)
                assert (await caller.rpc.call(PING, PingParams(), timeout=10)).worker_id == wid
                links = proxy.connections
                proxy.sever_clients()
                severed = time.monotonic()
                caller.events.workers.clear()
                # the worker's presence reaches the app again: both links and the app's
                # events queue are back
                await caller.events.wait_for_workers(1, timeout=60)
                back_s = time.monotonic() - severed
                assert proxy.connections >= links + 2  # the app and the worker reconnected
                pongs = await asyncio.gather(
                    *(caller.rpc.call(PING, PingParams(), timeout=60, require_worker=False)
                      for _ in range(6))
                )  # fmt: skip
                replies_s = time.monotonic() - severed
                assert all(p.worker_id == wid for p in pongs)
                # the worker's control queue is back too: a cancel stops its 20 s call (a
                # lost cancel would let it finish and answer normally)
                call = asyncio.create_task(
                    caller.rpc.call(SLEEP, SleepParams(seconds=20), call_id="long-1",
                                    timeout=120, require_worker=False)
                )  # fmt: skip
                await asyncio.sleep(1.0)
                await caller.rpc.cancel(call_id="long-1")
                with pytest.raises(Cancelled):
                    await call
            finally:
                await caller.rpc.close()
                await caller.rpc.connection.close()
    finally:
        proxy.stop()
    # aio-pika reconnects after 5 s; the broker notices the old links after 20-30 s
    assert back_s < 15, back_s
    assert replies_s < 15, replies_s  # 6 of 6 replies, none held by the old consumer
    print(f"reliability: links severed on our side only: back in {back_s:.1f} s, "
          f"6 pings answered by {replies_s:.1f} s")  # fmt: skip


async def test_sigterm_lets_the_running_call_finish_before_exit(
    workers: WorkerProcs, caller: Caller
) -> None:
    wid = workers.start()
    await caller.events.wait_for_workers(1)
    # 3 s: well inside the 5 s stop grace, and long enough to be stopped in its middle
    call = asyncio.create_task(caller.rpc.call(SLEEP, SleepParams(seconds=3), timeout=30))
    await held_by(caller, wid, call)
    workers.procs[wid].send_signal(signal.SIGTERM)
    result = await call
    assert result.worker_id == wid
    assert await asyncio.to_thread(workers.procs[wid].wait, 15) == 0


async def test_a_call_longer_than_the_stop_grace_is_requeued_to_another_worker(
    workers: WorkerProcs, caller: Caller
) -> None:
    first = workers.start("first", VT_STOP_GRACE="0.5")
    await caller.events.wait_for_workers(1)
    call = asyncio.create_task(caller.rpc.call(SLEEP, SleepParams(seconds=3), timeout=60))
    await held_by(caller, first, call)
    workers.procs[first].send_signal(signal.SIGTERM)
    await asyncio.to_thread(workers.procs[first].wait, 15)
    second = workers.start("second")
    result = await call
    assert result.worker_id == second


async def test_worker_whose_broker_is_gone_still_stops_on_sigterm(
    own_broker: TestBroker, tmp_path: Path
) -> None:
    with worker_procs(own_broker.url, tmp_path / "w") as workers:
        wid = workers.start()
        caller = await open_caller(own_broker.url, workers.prefix)
        await caller.events.wait_for_workers(1)
        await caller.rpc.close()
        await caller.rpc.connection.close()
        await asyncio.to_thread(own_broker.stop)
        await asyncio.sleep(1.0)
        workers.procs[wid].send_signal(signal.SIGTERM)
        code = await asyncio.to_thread(workers.procs[wid].wait, 30)
        assert code == 0
