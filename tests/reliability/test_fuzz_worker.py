"""Over 10,000 hostile messages straight into a live worker's queues.

Each message that carries a ``reply_to`` and an id gets the answer JSON-RPC 2.0 owes it (the
oracle in ``fuzz_messages``); notifications and messages without ``reply_to`` get none; no
answer is ever -32603 (nothing reaches a service unvalidated); the worker process stays up,
leaves nothing in its queues and answers a ping afterwards.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import open_caller
from tests.reliability.fuzz_messages import (
    INTERNAL,
    RESULT,
    Hostile,
    expected_answer,
    hostile_messages,
)
from tests.reliability.raw_amqp import RawPublisher
from tests.support.broker import TestBroker
from tests.support.workers import worker_procs
from worker.protocol.system import PING, PingParams
from worker.transport.topology import Names

BATCH = 50
BATCHES = 205  # 10,250 messages
WINDOW = 6  # batches in flight while hypothesis draws the next
REPLY_TIMEOUT = 30.0


def _check_reply(message: Hostile, expected: int, reply: dict[str, object]) -> str:
    """The reply's code (or "result"); asserts it is the owed answer, well-formed and tidy."""
    assert reply.get("jsonrpc") == "2.0", reply
    if expected == RESULT:
        assert "result" in reply and "error" not in reply, (message, reply)
        return "result"
    error = reply.get("error")
    assert isinstance(error, dict), (message, reply)
    assert error.get("code") == expected, (message.body[:300], message.headers, reply)
    assert "Traceback" not in str(error.get("message")), reply
    return str(error["code"])


@dataclass
class Ledger:
    """What was sent, what is owed an answer, and the figures so far."""

    owed: dict[str, tuple[Hostile, int]] = field(default_factory=dict)
    batches: deque[set[str]] = field(default_factory=deque)
    figures: Counter[str] = field(default_factory=Counter)


async def _publish_batch(
    pub: RawPublisher, queues: list[str], batch: list[tuple[Hostile, int]], ledger: Ledger
) -> None:
    """Publish a batch, then wait only for the answers of the batch ``WINDOW`` batches back:
    hypothesis draws the next batches while the worker answers these."""
    now_ms = time.time() * 1000
    sent: set[str] = set()
    sends = []
    for message, which in batch:
        cid = uuid.uuid4().hex
        expected = expected_answer(message, now_ms)
        if message.with_reply_to and expected is not None:
            ledger.owed[cid] = (message, expected)
            sent.add(cid)
        sends.append(pub.publish(queues[which % len(queues)], message, cid))
    await asyncio.gather(*sends)
    ledger.figures["messages"] += len(batch)
    ledger.figures["with_reply_to"] += sum(m.with_reply_to for m, _ in batch)
    ledger.batches.append(sent)
    while len(ledger.batches) > WINDOW:
        await _settle(pub, ledger.batches.popleft(), ledger)


async def _settle(pub: RawPublisher, ids: set[str], ledger: Ledger) -> None:
    """Wait for the answers owed to ``ids`` and check each."""
    missing = await pub.wait_for(ids, REPLY_TIMEOUT)
    assert not missing, (
        f"{len(missing)} owed answers never came, e.g. {ledger.owed[min(missing)][0]}"
    )
    assert pub.replies is not None
    for cid in ids:
        message, expected = ledger.owed[cid]
        code = _check_reply(message, expected, pub.replies.by_id[cid])
        assert code != str(INTERNAL)
        ledger.figures[f"code {code}"] += 1
    ledger.figures["replies"] += len(ids)


async def _settle_all(pub: RawPublisher, ledger: Ledger) -> None:
    while ledger.batches:
        await _settle(pub, ledger.batches.popleft(), ledger)


def test_ten_thousand_hostile_messages_each_get_the_right_answer_and_the_worker_stays_up(
    broker: TestBroker, tmp_path: Path
) -> None:
    pub = RawPublisher(broker.url)
    ledger = Ledger()
    figures = ledger.figures
    started = time.monotonic()
    with worker_procs(broker.url, tmp_path / "w") as pool:
        wid = pool.start(VT_WORKER_SERVICES="system,asr")
        names = Names(pool.prefix)
        queues = [names.service_queue("system"), names.service_queue("asr")]
        caller = pub.run(open_caller(broker.url, pool.prefix))
        pub.run(caller.events.wait_for_workers(1, service="asr", timeout=60))
        pub.run(pub.open())

        @settings(
            max_examples=BATCHES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(
            st.lists(
                st.tuples(hostile_messages(), st.integers(0, 1)), min_size=BATCH, max_size=BATCH
            )
        )
        def fuzz(batch: list[tuple[Hostile, int]]) -> None:
            pub.run(_publish_batch(pub, queues, batch, ledger))

        try:
            fuzz()
            pub.run(_settle_all(pub, ledger))
            pong = pub.run(caller.rpc.call(PING, PingParams(), timeout=30))

            # messages owed no answer may still wait behind the last one owed an answer: the
            # queues are read until empty (a loaded worker may need more than a fixed pause)
            def counts() -> list[int]:
                return [pub.run(pub.message_count(q)) for q in [*queues, names.dead]]

            until = time.monotonic() + 60
            while (left := counts()) != [0, 0, 0] and time.monotonic() < until:
                time.sleep(0.2)
            time.sleep(1.0)  # let an answer owed to nobody arrive, if the worker sends one
            left = counts()
            assert pub.replies is not None
            answered = len(pub.replies.by_id)
        finally:
            pub.run(caller.rpc.close())
            pub.run(caller.rpc.connection.close())
            pub.close()
        assert pool.procs[wid].poll() is None, "the worker died"
        log = pool.log_text(wid)
    assert pong.worker_id == wid
    assert left == [0, 0, 0]
    assert not pub.replies.unreadable
    assert answered == figures["replies"], "an answer came for a message that was owed none"
    assert figures["messages"] >= 10_000
    # The dispatcher's line for a handler that raised (a fuzzed id may itself read "crashed")
    assert not re.search(r"rpc \S+ id=\S+ crashed", log) and "Traceback" not in log
    codes = " ".join(
        f"{k.split()[1]}:{v}" for k, v in sorted(figures.items()) if k.startswith("code")
    )
    print(
        f"reliability: fuzz messages={figures['messages']} with_reply_to={figures['with_reply_to']}"
        f" replies={figures['replies']} wrong=0 internal_errors=0 worker_restarts=0"
        f" codes[{codes}] wall={time.monotonic() - started:.0f}s"
    )
