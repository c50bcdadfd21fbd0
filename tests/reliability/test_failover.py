"""Several broker addresses: two independent RabbitMQ nodes (not a cluster), a client and a
real worker process given both (``RABBITMQ_URL=A,B``). The first node is killed; both move to
the second, where the topology, the worker's consumers and the client's reply queue are
declared again, and calls are answered there."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.integration.conftest import open_caller
from tests.support.broker import TestBroker
from tests.support.workers import worker_procs
from worker.protocol.system import PING, PingParams
from worker.transport.connection import FailoverConnection, connect
from worker.transport.settings import BrokerSettings

pytestmark = pytest.mark.slow


@pytest.fixture
def two_nodes(tmp_path: Path) -> Iterator[tuple[TestBroker, TestBroker]]:
    """Two independent private nodes, each with its own user and password."""
    nodes = (TestBroker(tmp_path / "a"), TestBroker(tmp_path / "b"))
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda n: n.start(), nodes))
        yield nodes
    finally:
        for node in nodes:
            node.stop()


async def test_client_and_worker_move_to_the_second_broker_when_the_first_is_killed(
    two_nodes: tuple[TestBroker, TestBroker], tmp_path: Path
) -> None:
    a, b = two_nodes
    urls = f"{a.url},{b.url}"
    with worker_procs(urls, tmp_path / "w") as workers:
        wid = workers.start(RABBITMQ_HEARTBEAT="2")
        opened = time.monotonic()
        caller = await open_caller(urls, workers.prefix)
        conn = caller.rpc.connection
        try:
            assert isinstance(conn, FailoverConnection)
            assert conn.url.port == a.port, "the first broker that answers is used"
            await caller.events.wait_for_workers(1, timeout=60)
            assert (await caller.rpc.call(PING, PingParams(), timeout=10)).worker_id == wid
            # aio-pika tries nothing for 5 s (its reconnect interval) after a connect: a broker
            # lost later, as brokers are, is left at once
            await asyncio.sleep(max(0.0, 5.5 - (time.monotonic() - opened)))

            killed = time.monotonic()
            await asyncio.to_thread(a.kill)
            caller.events.workers.clear()
            await caller.events.wait_for_workers(1, timeout=60)  # presence, now through B
            pong = await caller.rpc.call(PING, PingParams(), timeout=30, require_worker=False)
            recovered = time.monotonic() - killed
            assert pong.worker_id == wid
            assert (conn.url.port, conn.switches) == (b.port, 1)
            assert workers.procs[wid].poll() is None, "the worker moved without a restart"
            # the reply queue and the service queue were declared on B, and are consumed there
            reply_queue = await caller.rpc._queue_counts(caller.rpc.reply_queue_name)
            service_queue = await caller.rpc._queue_counts(f"{workers.prefix}.rpc.system")
            assert (reply_queue, service_queue) == ((0, 1), (0, 1))
            answered = [
                (await caller.rpc.call(PING, PingParams(), timeout=10)).worker_id for _ in range(5)
            ]
            assert answered == [wid] * 5
            print(f"reliability: failover two independent nodes, first SIGKILLed: client and "
                  f"worker answering through the second in {recovered:.1f} s, worker not "
                  f"restarted, 5 of 5 later calls answered")  # fmt: skip
        finally:
            await caller.rpc.close()
            await conn.close()


async def test_the_first_broker_that_answers_is_used(
    two_nodes: tuple[TestBroker, TestBroker],
) -> None:
    a, b = two_nodes
    await asyncio.to_thread(a.kill)
    conn = await connect(BrokerSettings(rabbitmq_url=f"{a.url},{b.url}"), timeout=5.0)
    try:
        assert isinstance(conn, FailoverConnection)
        assert conn.url.port == b.port
        channel = await conn.channel()
        await channel.close()
    finally:
        await conn.close()
