"""RpcClient against a bare aio-pika request/reply loop, on the same private broker.

Prints p50/p99 round trip (one call in flight) and calls/s (64 in flight) for:

* ``rpc``: RpcClient → a real worker process (``python -m worker``, system.echo);
* ``bare``: hand-written aio-pika → a bare responder process doing the same AMQP work
  (quorum request queue, durable reply queue, persistent messages, publisher confirms both
  ways) without our layers: the ratio isolates what our code costs;
* ``bare-transient``: the same on a classic transient queue without confirms (for scale).

and the ratios rpc/bare: medians of interleaved rounds.
Run: ``python bench/rpc_roundtrip.py [--calls N] [--rounds R]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aio_pika

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vt_desktop.core.supervisor.broker import BrokerNode, free_port  # noqa: E402
from worker.protocol.system import ECHO, EchoParams  # noqa: E402
from worker.transport.client import RpcClient  # noqa: E402
from worker.transport.connection import connect  # noqa: E402
from worker.transport.events import EventStream  # noqa: E402
from worker.transport.settings import BrokerSettings  # noqa: E402
from worker.transport.topology import Names  # noqa: E402

SHM = Path("/dev/shm")  # noqa: S108 (a private mkdtemp inside it, removed by the OS)
Call = Callable[[int], Awaitable[None]]
Closer = Callable[[], Awaitable[None]]


async def bare_server(url: str, queue_name: str, durable: bool) -> None:
    """Answer every request on ``queue_name`` with its own body (the bare baseline)."""
    conn = await aio_pika.connect(url)
    channel = await conn.channel(publisher_confirms=durable)
    await channel.set_qos(prefetch_count=1)
    args: dict[str, Any] = {"x-queue-type": "quorum"} if durable else {}
    queue = await channel.declare_queue(queue_name, durable=durable, arguments=args)
    mode = aio_pika.DeliveryMode.PERSISTENT if durable else aio_pika.DeliveryMode.NOT_PERSISTENT
    async with queue.iterator() as it:
        async for msg in it:
            reply = aio_pika.Message(
                msg.body, correlation_id=msg.correlation_id, delivery_mode=mode
            )
            await channel.default_exchange.publish(reply, routing_key=str(msg.reply_to))
            await msg.ack()


async def bare_client(url: str, queue_name: str, durable: bool) -> tuple[Call, Closer]:
    conn = await aio_pika.connect(url)
    channel = await conn.channel(publisher_confirms=durable)
    # Like-for-like with RpcClient: a durable reply queue, so persistent replies hit the disk.
    reply_q = await channel.declare_queue(
        f"bare.reply.{uuid.uuid4().hex[:6]}",
        durable=durable,
        auto_delete=not durable,
        arguments={"x-expires": 60_000} if durable else {},
    )
    pending: dict[str, asyncio.Future[bytes]] = {}

    async def on_reply(msg: aio_pika.abc.AbstractIncomingMessage) -> None:
        fut = pending.pop(str(msg.correlation_id), None)
        if fut is not None:
            fut.set_result(msg.body)

    await reply_q.consume(on_reply, no_ack=True)
    mode = aio_pika.DeliveryMode.PERSISTENT if durable else aio_pika.DeliveryMode.NOT_PERSISTENT

    async def call(i: int) -> None:
        cid = uuid.uuid4().hex
        fut: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        pending[cid] = fut
        body = b'{"jsonrpc":"2.0","method":"system.echo","params":{"value":%d},"id":"%s"}' % (
            i,
            cid.encode(),
        )
        await channel.default_exchange.publish(
            aio_pika.Message(body, correlation_id=cid, reply_to=reply_q.name, delivery_mode=mode),
            routing_key=queue_name,
        )
        await asyncio.wait_for(fut, 30)

    return call, conn.close


async def rpc_client(url: str, prefix: str) -> tuple[Call, Closer]:
    conn = await connect(BrokerSettings(), url=url, name="bench")
    names = Names(prefix)
    client = RpcClient(conn, client_id=f"bench{uuid.uuid4().hex[:6]}", names=names)
    await client.start()
    events = EventStream(await conn.channel(), names, client.client_id)
    await events.start()
    await events.wait_for_workers(1, timeout=60)

    async def call(i: int) -> None:
        await client.call(ECHO, EchoParams(value=i), timeout=30)

    async def close() -> None:
        await client.close()
        await conn.close()

    return call, close


async def measure(call: Call, calls: int, inflight: int) -> tuple[float, float, float]:
    for i in range(50):  # warm up
        await call(i)
    lat = []
    for i in range(calls):
        t = time.perf_counter()
        await call(i)
        lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    p50 = statistics.median(lat)
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    sem = asyncio.Semaphore(inflight)

    async def bounded(i: int) -> None:
        async with sem:
            await call(i)

    total = calls * 4
    t = time.perf_counter()
    await asyncio.gather(*(bounded(i) for i in range(total)))
    rate = total / (time.perf_counter() - t)
    return p50, p99, rate


def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def run(calls: int, rounds: int) -> None:
    # The broker's data on tmpfs when there is one: the VM disk's fsync latency varies more
    # from run to run than the code overhead this bench measures (both paths are durable).
    base = Path(tempfile.mkdtemp(prefix="vt-bench-", dir=SHM if SHM.is_dir() else None))
    node = BrokerNode(base / "broker", port=free_port())
    await node.start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        env = dict(
            os.environ,
            RABBITMQ_URL=node.url,
            RABBITMQ_RPC_QUEUE="bench",
            VT_CONFIG_DIR=str(base / "cfg"),
            VT_WORKER_SERVICES="system",
            LOG_LEVEL="WARNING",
        )
        procs.append(spawn(["-m", "worker", "--worker-id", "bench-worker"], env))
        procs.append(spawn([__file__, "--serve", "bare.q", "--durable", "--url", node.url], env))
        procs.append(spawn([__file__, "--serve", "bare.t", "--url", node.url], env))
        await asyncio.sleep(3)
        samples: dict[str, list[tuple[float, float, float]]] = {}
        factories: list[tuple[str, Callable[[], Awaitable[tuple[Call, Closer]]]]] = [
            ("bare", lambda: bare_client(node.url, "bare.q", True)),
            ("rpc", lambda: rpc_client(node.url, "bench")),
            ("bare-transient", lambda: bare_client(node.url, "bare.t", False)),
        ]
        # Interleaved rounds, medians: the disk under durable queues makes single runs noisy.
        for _ in range(rounds):
            for name, factory in factories:
                call, close = await factory()
                samples.setdefault(name, []).append(await measure(call, calls, 64))
                await close()
        rows = {
            name: (
                statistics.median(r[0] for r in runs),
                statistics.median(r[1] for r in runs),
                statistics.median(r[2] for r in runs),
            )
            for name, runs in samples.items()
        }
    finally:
        for p in procs:
            p.terminate()
            p.wait()
        await node.stop()
    print(f"{'path':<16}{'p50 ms':>10}{'p99 ms':>10}{'calls/s (64 in flight)':>26}")
    for name, (p50, p99, rate) in rows.items():
        print(f"{name:<16}{p50:>10.2f}{p99:>10.2f}{rate:>26.0f}")
    r, b = rows["rpc"], rows["bare"]
    print(
        f"ratio rpc/bare: p50 {r[0] / b[0]:.2f}x (target <= 1.25x), "
        f"p99 {r[1] / b[1]:.2f}x, throughput {r[2] / b[2]:.2f}x (target >= 0.8x)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--serve")
    ap.add_argument("--durable", action="store_true")
    ap.add_argument("--url")
    args = ap.parse_args()
    if args.serve:
        asyncio.run(bare_server(args.url, args.serve, args.durable))
    else:
        asyncio.run(run(args.calls, args.rounds))


if __name__ == "__main__":
    main()
