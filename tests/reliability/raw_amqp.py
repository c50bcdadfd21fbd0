"""A raw AMQP publisher on a loop of its own thread, so synchronous hypothesis tests can use it.

It publishes arbitrary bodies straight into a service queue (no ``RpcClient``, no validation
on the way) and collects whatever comes back on its private reply queue, keyed by
``correlation_id``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection

from tests.reliability.fuzz_messages import Hostile

T = TypeVar("T")


@dataclass
class Replies:
    """Replies seen so far, by correlation id, and those that matched no message sent."""

    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    unreadable: list[bytes] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)


class RawPublisher:
    """Publishes hostile messages to a queue and gathers the replies (one loop thread)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.connection: AbstractRobustConnection | None = None
        self.channel: AbstractChannel | None = None
        self.reply_queue = f"fuzz.reply.{uuid.uuid4().hex[:8]}"
        self.replies: Replies | None = None

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 120.0) -> T:
        """Run ``coro`` on the publisher's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def open(self) -> None:
        self.replies = Replies()
        self.connection = await aio_pika.connect_robust(self.url)
        self.channel = await self.connection.channel(publisher_confirms=True)
        queue = await self.channel.declare_queue(self.reply_queue, exclusive=True)
        await queue.consume(self._on_reply, no_ack=True)

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        assert self.replies is not None
        try:
            body = json.loads(message.body)
        except ValueError:
            self.replies.unreadable.append(message.body)
        else:
            self.replies.by_id[str(message.correlation_id)] = body
        self.replies.arrived.set()

    async def publish(self, queue: str, message: Hostile, correlation_id: str) -> None:
        """Publish one hostile message to ``queue`` through the default exchange."""
        assert self.channel is not None
        await self.channel.default_exchange.publish(
            aio_pika.Message(
                body=message.body,
                headers=message.headers,
                content_type=message.content_type,
                correlation_id=correlation_id,
                reply_to=self.reply_queue if message.with_reply_to else None,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT
                if message.persistent
                else aio_pika.DeliveryMode.NOT_PERSISTENT,
            ),
            routing_key=queue,
        )

    async def wait_for(self, ids: set[str], timeout: float) -> set[str]:
        """Wait until every id in ``ids`` has a reply; returns the ones still missing."""
        assert self.replies is not None
        deadline = self.loop.time() + timeout
        while missing := ids - self.replies.by_id.keys():
            left = deadline - self.loop.time()
            if left <= 0:
                return missing
            self.replies.arrived.clear()
            try:
                async with asyncio.timeout(min(left, 1.0)):
                    await self.replies.arrived.wait()
            except TimeoutError:
                continue
        return set()

    async def message_count(self, queue: str) -> int:
        """Messages ready in ``queue`` now."""
        assert self.connection is not None
        channel = await self.connection.channel()
        try:
            declared = await channel.declare_queue(queue, passive=True)
            return declared.declaration_result.message_count or 0
        finally:
            await channel.close()

    def close(self) -> None:
        if self.connection is not None:
            self.run(self.connection.close(), timeout=15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
