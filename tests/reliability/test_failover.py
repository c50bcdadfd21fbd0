"""Several broker addresses: two independent RabbitMQ nodes (not a cluster), a client and a
real worker process given both (``RABBITMQ_URL=A,B``). The first node is killed; both move to
the second, where the topology, the worker's consumers and the client's reply queue are
declared again, and calls are answered there."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.integration.conftest import open_caller
from tests.support.broker import TestBroker
from tests.support.workers import worker_procs
from worker.protocol.system import PING, PingParams
from worker.transport.client import RpcClient
from worker.transport.connection import FailoverConnection, connect
from worker.transport.settings import BrokerSettings
from worker.transport.topology import REPLY_QUEUE_EXPIRES_MS, Names

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


async def test_reply_queues_are_quorum_queues_with_several_brokers_and_kept_as_they_are(
    broker: TestBroker,
) -> None:
    """With several brokers (a cluster) a reply queue is a quorum queue: replicated on the
    nodes, a reply outlives the node it was published to. With one it stays classic (3.10's
    quorum queues ignore the consumer priority a link dropped on our side needs). A reply
    queue that exists already is used as it is: its type cannot change, replies may wait."""
    names = Names(f"t{uuid.uuid4().hex[:8]}")

    def reply(client_id: str) -> str:  # the user leads: vt.reply.<user>.<client_id>
        return names.reply_queue(f"{broker.node.user}.{client_id}")

    both = f"{broker.url},{broker.url.replace('127.0.0.1', 'localhost')}"  # one node, 2 URLs
    several = await connect(BrokerSettings(rabbitmq_url=both), name="test-reply-kinds")
    one = await connect(BrokerSettings(rabbitmq_url=broker.url), name="test-reply-kinds")
    try:
        old = await one.channel()
        await old.declare_queue(
            reply("old"), durable=True, arguments={"x-expires": REPLY_QUEUE_EXPIRES_MS}
        )
        await old.close()
        clients = [
            RpcClient(several, client_id="old", names=names),  # classic, from before
            RpcClient(several, client_id="cluster", names=names),
            RpcClient(one, client_id="single", names=names),
            RpcClient(one, client_id="cluster", names=names),  # the same install, one URL now
        ]
        for client in clients:
            await client.start()
        kinds = dict(
            line.split("\t")
            for line in broker.ctl("list_queues", "-q", "--no-table-headers", "name", "type")
            .strip()
            .splitlines()
            if line.startswith(names.reply_queue(""))
        )
        assert kinds == {
            reply("old"): "classic",
            reply("cluster"): "quorum",
            reply("single"): "classic",
        }
        for client in clients:
            await client.close()
    finally:
        await several.close()
        await one.close()
