"""The worker's side of the wire: consume calls, publish confirmed replies, then ack.

Ack order is run → publish the response (publisher-confirmed) → ack the request, so a
worker that dies mid-call has its call redelivered to another worker. Calls that crashed
their workers past the delivery limit reach ``vt.dead``; a worker answers them with
``PoisonCall`` so the caller learns which call failed instead of waiting out its deadline.

A call comes back to its queue whenever its worker dies holding it, and a death does not say
whose fault it was: a worker that takes several calls at once (prefetch > 1, to batch them)
returns all of them, and any worker is also killed by users, the OOM killer acting for
another process, or a machine going to sleep. A call returned ``ISOLATE_AFTER`` times is
therefore moved to its service's isolation queue, where it runs alone: the worker that takes
it first lets the calls it is running finish, holds back new ones, and then serves it in a
process of its own that it watches (``run_alone``, see ``worker.alone``). If that process
dies, the call did it: it goes back to run alone once more, and is given up at its
``CRASHES_ALONE_LIMIT``-th such crash, named in its ``PoisonCall``. If the worker itself dies
meanwhile, nothing is counted. Deaths beside other calls never give a call up.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
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
from worker.transport.private_queue import consume_private
from worker.transport.topology import (
    Names,
    declare_exchanges,
    declare_isolation_queue,
    declare_service_queue,
)

log = logging.getLogger(__name__)
#: Returned this many times (its worker died, or lost its connection, while holding it), a
#: call is moved to run alone. Once is common (a worker restarted); twice is suspicious.
ISOLATE_AFTER = 2
#: How often a worker looks for calls waiting to run alone (besides when it moves one).
ISOLATION_POLL_S = 2.0
#: A call that crashed the process that ran it alone this many times is given up.
CRASHES_ALONE_LIMIT = 2
Handler = Callable[[bytes, dict[str, Any]], Awaitable[Response | None]]
ControlHandler = Callable[[dict[str, Any]], None]


class CrashedAlone(Exception):
    """Raised by a lone runner when the process that ran the call died before answering;
    the message says how ("killed by SIGSEGV", "exit code 70")."""


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


def returned(message: AbstractIncomingMessage) -> int:
    """How many times the call came back to its queue unanswered (quorum queues count)."""
    value = (message.headers or {}).get("x-delivery-count")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def call_meta_headers(message: AbstractIncomingMessage) -> dict[str, Any]:
    """The call's job id, deadline and client id from its headers (bad values ignored)."""
    headers = dict(message.headers or {})
    return {
        "job_id": _text(headers.get("x-job-id")),
        "deadline": _deadline(headers),
        "client_id": _text(headers.get("x-client-id")),
    }


def _method_of(body: bytes) -> str:
    """The method a call body names ("?" when it cannot be read)."""
    with contextlib.suppress(ValueError, UnicodeDecodeError, AttributeError):
        return str(json.loads(body).get("method", "?"))
    return "?"


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
        run_alone: Handler | None = None,
    ) -> None:
        self.connection = connection
        self.names = names
        self.services = services
        self.handler = handler
        self.prefetch = prefetch
        self.on_control = on_control
        #: Serves a call that keeps coming back in a process of its own (``worker.alone``),
        #: raising ``CrashedAlone`` when that process dies; None: served here, as any call.
        self.run_alone = run_alone
        self._channel: AbstractChannel | None = None
        self._reply_channel: AbstractChannel | None = None
        self._consumers: list[tuple[AbstractQueue, str]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        # Isolation: calls past the gate run; the gate closes while a
        # call runs alone.
        self._isolation: dict[str, AbstractQueue] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._gate = asyncio.Event()
        self._gate.set()
        self._poke = asyncio.Event()
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = False

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
            alone = await declare_isolation_queue(self._channel, self.names, service)
            self._isolation[service] = alone
            tag = await queue.consume(functools.partial(self._on_call, service))
            self._consumers.append((queue, tag))
        if self._isolation:
            self._watcher = asyncio.create_task(self._watch_isolation(), name="isolation")
        dead = await self._channel.declare_queue(
            self.names.dead, durable=True, arguments={"x-queue-type": "quorum"}
        )
        self._consumers.append((dead, await dead.consume(self._on_dead)))
        await consume_private(self._channel, self.names.control, [""], self._on_control)
        return self._reply_channel

    async def stop_consuming(self) -> None:
        """Take no new calls (prefetched ones return to the queue when the channel closes)."""
        self._stopping = True
        self._poke.set()  # a call running alone finishes; no further one is fetched
        for queue, tag in self._consumers:
            with contextlib.suppress(Exception):
                await queue.cancel(tag)
        self._consumers.clear()

    async def drain(self, grace: float) -> bool:
        """Wait up to ``grace`` seconds for running calls; True when none is left."""
        busy: set[asyncio.Task[None]] = set(self._tasks)
        if self._watcher is not None and not self._watcher.done():
            busy.add(self._watcher)
        if not busy:
            return True
        _, pending = await asyncio.wait(busy, timeout=grace)
        return not pending

    async def close(self) -> None:
        """Close the channels; unacknowledged calls go back to their queues."""
        for task in [*self._tasks, *([self._watcher] if self._watcher else [])]:
            task.cancel()
        for ch in (self._channel, self._reply_channel):
            if ch is not None and not ch.is_closed:
                with contextlib.suppress(Exception):
                    await ch.close()

    async def _on_call(self, service: str, message: AbstractIncomingMessage) -> None:
        # aiormq already runs each delivery in a task of its own: track it, do not add one
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            suspect = service in self._isolation and returned(message) >= ISOLATE_AFTER
            if suspect and await self._isolate(service, message):
                return
            await self._gate.wait()  # a call running alone has this worker to itself
            if task is not None:
                self._running.add(task)
            await self._serve(message)
        except Exception:
            await self._reject(message)
        finally:
            if task is not None:
                self._tasks.discard(task)
                self._running.discard(task)

    @staticmethod
    async def _reject(message: AbstractIncomingMessage) -> None:
        """In an ``except`` block: log why, and reject the call. Never leave a delivery
        unacknowledged: with prefetch 1 that wedges the worker. Rejected, it is dead-lettered
        and answered with PoisonCall (see _on_dead)."""
        log.exception("rpc id=%s could not be served; rejecting it", message.correlation_id)
        with contextlib.suppress(Exception):
            await message.reject(requeue=False)

    async def _isolate(self, service: str, message: AbstractIncomingMessage) -> bool:
        """Move a call that keeps coming back to the isolation queue; False if it could not
        be moved (it is then served as usual)."""
        if not await self._to_isolation(
            service, message, {"x-returned-before-isolation": returned(message)}
        ):
            return False
        log.warning(
            "rpc id=%s came back %d times with its worker's other calls; it will run alone",
            message.correlation_id, returned(message),
        )  # fmt: skip
        self._poke.set()
        return True

    async def _to_isolation(
        self, service: str, message: AbstractIncomingMessage, extra: dict[str, Any]
    ) -> bool:
        """Publish (confirmed) the call to its isolation queue with ``extra`` headers, then
        ack it here; False when it could not be published (nothing acked)."""
        if self._reply_channel is None:
            return False
        headers = {k: v for k, v in (message.headers or {}).items() if k != "x-delivery-count"}
        headers.update(extra)
        moved = aio_pika.Message(
            body=message.body,
            headers=headers,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            correlation_id=message.correlation_id,
            message_id=message.message_id,
            reply_to=message.reply_to,
            type=message.type,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        try:
            await self._reply_channel.default_exchange.publish(
                moved, routing_key=self.names.isolation_queue(service), mandatory=True
            )
        except Exception as exc:
            log.warning("rpc id=%s could not be isolated: %s", message.correlation_id, exc)
            return False
        await message.ack()
        return True

    async def _watch_isolation(self) -> None:
        """Run the calls waiting in isolation, one at a time, each with the worker to itself."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), ISOLATION_POLL_S)
            self._poke.clear()
            for service, queue in self._isolation.items():
                if self._stopping:
                    return
                try:
                    if (await queue.declare()).message_count:
                        await self._run_alone(service, queue)
                except Exception as exc:  # the connection is down: it comes back by itself
                    log.info("isolation queue %s not served now: %s", queue.name, exc)

    async def _run_alone(self, service: str, queue: AbstractQueue) -> None:
        self._gate.clear()
        try:
            while self._running:  # calls already running finish first
                await asyncio.wait(set(self._running))
            while not self._stopping:
                message = await queue.get(no_ack=False, fail=False)
                if message is None:
                    return
                log.warning("rpc id=%s runs alone", message.correlation_id)
                try:
                    await self._serve_alone(service, message)
                except Exception:
                    await self._reject(message)
        finally:
            self._gate.set()

    async def _serve_alone(self, service: str, message: AbstractIncomingMessage) -> None:
        """Serve a call from the isolation queue in a process of its own (when this worker
        has a lone runner): a death of that process counts against the call, and the call
        is given up at the ``CRASHES_ALONE_LIMIT``-th; a death of this worker counts nothing."""
        if self.run_alone is None:
            await self._serve(message)
            return
        try:
            response = await self.run_alone(message.body, call_meta_headers(message))
        except CrashedAlone as exc:
            if self._stopping:  # stopped with us (a Ctrl-C reaches the whole group): no fault
                log.info("rpc id=%s ran alone until the worker stopped (%s); returned",
                         message.correlation_id, exc)  # fmt: skip
                await message.nack(requeue=True)
                return
            await self._crashed_alone(service, message, str(exc))
            return
        if response is not None and message.reply_to:
            await self._reply(message, response)
        await message.ack()

    async def _crashed_alone(
        self, service: str, message: AbstractIncomingMessage, why: str
    ) -> None:
        crashes = (message.headers or {}).get("x-crashed-alone")
        count = (crashes if isinstance(crashes, int) and not isinstance(crashes, bool) else 0) + 1
        cid = message.correlation_id or salvage_id(message.body)
        if count < CRASHES_ALONE_LIMIT:
            log.error("rpc id=%s crashed the process that ran it alone (%s); it will run "
                      "alone once more", cid, why)  # fmt: skip
            if await self._to_isolation(service, message, {"x-crashed-alone": count}):
                return
            raise RuntimeError(f"rpc id={cid} could not be put back to run alone")
        method = _method_of(message.body)
        log.error("rpc %s id=%s crashed the process that ran it alone %d times (%s); given up",
                  method, cid, count, why)  # fmt: skip
        if message.reply_to and cid is not None:
            err = PoisonCall(
                f"{method} (call {cid}) crashed the worker process each time it ran alone "
                f"({count} times; the last: {why}) and was given up"
            )
            await self._reply(message, Response(id=cid, error=err.to_object()))
        await message.ack()

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
        method = _method_of(message.body)
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
