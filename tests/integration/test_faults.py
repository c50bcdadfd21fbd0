"""Faults on the wire: a broker restart, a worker stopped in the middle of a call."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Caller, open_caller
from tests.support.broker import TestBroker
from tests.support.proxy import CuttableProxy
from tests.support.workers import WorkerProcs, worker_procs
from worker.protocol.system import PING, SLEEP, PingParams, SleepParams
from worker.transport.client import LIVE_CHECK_TTL

pytestmark = pytest.mark.slow


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


async def test_sigterm_lets_the_running_call_finish_before_exit(
    workers: WorkerProcs, caller: Caller
) -> None:
    wid = workers.start()
    await caller.events.wait_for_workers(1)
    call = asyncio.create_task(caller.rpc.call(SLEEP, SleepParams(seconds=1.5), timeout=30))
    await asyncio.sleep(0.5)
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
    await asyncio.sleep(0.5)
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
