"""The caller's side of the wire: ``RpcClient`` sends calls and matches their replies.

Requests go to the direct exchange ``vt.rpc`` with the service name as routing key,
``mandatory`` and publisher-confirmed. Replies come back on the client's durable queue
``vt.reply.<user>.<client_id>``, so replies that arrive while the app is closed wait in the
broker; on the next start they reach ``on_orphan_reply``. A reply seen twice is dropped by id
(the bookkeeping of calls and replies: ``worker.transport.replies``).
The broker user's name leads, so that a farm can let each user configure and read
``vt.reply.<user>.*`` only (README "Running a farm").
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, NamedTuple, TypeVar

import aio_pika
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustChannel,
    AbstractRobustConnection,
)
from pamqp.common import FieldTable
from pydantic import BaseModel

from worker.protocol.errors import (
    BrokerError,
    CallTimeout,
    NoWorker,
    error_from_object,
)
from worker.protocol.jsonrpc import encode_request, new_call_id
from worker.protocol.methods import Method
from worker.transport.acks import BatchedAcker
from worker.transport.clients_seen import client_digest
from worker.transport.private_queue import not_restored
from worker.transport.replies import OrphanHandler, PendingCalls
from worker.transport.topology import (
    Exchanges,
    Names,
    declare_exchanges,
    declare_reply_queue,
    reply_queue_fits,
)

log = logging.getLogger(__name__)
R = TypeVar("R", bound=BaseModel)
LIVE_CHECK_TTL = 2.0
LEAVE_TIMEOUT_S = 2.0


class Backlog(NamedTuple):
    """Replies ready in the reply queue, not yet handed to this client, when
    ``RpcClient.drain_backlog`` began and when it returned. The client consumes from
    ``start()``, so ``at_start`` counts only what the broker had not handed over by then
    (not the whole backlog); handed over is not yet handled by ``on_orphan_reply``."""

    at_start: int
    #: 0 once every one was handed over; more when the timeout ran out first.
    left: int


class RpcClient:
    """Sends JSON-RPC calls to workers and awaits their replies with a deadline."""

    def __init__(
        self,
        connection: AbstractRobustConnection,
        *,
        client_id: str,
        names: Names | None = None,
        on_orphan_reply: OrphanHandler | None = None,
        user: str | None = None,
    ) -> None:
        self.connection = connection
        self.client_id = client_id
        #: The broker user (default: the connection URL's): the first part of the reply queue.
        self.user = user or getattr(getattr(connection, "url", None), "user", None) or "guest"
        self._reply_key = f"{self.user}.{client_id}"
        self.names = names or Names()
        self.on_orphan_reply = on_orphan_reply
        self._calls = PendingCalls()
        self._live: dict[str, float] = {}
        self._channel: AbstractChannel | None = None
        self._probe: AbstractRobustChannel | None = None
        self._exchanges: Exchanges | None = None
        self._reply_queue: AbstractQueue | None = None
        self._acker = BatchedAcker()
        self._generation = 0  # of reply consumers: each new one outranks the ones before

    async def start(self) -> None:
        """Declare the topology and start consuming this client's reply queue."""
        self._channel = await self.connection.channel(
            publisher_confirms=True, on_return_raises=True
        )
        self._exchanges = await declare_exchanges(self._channel, self.names)
        # several brokers (a cluster): replicated replies; see declare_reply_queue
        quorum = len(getattr(self.connection, "urls", ())) > 1
        probe = await self.connection.channel()
        if not await reply_queue_fits(probe, self.names, self._reply_key, quorum=quorum):
            quorum = not quorum
        if not probe.is_closed:
            await probe.close()
        self._reply_queue = await declare_reply_queue(
            self._channel, self.names, self._reply_key, quorum=quorum
        )
        await self._consume_replies()
        if isinstance(self._channel, AbstractRobustChannel):
            self._channel.reopen_callbacks.add(self._on_reopen)

    async def _consume_replies(self) -> None:
        """Consume the reply queue, ahead of every earlier consumer of this client.

        A link that died on our side only leaves the old connection's consumer on the queue
        until the broker notices (two heartbeats or more); at equal priority the broker would
        hand it every other reply, which would then wait for that connection's end. Each new
        consumer has a higher ``x-priority`` than the one before, so the broker hands the
        old one nothing while the new one takes (it has no prefetch limit).
        """
        queue = self._reply_queue
        if queue is None:
            raise BrokerError("RpcClient.start() was not called")
        self._generation += 1
        arguments: FieldTable = {"x-priority": self._generation}
        # restored by _on_reopen (with a higher priority), not by aio-pika
        await queue.consume(self._on_reply, arguments=arguments, **not_restored(queue))

    async def _on_reopen(self, _channel: object) -> None:
        try:
            await self._consume_replies()
        except Exception as exc:  # the channel reopens again later and tries again
            log.warning("reply queue not consumed again after a reconnect: %s", exc)

    async def close(self) -> None:
        """Stop consuming, acknowledge what was handled, fail every pending call."""
        await self._acker.drain()
        self._calls.fail_all(BrokerError("client closed before the reply arrived"))
        for ch in (self._probe, self._channel):
            if ch is not None and not ch.is_closed:
                await ch.close()

    @property
    def reply_queue_name(self) -> str:
        """The durable queue this client's replies arrive on."""
        return self.names.reply_queue(self._reply_key)

    async def drain_backlog(self, timeout: float = 10.0) -> Backlog:
        """Wait up to ``timeout`` until the broker has handed this client every reply ready
        in its reply queue (replies of an earlier run); ``.left`` says whether it did."""
        if self._channel is None:
            raise BrokerError("RpcClient.start() was not called")
        at_start, _ = await self._queue_counts(self.reply_queue_name)
        waiting, deadline = at_start, time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            waiting, _ = await self._queue_counts(self.reply_queue_name)
        return Backlog(at_start, waiting)

    async def _queue_counts(self, name: str) -> tuple[int, int]:
        """Messages ready in queue ``name`` and its consumers, asked of the broker now.

        The passive declare is not ``robust``: aio-pika hands back a robust queue's object
        from its cache, with the counts of its first declaration (or of its restore after a
        reconnect, often taken before the workers' consumers were back). A cached zero once
        made every later call fail with NoWorker although the workers were consuming.

        Raises:
            aio_pika.exceptions.ChannelNotFoundEntity: there is no such queue.
        """
        if self._probe is None or self._probe.is_closed:
            self._probe = await self.connection.channel()
        try:
            queue = await self._probe.declare_queue(name, passive=True, robust=False)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            self._probe = None  # the broker closed the channel
            raise
        result = queue.declaration_result
        return result.message_count or 0, result.consumer_count or 0

    @property
    def in_flight(self) -> int:
        """Calls sent and not yet answered."""
        return len(self._calls)

    async def call(
        self,
        method: Method[Any, R],
        params: BaseModel,
        *,
        timeout: float = 30.0,
        job_id: str | None = None,
        call_id: str | None = None,
        require_worker: bool = True,
    ) -> R:
        """Call ``method`` and return its typed result.

        Raises:
            NoWorker: no worker serves the service (at once, when ``require_worker``).
            CallTimeout: no reply within ``timeout`` seconds.
            RpcError: the worker answered with an error (its typed subclass).
        """
        payload = params.model_dump(mode="json")
        raw = await self.call_raw(
            method.name,
            payload,
            timeout=timeout,
            job_id=job_id,
            call_id=call_id,
            require_worker=require_worker,
        )
        return method.result.model_validate(raw)

    async def call_raw(
        self,
        method: str,
        params: dict[str, Any] | None,
        *,
        timeout: float = 30.0,
        job_id: str | None = None,
        call_id: str | None = None,
        require_worker: bool = True,
    ) -> Any:
        """Call by name with plain JSON params; returns the raw ``result``.

        Raises:
            NoWorker: no worker serves the service.
            CallTimeout: no reply within ``timeout`` seconds.
            RpcError: the worker answered with an error.
        """
        cid = call_id or new_call_id()
        deadline = time.time() + timeout
        fut = self._calls.expect(cid)
        started = time.monotonic()
        try:
            await self.send(
                method,
                params,
                call_id=cid,
                deadline=deadline,
                job_id=job_id,
                require_worker=require_worker,
            )
            try:
                async with asyncio.timeout(max(0.0, deadline - time.time())):
                    resp = await fut
            except TimeoutError:
                raise CallTimeout(
                    f"{method} (call {cid}) got no reply within {timeout:.1f} s"
                ) from None
        finally:
            self._calls.forget(cid)
        log.debug("rpc %s id=%s done in %.3fs", method, cid, time.monotonic() - started)
        if resp.error is not None:
            raise error_from_object(resp.error)
        return resp.result

    async def send(
        self,
        method: str,
        params: dict[str, Any] | None,
        *,
        call_id: str,
        deadline: float | None = None,
        job_id: str | None = None,
        require_worker: bool = True,
    ) -> None:
        """Publish one request without waiting for its reply (it reaches a future or
        ``on_orphan_reply``).

        Raises:
            NoWorker: no worker serves the service.
            BrokerError: the broker did not confirm the request before the deadline.
        """
        service = method.partition(".")[0]
        if require_worker:
            await self._require_worker(service, method, deadline)
        headers: dict[str, Any] = {"x-client-id": self.client_id}
        if deadline is not None:
            # milliseconds as an integer: AMQP floats may travel as 32-bit and lose minutes
            headers["x-deadline-ms"] = int(deadline * 1000)
        if job_id is not None:
            headers["x-job-id"] = job_id
        message = aio_pika.Message(
            body=encode_request(method, params, call_id),
            content_type="application/json",
            content_encoding="utf-8",
            correlation_id=call_id,
            message_id=call_id,
            reply_to=self.reply_queue_name,
            type="request",
            headers=headers,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        await self._publish(message, service, method, deadline)

    async def _publish(
        self, message: aio_pika.Message, service: str, method: str, deadline: float | None
    ) -> None:
        limit = deadline if deadline is not None else time.time() + 30.0
        while True:
            try:
                await self._rpc_exchange().publish(message, routing_key=service, mandatory=True)
                return
            except (aio_pika.exceptions.DeliveryError, aio_pika.exceptions.PublishError):
                raise NoWorker(f"no worker serves '{service}' (called {method})") from None
            except (aio_pika.exceptions.AMQPError, ConnectionError, RuntimeError) as exc:
                if time.time() >= limit:
                    raise BrokerError(f"broker unavailable while sending {method}: {exc}") from None
                log.info("broker unavailable (%s); retrying %s", type(exc).__name__, method)
                await asyncio.sleep(0.25)

    def _rpc_exchange(self) -> AbstractExchange:
        if self._exchanges is None:
            raise BrokerError("RpcClient.start() was not called")
        return self._exchanges.rpc

    async def _require_worker(self, service: str, method: str, deadline: float | None) -> None:
        """Fail at once when the service queue has no consumer (cached for a moment).

        While the broker cannot be asked (a cut link, a restart) the check is retried until
        the call's deadline, as a publish is: the connection comes back by itself.

        Raises:
            NoWorker: the queue is missing or has no consumer.
            BrokerError: the broker stayed unavailable until the deadline.
        """
        if time.monotonic() - self._live.get(service, -LIVE_CHECK_TTL) < LIVE_CHECK_TTL:
            return
        limit = deadline if deadline is not None else time.time() + 30.0
        while True:
            try:
                async with asyncio.timeout(max(0.1, limit - time.time())):
                    _, count = await self._queue_counts(self.names.service_queue(service))
                break
            except aio_pika.exceptions.ChannelNotFoundEntity:
                raise NoWorker(f"no worker serves '{service}' (called {method})") from None
            except (
                aio_pika.exceptions.AMQPError,
                ConnectionError,
                RuntimeError,
                TimeoutError,
            ) as exc:
                self._probe = None
                if time.time() >= limit:
                    raise BrokerError(f"broker unavailable while sending {method}: {exc}") from None
                log.info(
                    "broker unavailable (%s); checking for a %s worker again",
                    type(exc).__name__,
                    service,
                )
                await asyncio.sleep(0.25)
        if not count:
            raise NoWorker(f"no worker serves '{service}' right now (called {method})")
        self._live[service] = time.monotonic()

    async def cancel(self, *, job_id: str | None = None, call_id: str | None = None) -> None:
        """Ask every worker to drop queued calls of the job and stop a running one."""
        await self._control({"action": "cancel", "job_id": job_id, "call_id": call_id})

    async def leave(self) -> None:
        """Tell every worker that this client has no calls left for now, so they stop
        counting it against the others' share at once, not ``RECENT_S`` after its last call
        (``worker/transport/clients_seen.py``). Best effort: a failure is logged and
        swallowed, and the workers then forget the client on their own."""
        try:
            await asyncio.wait_for(
                self._control({"action": "leave", "client": client_digest(self.client_id)}),
                LEAVE_TIMEOUT_S,
            )
        except Exception as exc:
            log.info("workers not told that this client left: %s", exc)

    async def _control(self, body: dict[str, Any]) -> None:
        """Publish one message to every worker on the control exchange."""
        if self._exchanges is None:
            raise BrokerError("RpcClient.start() was not called")
        await self._exchanges.control.publish(
            aio_pika.Message(
                body=json.dumps(body).encode(), content_type="application/json",
                type="notification",
            ),
            routing_key="",
        )  # fmt: skip

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        self._acker.begin(message)
        try:
            handled = await self._handle_reply(message)
        except BaseException:
            self._acker.forget(message)
            raise
        if handled:
            self._acker.done(message)
        else:
            self._acker.forget(message)
            await message.nack(requeue=True)

    async def _handle_reply(self, message: AbstractIncomingMessage) -> bool:
        """Match a reply to its call; False when it must go back to the queue."""
        return await self._calls.handle(message, self.on_orphan_reply)
