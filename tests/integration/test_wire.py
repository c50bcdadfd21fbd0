"""The wire contract against a real RabbitMQ node and real worker processes."""

from __future__ import annotations

import asyncio
import json
import signal
import time

import aio_pika
import pytest

from tests.integration.conftest import Caller
from tests.support.workers import WorkerProcs
from worker.protocol.errors import (
    CallTimeout,
    Cancelled,
    InvalidParams,
    MethodNotFound,
    NoWorker,
)
from worker.protocol.jsonrpc import new_call_id, parse_response
from worker.protocol.system import (
    ECHO,
    PING,
    SLEEP,
    EchoParams,
    PingParams,
    SleepParams,
)
from worker.transport.client import LIVE_CHECK_TTL

pytestmark = pytest.mark.slow


async def test_ping_and_echo_round_trip(workers: WorkerProcs, caller: Caller) -> None:
    wid = workers.start()
    await caller.events.wait_for_workers(1)
    pong = await caller.rpc.call(PING, PingParams(), timeout=10)
    assert pong.worker_id == wid
    value = {"text": "ünïcödé ✓", "n": [1, 2.5, None, True]}
    echoed = await caller.rpc.call(ECHO, EchoParams(value=value), timeout=10)
    assert echoed.value == value


async def test_unknown_method_is_answered_with_32601(workers: WorkerProcs, caller: Caller) -> None:
    workers.start()
    await caller.events.wait_for_workers(1)
    with pytest.raises(MethodNotFound) as err:
        await caller.rpc.call_raw("system.nope", {}, timeout=10)
    assert err.value.code == -32601
    assert "system.nope" in err.value.message


async def test_bad_params_are_answered_with_32602_naming_the_field(
    workers: WorkerProcs, caller: Caller
) -> None:
    workers.start()
    await caller.events.wait_for_workers(1)
    with pytest.raises(InvalidParams) as err:
        await caller.rpc.call_raw("system.sleep", {"seconds": "forever"}, timeout=10)
    assert err.value.code == -32602
    assert "seconds" in err.value.message
    details = err.value.data
    assert isinstance(details, list)
    assert details[0]["field"] == "seconds"


async def test_malformed_json_gets_32700_and_the_worker_keeps_serving(
    workers: WorkerProcs, caller: Caller
) -> None:
    workers.start()
    await caller.events.wait_for_workers(1)
    conn = caller.rpc.connection
    channel = await conn.channel()
    reply_q = await channel.declare_queue(exclusive=True)
    exchange = await channel.get_exchange(caller.rpc.names.rpc)
    for body in (b"{not json", b"\xff\xfe", b"[]", b'{"jsonrpc": "1.0", "method": 3, "id": 7}'):
        await exchange.publish(
            aio_pika.Message(body=body, reply_to=reply_q.name, correlation_id="bad"),
            routing_key="system",
        )
    codes = []
    async with reply_q.iterator() as it:
        async for message in it:
            await message.ack()
            error = parse_response(message.body).error
            assert error is not None
            codes.append(error.code)
            if len(codes) == 4:
                break
    assert sorted(codes) == [-32700, -32700, -32600, -32600]
    pong = await caller.rpc.call(PING, PingParams(), timeout=10)
    assert pong.worker_id


async def test_call_to_a_service_nobody_serves_fails_at_once(
    workers: WorkerProcs, caller: Caller
) -> None:
    started = time.monotonic()
    with pytest.raises(NoWorker) as err:
        await caller.rpc.call_raw("asr.transcribe", {}, timeout=30)
    told_s = time.monotonic() - started
    print(f"wire: NoWorker told after {told_s:.2f} s (call timeout 30 s)")
    assert told_s < 10.0, "told at once, not after the call's 30 s timeout"
    assert "asr" in err.value.message


async def test_the_live_worker_check_asks_the_broker_each_time_not_a_cached_count(
    workers: WorkerProcs, caller: Caller
) -> None:
    """Regression: aio-pika answered a repeated passive declare from its cache, so the count
    of consumers seen first (or at a reconnect, before the workers were back) held forever:
    after a cut link every call failed with NoWorker while two workers sat idle."""
    first = workers.start()
    await caller.events.wait_for_workers(1)
    assert (await caller.rpc.call(PING, PingParams(), timeout=10)).worker_id == first
    workers.kill(first, signal.SIGTERM)  # its consumers leave with it; the queue stays
    await asyncio.sleep(LIVE_CHECK_TTL + 0.2)
    started = time.monotonic()
    with pytest.raises(NoWorker, match="right now"):
        await caller.rpc.call(PING, PingParams(), timeout=30)
    told_s = time.monotonic() - started
    print(f"wire: NoWorker right now told after {told_s:.2f} s (call timeout 30 s)")
    assert told_s < 10.0, "told at once, not after the call's 30 s timeout"
    second = workers.start()
    deadline = time.monotonic() + 60
    while True:  # the worker's consumer is up once the broker counts it
        try:
            pong = await caller.rpc.call(PING, PingParams(), timeout=10)
            break
        except NoWorker:
            assert time.monotonic() < deadline, "a consuming worker was never seen"
            await asyncio.sleep(0.5)
    assert pong.worker_id == second


async def test_call_past_its_deadline_raises_a_typed_timeout(
    workers: WorkerProcs, caller: Caller
) -> None:
    workers.start()
    await caller.events.wait_for_workers(1)
    started = time.monotonic()
    with pytest.raises(CallTimeout):
        await caller.rpc.call(SLEEP, SleepParams(seconds=10), timeout=0.5)
    raised_s = time.monotonic() - started
    print(f"wire: CallTimeout raised after {raised_s:.2f} s (timeout 0.5 s, call 10 s)")
    assert raised_s < 5.0, "raised at the call's deadline, not when the worker answered"


async def test_cancelled_call_gets_32800(workers: WorkerProcs, caller: Caller) -> None:
    workers.start()
    await caller.events.wait_for_workers(1)
    call = asyncio.create_task(
        caller.rpc.call(SLEEP, SleepParams(seconds=20), timeout=30, job_id="job-1")
    )
    await asyncio.sleep(0.5)
    await caller.rpc.cancel(job_id="job-1")
    with pytest.raises(Cancelled) as err:
        await call
    assert err.value.code == -32800
    # later calls of the cancelled job are refused at once; other jobs are served
    with pytest.raises(Cancelled):
        await caller.rpc.call(SLEEP, SleepParams(seconds=5), timeout=10, job_id="job-1")
    assert await caller.rpc.call(SLEEP, SleepParams(seconds=0), timeout=10, job_id="job-2")


async def test_kill_9_of_the_worker_holding_a_call_completes_it_elsewhere_once(
    workers: WorkerProcs, caller: Caller
) -> None:
    first = workers.start("first")
    await caller.events.wait_for_workers(1)
    second = workers.start("second")
    await caller.events.wait_for_workers(2)
    replies: list[str] = []
    caller.rpc.on_orphan_reply = lambda resp: _record(replies, resp)
    call = asyncio.create_task(caller.rpc.call(SLEEP, SleepParams(seconds=5), timeout=60))
    # the holder is the worker whose presence reports the call (heartbeats every 0.5 s); a
    # fixed pause could look before the report and kill the idle one, proving nothing
    loop = asyncio.get_running_loop()
    until = loop.time() + 30
    while not (held := [w for w in (first, second) if caller.events.workers[w].caps.load]):
        assert loop.time() < until and not call.done(), "no worker reported holding the call"
        await asyncio.sleep(0.05)
    assert len(held) == 1 and not call.done(), held
    holder = held[0]
    other = second if holder == first else first
    workers.kill(holder, signal.SIGKILL)
    result = await call
    print(f"wire: call held by {holder}, SIGKILLed; answered by {result.worker_id}")
    assert result.worker_id == other
    await asyncio.sleep(1.0)
    assert replies == []  # no second reply for the same call arrived


async def _record(replies: list[str], resp: object) -> None:
    replies.append(str(resp))


async def test_two_workers_share_the_load_fairly(workers: WorkerProcs, caller: Caller) -> None:
    a, b = workers.start("a"), workers.start("b")
    await caller.events.wait_for_workers(2)
    calls = [caller.rpc.call(SLEEP, SleepParams(seconds=0.3), timeout=30) for _ in range(10)]
    results = await asyncio.gather(*calls)
    served = [r.worker_id for r in results]
    assert abs(served.count(a) - served.count(b)) <= 2, served


async def test_duplicate_replies_are_dropped_by_id(workers: WorkerProcs, caller: Caller) -> None:
    workers.start()
    await caller.events.wait_for_workers(1)
    orphans: list[object] = []

    async def on_orphan(resp: object) -> None:
        orphans.append(resp)

    caller.rpc.on_orphan_reply = on_orphan
    cid = new_call_id()
    await caller.rpc.call_raw("system.echo", {"value": 1}, timeout=10, call_id=cid)
    channel = await caller.rpc.connection.channel()
    body = json.dumps({"jsonrpc": "2.0", "id": cid, "result": {"value": 2}}).encode()
    for _ in range(2):
        await channel.default_exchange.publish(
            aio_pika.Message(body=body, correlation_id=cid), routing_key=caller.rpc.reply_queue_name
        )
    fresh = new_call_id()
    body2 = json.dumps({"jsonrpc": "2.0", "id": fresh, "result": {"value": 3}}).encode()
    for _ in range(2):
        await channel.default_exchange.publish(
            aio_pika.Message(body=body2, correlation_id=fresh),
            routing_key=caller.rpc.reply_queue_name,
        )
    # a marker reply sent after them: once it is handled, so are the four before it (one
    # reply queue, handled in order), however slow the machine
    marker = new_call_id()
    body3 = json.dumps({"jsonrpc": "2.0", "id": marker, "result": {"value": 4}}).encode()
    await channel.default_exchange.publish(
        aio_pika.Message(body=body3, correlation_id=marker),
        routing_key=caller.rpc.reply_queue_name,
    )
    loop = asyncio.get_running_loop()
    until = loop.time() + 30
    while not any(getattr(o, "id", None) == marker for o in orphans):
        assert loop.time() < until, f"the marker reply never arrived: {orphans}"
        await asyncio.sleep(0.05)
    ids = [getattr(o, "id", None) for o in orphans]
    print(f"wire: orphans handled {ids} (fresh={fresh}, marker={marker})")
    assert ids == [fresh, marker]  # the reply for an unknown call reached the handler once


async def test_presence_reports_services_and_load(workers: WorkerProcs, caller: Caller) -> None:
    wid = workers.start()
    await caller.events.wait_for_workers(1)
    caps = caller.events.workers[wid].caps
    assert "system" in caps.services
    assert caps.state == "ready"
    assert caller.events.capacity("system") == 1


async def test_worker_warnings_reach_the_client_as_log_events(
    workers: WorkerProcs, caller: Caller
) -> None:
    wid = workers.start()
    await caller.events.wait_for_workers(1)
    records: list[dict[str, object]] = []
    caller.events.on_log.append(records.append)
    channel = await caller.rpc.connection.channel()
    control = await channel.get_exchange(caller.rpc.names.control)
    await control.publish(aio_pika.Message(body=b"\x00 not json"), routing_key="")
    deadline = time.monotonic() + 10
    while not records and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert records, "no log event arrived"
    assert records[0]["worker_id"] == wid
    assert records[0]["level"] == "WARNING"
    assert "control message" in str(records[0]["message"])


async def test_handled_replies_are_acknowledged_and_failed_ones_come_back(
    workers: WorkerProcs, caller: Caller
) -> None:
    seen: list[str] = []
    fail_once = {"r-3"}

    async def on_orphan(resp: object) -> None:
        rid = str(getattr(resp, "id", ""))
        if rid in fail_once:
            fail_once.discard(rid)
            raise RuntimeError("store busy")
        seen.append(rid)

    caller.rpc.on_orphan_reply = on_orphan
    channel = await caller.rpc.connection.channel()
    for i in range(10):
        body = json.dumps({"jsonrpc": "2.0", "id": f"r-{i}", "result": {"value": i}}).encode()
        await channel.default_exchange.publish(
            aio_pika.Message(body=body, correlation_id=f"r-{i}"),
            routing_key=caller.rpc.reply_queue_name,
        )
    deadline = time.monotonic() + 10
    while len(seen) < 10 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert sorted(seen) == sorted(f"r-{i}" for i in range(10))  # r-3 came back after failing
    await caller.rpc.close()
    # nothing is left in the reply queue: every handled reply was acknowledged before close
    probe = await caller.rpc.connection.channel()
    queue = await probe.declare_queue(caller.rpc.reply_queue_name, passive=True)
    assert queue.declaration_result.message_count == 0
