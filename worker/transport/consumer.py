"""The worker's side of the wire: consume calls, publish confirmed replies, then ack.

Ack order is run → publish the response (publisher-confirmed) → ack the request, so a
worker that dies mid-call has its call redelivered to another worker. Calls that crashed
their workers past the delivery limit reach ``vt.dead``; a worker answers them with
``PoisonCall`` so the caller learns which call failed instead of waiting out its deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)

from worker.protocol.errors import PoisonCall
from worker.protocol.jsonrpc import Response, salvage_id
from worker.transport.topology import Names, declare_exchanges, declare_service_queue

log = logging.getLogger(__name__)
Handler = Callable[[bytes, dict[str, Any]], Awaitable[Response | None]]
ControlHandler = Callable[[dict[str, Any]], None]


def _deadline(headers: dict[str, Any]) -> float | None:
    value = headers.get("x-deadline-ms")
    if isinstance(value, int) and not isinstance(value, bool):
        return value / 1000.0
    return None


def _text(value: Any) -> str | None:
    """A text header's value; None when absent, not text, or not UTF-8 (a hostile sender)."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def call_meta_headers(message: AbstractIncomingMessage) -> dict[str, Any]:
    """The call's job id, deadline and client id from its headers (bad values ignored)."""
    headers = dict(message.headers or {})
    return {
        "job_id": _text(headers.get("x-job-id")),
        "deadline": _deadline(headers),
        "client_id": _text(headers.get("x-client-id")),
    }


class CallConsumer:
    """Consumes the queues of the served services with manual ack and a fixed prefetch."""

    def __init__(
        self,
        connection: AbstractRobustConnection,
        names: Names,
        services: list[str],
        handler: Handler,
        *,
        prefetch: int = 1,
        on_control: ControlHandler | None = None,
    ) -> None:
        self.connection = connection
        self.names = names
        self.services = services
        self.handler = handler
        self.prefetch = prefetch
        self.on_control = on_control
        self._channel: AbstractChannel | None = None
        self._reply_channel: AbstractChannel | None = None
        self._consumers: list[tuple[AbstractQueue, str]] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def in_flight(self) -> int:
        """Calls received and not yet acknowledged."""
        return len(self._tasks)

    async def start(self) -> AbstractChannel:
        """Declare the service queues and start consuming; returns the events channel."""
        self._channel = await self.connection.channel()
        await self._channel.set_qos(prefetch_count=self.prefetch)
        self._reply_channel = await self.connection.channel(publisher_confirms=True)
        await declare_exchanges(self._channel, self.names)
        for service in self.services:
            queue = await declare_service_queue(self._channel, self.names, service)
            tag = await queue.consume(self._on_call)
            self._consumers.append((queue, tag))
        dead = await self._channel.declare_queue(
            self.names.dead, durable=True, arguments={"x-queue-type": "quorum"}
        )
        self._consumers.append((dead, await dead.consume(self._on_dead)))
        control = await self._channel.declare_queue(exclusive=True, auto_delete=True)
        await control.bind(self.names.control)
        await control.consume(self._on_control, no_ack=True)
        return self._reply_channel

    async def stop_consuming(self) -> None:
        """Take no new calls (prefetched ones return to the queue when the channel closes)."""
        for queue, tag in self._consumers:
            with contextlib.suppress(Exception):
                await queue.cancel(tag)
        self._consumers.clear()

    async def drain(self, grace: float) -> bool:
        """Wait up to ``grace`` seconds for running calls; True when none is left."""
        if not self._tasks:
            return True
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace)
        return not pending

    async def close(self) -> None:
        """Close the channels; unacknowledged calls go back to their queues."""
        for task in list(self._tasks):
            task.cancel()
        for ch in (self._channel, self._reply_channel):
            if ch is not None and not ch.is_closed:
                with contextlib.suppress(Exception):
                    await ch.close()

    async def _on_call(self, message: AbstractIncomingMessage) -> None:
        # aiormq already runs each delivery in a task of its own: track it, do not add one
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._serve(message)
        except Exception:
            # Never leave a delivery unacknowledged: with prefetch 1 that wedges the worker.
            # Rejected, it is dead-lettered and answered with PoisonCall (see _on_dead).
            log.exception("rpc id=%s could not be served; rejecting it", message.correlation_id)
            with contextlib.suppress(Exception):
                await message.reject(requeue=False)
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _serve(self, message: AbstractIncomingMessage) -> None:
        meta = call_meta_headers(message)
        response = await self.handler(message.body, meta)
        if response is not None and message.reply_to:
            await self._reply(message, response)
        await message.ack()

    async def _reply(self, message: AbstractIncomingMessage, response: Response) -> None:
        if self._reply_channel is None:
            raise RuntimeError("CallConsumer.start() was not called")
        cid = message.correlation_id or (str(response.id) if response.id is not None else None)
        reply = aio_pika.Message(
            body=response.to_bytes(),
            content_type="application/json",
            content_encoding="utf-8",
            correlation_id=cid,
            message_id=cid,
            type="response",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        try:
            await self._reply_channel.default_exchange.publish(
                reply, routing_key=str(message.reply_to)
            )
        except Exception as exc:
            # The reply queue may be gone (a client uninstalled): nobody is left to answer.
            log.warning("rpc id=%s reply to %s not delivered: %s", cid, message.reply_to, exc)

    async def _on_dead(self, message: AbstractIncomingMessage) -> None:
        deaths = (message.headers or {}).get("x-death") or []
        queue = "?"
        if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict):
            queue = str(deaths[0].get("queue", "?"))
        method = "?"
        with contextlib.suppress(ValueError, UnicodeDecodeError, AttributeError):
            method = str(json.loads(message.body).get("method", "?"))
        cid = message.correlation_id or salvage_id(message.body)
        log.error("rpc %s id=%s dead-lettered from %s after repeated failures", method, cid, queue)
        if message.reply_to and cid is not None:
            err = PoisonCall(
                f"{method} (call {cid}) crashed or was rejected by workers on every one of "
                f"its deliveries and was given up"
            )
            await self._reply(message, Response(id=cid, error=err.to_object()))
        await message.ack()

    async def _on_control(self, message: AbstractIncomingMessage) -> None:
        try:
            body = json.loads(message.body)
        except (ValueError, UnicodeDecodeError):
            log.warning("unreadable control message ignored")
            return
        if isinstance(body, dict) and self.on_control is not None:
            self.on_control(body)
