"""Fixtures for tests that talk to real workers over the real broker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.broker import TestBroker
from tests.support.workers import WorkerProcs, worker_procs
from worker.transport.client import RpcClient
from worker.transport.connection import connect
from worker.transport.events import EventStream
from worker.transport.settings import BrokerSettings
from worker.transport.topology import Names


@pytest.fixture
def workers(broker: TestBroker, tmp_path: Path) -> Iterator[WorkerProcs]:
    """Real worker processes under a queue prefix private to this test."""
    with worker_procs(broker.url, tmp_path) as pool:
        yield pool


@dataclass
class Caller:
    """A connected client with its event stream."""

    rpc: RpcClient
    events: EventStream


async def open_caller(
    url: str, prefix: str, client_id: str | None = None, heartbeat: int = 2
) -> Caller:
    settings = BrokerSettings(rabbitmq_url=url, rabbitmq_heartbeat=heartbeat)
    conn = await connect(settings, name="test-client")
    names = Names(prefix)
    cid = client_id or f"c{uuid.uuid4().hex[:8]}"
    rpc = RpcClient(conn, client_id=cid, names=names)
    await rpc.start()
    events = EventStream(await conn.channel(), names, cid)
    await events.start()
    return Caller(rpc, events)


@pytest.fixture
async def caller(workers: WorkerProcs) -> AsyncIterator[Caller]:
    """An RpcClient and EventStream on the same prefix as ``workers``."""
    c = await open_caller(workers.url, workers.prefix)
    yield c
    await c.rpc.close()
    await c.rpc.connection.close()
