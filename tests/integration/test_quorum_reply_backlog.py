"""Replies an earlier run left in a quorum reply queue: what the broker reports of them, and
that ``RpcClient.drain_backlog`` (the app's ``ready_to_run``) takes them all.

On a private node: N replies are published (confirmed) into a client's quorum reply queue
while no client consumes it; a passive declare's message count is compared with
``rabbitmqctl list_queues``; then a client starts on that queue and drains it.

Measured (RabbitMQ on this machine, 8 replies): declare-ok message_count 8 at once;
``rabbitmqctl list_queues messages_ready`` 0 at once and 8 a few seconds later (it reads the
queue's statistics, emitted periodically). The declare-ok count the drain relies on is exact;
the tool's is the one that lags."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import aio_pika
import pytest

from tests.support.broker import TestBroker
from worker.protocol.jsonrpc import Response
from worker.transport.client import RpcClient
from worker.transport.connection import connect
from worker.transport.settings import BrokerSettings
from worker.transport.topology import Names, declare_reply_queue

pytestmark = pytest.mark.slow
LEFT = 8


@pytest.fixture
def node(tmp_path: Path) -> Iterator[TestBroker]:
    broker = TestBroker(tmp_path / "node")
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


async def test_leftover_replies_in_a_quorum_reply_queue_are_counted_and_taken(
    node: TestBroker,
) -> None:
    names = Names(f"t{uuid.uuid4().hex[:6]}")
    cid = f"c{uuid.uuid4().hex[:8]}"
    conn = await aio_pika.connect(node.url)
    async with conn:
        channel = await conn.channel(publisher_confirms=True)
        queue = await declare_reply_queue(channel, names, f"{node.node.user}.{cid}", quorum=True)
        for i in range(LEFT):
            body = Response(id=f"old-{i}", result={"n": i}).to_bytes()
            await channel.default_exchange.publish(
                aio_pika.Message(body, correlation_id=f"old-{i}"),
                routing_key=queue.name,
            )
        probe = await conn.channel()
        declared = await probe.declare_queue(queue.name, passive=True)
        at_once = declared.declaration_result.message_count
        listed_at_once = _listed_ready(node, queue.name)
        # rabbitmqctl reads the queue's statistics, emitted every few seconds
        listed, later = listed_at_once, at_once
        deadline = time.monotonic() + 15
        while listed != LEFT and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            listed = _listed_ready(node, queue.name)
            again = await probe.declare_queue(queue.name, passive=True)
            later = again.declaration_result.message_count
    print(f"quorum reply queue, {LEFT} replies published (confirmed): passive declare-ok "
          f"message_count={at_once} at once, {later} later; rabbitmqctl list_queues "
          f"messages_ready={listed_at_once} at once, {listed} later")  # fmt: skip
    assert at_once == LEFT
    assert (listed, later) == (LEFT, LEFT)

    taken: list[Response] = []

    async def on_orphan(resp: Response) -> None:
        taken.append(resp)

    client_conn = await connect(BrokerSettings(rabbitmq_url=node.url), name="test-client")
    rpc = RpcClient(client_conn, client_id=cid, names=names, on_orphan_reply=on_orphan)
    try:
        await rpc.start()  # finds the quorum queue and keeps it
        started = time.monotonic()
        backlog = await rpc.drain_backlog(timeout=10)
        drained_s = time.monotonic() - started
        handled_at_return = len(taken)
        ready_after, _ = await rpc._queue_counts(rpc.reply_queue_name)
        # handled just after the broker handed them over (the handler runs per delivery)
        async with asyncio.timeout(5):
            while len(taken) < LEFT:
                await asyncio.sleep(0.01)
    finally:
        await rpc.close()
        await client_conn.close()
    print(f"drain_backlog: {backlog.at_start} ready at first, {backlog.left} when it returned "
          f"after {drained_s:.2f} s, ready {ready_after} just after, {handled_at_return} "
          f"handled by on_orphan_reply when it returned, {len(taken)} in all")  # fmt: skip
    # the client consumes from start(), with no prefetch limit: the broker may have handed
    # over some or all of them before drain_backlog first asks
    assert 0 <= backlog.at_start <= LEFT
    assert backlog.left == 0
    assert ready_after == 0
    assert sorted(str(r.id) for r in taken) == sorted(f"old-{i}" for i in range(LEFT))


def _listed_ready(node: TestBroker, name: str) -> int:
    """The queue's ready messages as ``rabbitmqctl list_queues`` reports them."""
    for line in node.ctl("list_queues", "name", "messages_ready").splitlines():
        fields = line.split()
        if fields and fields[0] == name:
            return int(fields[1])
    raise AssertionError(f"{name} not listed")
