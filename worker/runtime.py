"""One worker process: discovered services behind a consumer, heartbeats, logs, cancel.

Blocking inference runs in threads so the event loop keeps heartbeats flowing. SIGTERM
stops taking calls, lets running ones finish (up to a grace period), then closes: calls not
finished return to their queues for another worker. A worker whose parent is gone stops.
A worker started before its broker tries again with backoff, up to ``connect_timeout``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import math
import os
import platform
import time
from pathlib import Path
from typing import Any

from aio_pika.abc import AbstractRobustConnection

from worker import __version__
from worker.alone import run_alone
from worker.dispatcher import CallMeta, Dispatcher
from worker.loader import discover
from worker.protocol.errors import BrokerError
from worker.protocol.jsonrpc import Response
from worker.protocol.system import Capabilities
from worker.services.base import BaseService, CallContext, WorkerInfo
from worker.settings import WorkerSettings
from worker.transport.clients_seen import ClientsSeen
from worker.transport.connection import connect, safe_url
from worker.transport.consumer import CallConsumer
from worker.transport.events import EventPublisher
from worker.transport.topology import Names, declare_exchanges

log = logging.getLogger(__name__)
BROKER_STEP_TIMEOUT = 5.0
#: Waits between tries of the first connection: 0.5 s, doubled each try, at most 5 s.
RETRY_FIRST = 0.5
RETRY_MAX = 5.0
#: How long one try of the first connection may take.
CONNECT_TRY_TIMEOUT = 15.0
#: Refusals by a broker that answered: waiting does not change them.
FINAL_REFUSALS = ("refused the user name", "refused the virtual host", "could not be verified")


def waiting_helps(exc: BrokerError) -> bool:
    """True unless the broker answered and refused us (password, vhost, certificate)."""
    return not any(phrase in str(exc) for phrase in FINAL_REFUSALS)


class _DropTransportErrors(logging.Filter):
    """Drops aiormq's record of each failed connection try while the worker waits."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "error when creating transport" not in record.getMessage()


class EventLogHandler(logging.Handler):
    """Forwards WARNING+ records to ``vt.events`` for the window's log panel."""

    def __init__(self, runtime: Worker) -> None:
        super().__init__(logging.WARNING)
        self.runtime = runtime

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("aiormq", "aio_pika")):
            return  # the broker being away is reported by presence, not by a storm of records
        body = {
            "worker_id": self.runtime.settings.worker_id,
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "time": record.created,
        }
        self.runtime.post_log(body)


class Worker:
    """Runs the services of one worker process until stopped."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.settings = settings
        self.names = Names(settings.rabbitmq_rpc_queue)
        self.info = WorkerInfo(
            worker_id=settings.worker_id,
            config_dir=str(settings.config_dir),
            cache_dir=str(settings.cache_dir),
            prefetch=settings.prefetch,
            describe=self.capabilities,
        )
        self.services: list[BaseService] = []
        self.dispatcher = Dispatcher([])
        self.consumer: CallConsumer | None = None
        self.events: EventPublisher | None = None
        self.state = "starting"
        self._stop = asyncio.Event()
        self._news = asyncio.Event()  # a new client came: publish presence now
        self.clients = ClientsSeen(on_new=self._news.set)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._log_handler = EventLogHandler(self)

    def load_services(self) -> list[BaseService]:
        """Instantiate every enabled service (limited by ``settings.services`` if set)."""
        only = self.settings.service_filter()
        services: list[BaseService] = []
        for found in discover(
            self.settings.config_dir, self.settings.plugin_dir, self.settings.replaced_builtins()
        ):
            if only and found.cls.name not in only:
                continue
            if not found.settings.rpc_enabled:
                log.info("service %s disabled by %s", found.cls.name, found.config_path)
                continue
            try:
                services.append(found.cls(found.settings, self.info))
            except Exception:  # a plugin's bug is no worker's end: that service is left out
                log.exception("service %s failed to initialise; not served", found.cls.name)
        return services

    async def start_services(self, services: list[BaseService]) -> list[BaseService]:
        """Call each service's ``start()``; one that fails is logged and left out."""
        started = []
        for svc in services:
            try:
                await svc.start()
            except Exception:
                log.exception("service %s failed to start; not served", svc.name)
                continue
            started.append(svc)
        return started

    def capabilities(self) -> Capabilities:
        """This worker's presence body."""
        extra: dict[str, Any] = {}
        for svc in self.services:
            for key, value in svc.capabilities().items():
                if key == "models":
                    extra.setdefault("models", []).extend(value)
                else:
                    extra[key] = value
        return Capabilities(
            worker_id=self.settings.worker_id,
            host=platform.node(),
            pid=os.getpid(),
            version=__version__,
            services=self.dispatcher.services,
            prefetch=self.settings.prefetch,
            load=self.consumer.in_flight if self.consumer else 0,
            state=self.state,
            clients=self.clients.now(),
            **extra,
        )

    def post_log(self, body: dict[str, Any]) -> None:
        """Queue a log record for publishing (safe from any thread)."""
        loop, events = self._loop, self.events
        if loop is None or events is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(lambda: loop.create_task(events.log_record(body)))

    def _progress(self, ctx: CallContext, fraction: float, message: str) -> None:
        loop, events = self._loop, self.events
        if loop is None or events is None or ctx.client_id is None:
            return
        args = (ctx.client_id, ctx.job_id, ctx.call_id, fraction, message)
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(lambda: loop.create_task(events.progress(*args)))

    async def _handle(self, body: bytes, meta: dict[str, Any]) -> Response | None:
        with self.clients.serving(meta.get("client_id")):
            return await self.dispatcher.handle(body, CallMeta(**meta))

    def _on_control(self, body: dict[str, Any]) -> None:
        if body.get("action") == "leave":
            client = body.get("client")
            if isinstance(client, str) and self.clients.forget(client):
                self._news.set()  # the others learn at once that their share grew
            return
        if body.get("action") == "cancel":
            job_id, call_id = body.get("job_id"), body.get("call_id")
            stopped = self.dispatcher.cancel(
                job_id=job_id if isinstance(job_id, str) else None,
                call_id=call_id if isinstance(call_id, str) else None,
            )
            log.info("cancel job=%s call=%s: %d running call(s) stopped", job_id, call_id, stopped)

    def request_stop(self) -> None:
        """Ask the worker to stop gracefully (signal handlers call this)."""
        self._stop.set()

    async def run(self) -> None:
        """Connect, serve until stopped, then shut down gracefully."""
        self._loop = asyncio.get_running_loop()
        self.services = await self.start_services(self.load_services())
        self.dispatcher = Dispatcher(self.services, progress_sink=self._progress)
        connection = await self._first_connection()
        if connection is None:
            log.info("worker %s stopped before its broker answered", self.settings.worker_id)
            await self._stop_services()
            return
        try:
            self.consumer = CallConsumer(
                connection,
                self.names,
                self.dispatcher.services,
                self._handle,
                prefetch=self.settings.prefetch,
                on_control=self._on_control,
                run_alone=run_alone,
            )
            events_channel = await self.consumer.start()
            exchanges = await declare_exchanges(events_channel, self.names)
            self.events = EventPublisher(exchanges.events, self.settings.worker_id)
            logging.getLogger().addHandler(self._log_handler)
            self.state = "ready"
            log.info(
                "worker %s serving %s (prefetch %d)",
                self.settings.worker_id,
                ", ".join(self.dispatcher.services),
                self.settings.prefetch,
            )
            await self._serve_until_stopped()
        finally:
            logging.getLogger().removeHandler(self._log_handler)
            await self._shutdown()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), BROKER_STEP_TIMEOUT)

    async def _first_connection(self) -> AbstractRobustConnection | None:
        """Connect, trying again with backoff while nothing answers, for up to
        ``connect_timeout`` seconds (the first try always happens); None when asked to stop
        meanwhile (SIGTERM stops the wait at once).

        Raises:
            BrokerError: the broker refused us, or did not answer in time.
        """
        quiet = _DropTransportErrors()
        aiormq_log = logging.getLogger("aiormq.connection")
        aiormq_log.addFilter(quiet)  # each failed try is said once, below, in plain words
        try:
            return await self._try_connecting()
        finally:
            aiormq_log.removeFilter(quiet)

    async def _try_connecting(self) -> AbstractRobustConnection | None:
        limit = self.settings.connect_timeout
        started = time.monotonic()
        wait, tries = RETRY_FIRST, 0
        target = safe_url(self.settings.broker_url())
        while True:
            tries += 1
            left = limit - (time.monotonic() - started)
            try_timeout = max(1.0, min(CONNECT_TRY_TIMEOUT, left))
            attempt = asyncio.ensure_future(
                connect(
                    self.settings, name=f"worker {self.settings.worker_id}", timeout=try_timeout
                )
            )
            if not await self._unless_stopped(attempt):
                return None
            try:
                return attempt.result()
            except BrokerError as exc:
                waited = time.monotonic() - started
                if not waiting_helps(exc):
                    raise
                if waited + wait > limit:
                    if tries == 1:
                        raise
                    raise BrokerError(
                        f"{exc}; gave up after {tries} tries in {waited:.0f} s "
                        f"(--connect-timeout {limit:g})"
                    ) from None
                until = "forever" if math.isinf(limit) else f"up to {limit:g} s"
                log.warning(
                    "waiting for the broker at %s (try %d, %.0f s so far, %s): %s; "
                    "next try in %.1f s",
                    target,
                    tries,
                    waited,
                    until,
                    exc,
                    wait,
                )
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), wait)
            if self._stop.is_set():
                return None
            wait = min(wait * 2, RETRY_MAX)

    async def _unless_stopped(self, attempt: asyncio.Future[AbstractRobustConnection]) -> bool:
        """Wait for ``attempt`` unless a stop comes first (then it is cancelled): False."""
        stop = asyncio.ensure_future(self._stop.wait())
        either: set[asyncio.Future[Any]] = {attempt, stop}
        try:
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if attempt.done():
            return True
        attempt.cancel()
        with contextlib.suppress(BaseException):
            await attempt
        return False

    async def _serve_until_stopped(self) -> None:
        while not self._stop.is_set():
            if self.events is not None:
                await self.events.presence(self.capabilities())
            if self._parent_gone():
                log.warning("parent process %s is gone; worker stopping", self.settings.parent_pid)
                break
            await self._next_beat()

    async def _next_beat(self) -> None:
        """Wait for the next heartbeat's time, a stop, or a new client (then at once)."""
        waits = [asyncio.ensure_future(e.wait()) for e in (self._stop, self._news)]
        try:
            await asyncio.wait(
                waits, timeout=self.settings.heartbeat_interval,
                return_when=asyncio.FIRST_COMPLETED,
            )  # fmt: skip
        finally:
            for w in waits:
                w.cancel()
        self._news.clear()

    def _parent_gone(self) -> bool:
        parent = self.settings.parent_pid
        return parent is not None and os.getppid() != parent

    async def _shutdown(self) -> None:
        """Stop taking calls, let running ones finish, close. Every broker step is bounded:
        with the broker gone for good, the worker still exits."""
        self.state = "stopping"
        if self.consumer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.consumer.stop_consuming(), BROKER_STEP_TIMEOUT)
            if not await self.consumer.drain(self.settings.stop_grace):
                log.warning(
                    "calls still running after %.0f s; returning them to the queue",
                    self.settings.stop_grace,
                )
        self.state = "stopped"
        if self.events is not None:
            await self.events.presence(self.capabilities())
        if self.consumer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.consumer.close(), BROKER_STEP_TIMEOUT)
        await self._stop_services()
        log.info("worker %s stopped", self.settings.worker_id)

    async def _stop_services(self) -> None:
        for svc in self.services:
            with contextlib.suppress(Exception):
                await svc.stop()


def serve_one(settings: WorkerSettings, call: Path, reply: Path) -> int:
    """Serve the one call stored in ``call`` with this worker's services and write its reply
    to ``reply`` (empty for a notification); no broker. A worker runs a call that keeps
    coming back this way, in a process of its own (see ``worker.alone``)."""
    stored = json.loads(call.read_text())
    body = base64.b64decode(stored["body"])

    async def serve() -> Response | None:
        worker = Worker(settings)
        worker.services = worker.load_services()
        worker.dispatcher = Dispatcher(worker.services)
        for svc in worker.services:
            await svc.start()
        try:
            return await worker.dispatcher.handle(body, CallMeta(**stored["meta"]))
        finally:
            for svc in worker.services:
                with contextlib.suppress(Exception):
                    await svc.stop()

    response = asyncio.run(serve())
    reply.write_bytes(response.to_bytes() if response is not None else b"")
    return 0
