"""Transient events on the ``vt.events`` topic exchange: presence, log records, progress.

Routing keys: ``worker.<id>.presence``, ``worker.<id>.log.<level>``,
``job.<client>.<job>.progress``. Losing an event loses nothing: they only inform.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage

from worker.protocol.system import Capabilities
from worker.transport.clients_seen import client_digest
from worker.transport.private_queue import consume_private
from worker.transport.topology import Names

log = logging.getLogger(__name__)
PRESENCE_TIMEOUT = 10.0
PUBLISH_TIMEOUT = 2.0


def _safe_key(part: str) -> str:
    return part.replace(".", "_").replace("#", "_").replace("*", "_")


class EventPublisher:
    """Publishes a worker's events; never raises (events are best effort)."""

    def __init__(self, exchange: AbstractExchange, worker_id: str) -> None:
        self.exchange = exchange
        self.worker_id = _safe_key(worker_id)

    async def publish(self, routing_key: str, body: dict[str, Any]) -> None:
        """Publish one event; failures are logged at debug level and swallowed.

        Bounded in time: with the broker gone, a robust channel would wait for it forever.
        """
        try:
            await asyncio.wait_for(self._publish(routing_key, body), PUBLISH_TIMEOUT)
        except Exception as exc:
            log.debug("event %s not published: %s", routing_key, exc)

    async def _publish(self, routing_key: str, body: dict[str, Any]) -> None:
        await self.exchange.publish(
            aio_pika.Message(
                body=json.dumps(body, ensure_ascii=False, default=str).encode(),
                content_type="application/json",
                type="notification",
                delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT,
            ),
            routing_key=routing_key,
        )

    async def presence(self, caps: Capabilities) -> None:
        """Publish one presence heartbeat."""
        await self.publish(f"worker.{self.worker_id}.presence", caps.model_dump(mode="json"))

    async def log_record(self, record: dict[str, Any]) -> None:
        """Publish one log record (``level`` in lower case in the routing key)."""
        level = str(record.get("level", "info")).lower()
        await self.publish(f"worker.{self.worker_id}.log.{level}", record)

    async def progress(
        self, client_id: str, job_id: str | None, call_id: str, fraction: float, message: str
    ) -> None:
        """Publish progress of one long call."""
        job = _safe_key(job_id or "none")
        await self.publish(
            f"job.{_safe_key(client_id)}.{job}.progress",
            {"call_id": call_id, "job_id": job_id, "fraction": fraction, "message": message},
        )


@dataclass
class WorkerSeen:
    """The last presence of one worker."""

    caps: Capabilities
    last_seen: float = field(default_factory=time.monotonic)

    @property
    def online(self) -> bool:
        """True while heartbeats keep coming and the worker has not said it stopped."""
        fresh = time.monotonic() - self.last_seen < PRESENCE_TIMEOUT
        return fresh and self.caps.state not in {"stopped", "stopping"}


PresenceCallback = Callable[[WorkerSeen], None]
LogCallback = Callable[[dict[str, Any]], None]
ProgressCallback = Callable[[dict[str, Any]], None]


class EventStream:
    """A client's view of the events: who is online, worker logs, progress of its calls."""

    def __init__(self, channel: AbstractChannel, names: Names, client_id: str) -> None:
        self.channel = channel
        self.names = names
        self.client_id = _safe_key(client_id)
        self.digest = client_digest(client_id)
        self.workers: dict[str, WorkerSeen] = {}
        # per service: when presence first listed this client among a worker's clients
        self._listed_at: dict[str, float] = {}
        self._heard = asyncio.Event()
        self.on_presence: list[PresenceCallback] = []
        self.on_log: list[LogCallback] = []
        self.on_progress: list[ProgressCallback] = []

    async def start(self) -> None:
        """Bind a private auto-delete queue to the events this client cares about."""
        exchange = await self.channel.declare_exchange(
            self.names.events, aio_pika.ExchangeType.TOPIC, durable=True
        )
        keys = ("worker.*.presence", "worker.*.log.*", f"job.{self.client_id}.#")
        await consume_private(self.channel, exchange.name, keys, self._on_event)

    def online(self, service: str | None = None) -> list[Capabilities]:
        """Capabilities of the workers online now, optionally only those serving ``service``."""
        return [
            w.caps
            for w in self.workers.values()
            if w.online and (service is None or service in w.caps.services)
        ]

    def capacity(self, service: str) -> int:
        """How many calls of ``service`` the online workers take at once (their prefetch)."""
        return sum(max(1, c.prefetch) for c in self.online(service))

    def other_clients(self, service: str) -> int:
        """How many other clients the online workers of ``service`` serve now or lately."""
        seen = {d for c in self.online(service) for d in c.clients}
        return len(seen - {self.digest})

    def listed(self, service: str) -> bool:
        """True while an online worker of ``service`` lists this client among its clients."""
        return service in self._listed_at

    def known_alone(self, service: str) -> bool:
        """True when this client knows it is the only one using the workers of ``service``.

        That takes more than seeing no other client: two clients that start at the same
        moment each see none until a worker has served them. So it also takes being listed
        itself, and then a presence from every online worker of the service heard after
        that: by then any client that started with it has had its calls served and listed
        (their first calls are queued ahead of anything this client sends after).
        """
        since = self._listed_at.get(service)
        if since is None or self.other_clients(service):
            return False
        return all(
            w.last_seen > since
            for w in self.workers.values()
            if w.online and service in w.caps.services
        )

    def heard(self) -> asyncio.Event:
        """An event set when the next presence heartbeat is heard (a fresh one after it):
        what a client may keep in flight can change with each."""
        return self._heard

    def note_presence(self, caps: Capabilities) -> WorkerSeen:
        """Take in one worker's presence heartbeat."""
        self._heard.set()
        self._heard = asyncio.Event()
        seen = WorkerSeen(caps)
        self.workers[caps.worker_id] = seen
        online = [w.caps for w in self.workers.values() if w.online]
        for service in {s for c in online for s in c.services}:
            listed = any(self.digest in c.clients for c in online if service in c.services)
            if not listed:
                self._listed_at.pop(service, None)
            else:
                self._listed_at.setdefault(service, seen.last_seen)
        return seen

    async def wait_for_workers(
        self, count: int, service: str = "system", timeout: float = 30.0
    ) -> None:
        """Wait until ``count`` workers serving ``service`` are online.

        Raises:
            TimeoutError: they did not all show up in time.
        """
        deadline = time.monotonic() + timeout
        while len(self.online(service)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"only {len(self.online(service))} of {count} workers came online"
                )
            await asyncio.sleep(0.05)

    async def _on_event(self, message: AbstractIncomingMessage) -> None:
        try:
            body = json.loads(message.body)
        except (ValueError, UnicodeDecodeError):
            return
        key = message.routing_key or ""
        try:
            if key.endswith(".presence"):
                seen = self.note_presence(Capabilities.model_validate(body))
                for cb in self.on_presence:
                    cb(seen)
            elif ".log." in key:
                for lcb in self.on_log:
                    lcb(body)
            elif key.endswith(".progress"):
                for pcb in self.on_progress:
                    pcb(body)
        except Exception:
            log.exception("event handler failed for %s", key)
