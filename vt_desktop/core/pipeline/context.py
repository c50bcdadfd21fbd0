"""What every stage of a running job shares: the wire, the store, progress and pause."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from vt_desktop.core.config import CALL_TIMEOUT_S, CALL_TRIES, NO_WORKER_WAIT_S
from vt_desktop.core.jobs.model import JobSpec
from vt_desktop.core.jobs.store import JobStore, call_id
from vt_desktop.core.pipeline.events import EtaClock, EventSink, PipelineEvent
from worker.protocol.errors import CallTimeout, DeadlinePassed, NoWorker
from worker.protocol.methods import Method
from worker.transport.client import RpcClient
from worker.transport.events import EventStream

log = logging.getLogger(__name__)
R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class CallPolicy:
    """How long a job's calls wait (settings ``call_timeout_s``, ``call_tries``,
    ``worker_wait_s``; environment ``VT_CALL_TIMEOUT``, ``VT_CALL_TRIES``, ``VT_WORKER_WAIT``).

    Attributes:
        timeout_s: One call's time to answer before it is sent again.
        tries: Sends of a call that times out before its job fails (it can be resumed).
        worker_wait_s: How long a call waits for a worker of its service to come online.
    """

    timeout_s: float = CALL_TIMEOUT_S
    tries: int = CALL_TRIES
    worker_wait_s: float = NO_WORKER_WAIT_S


@dataclass
class JobContext:
    """One run of one job."""

    job_id: str
    spec: JobSpec
    rpc: RpcClient
    events: EventStream
    store: JobStore
    sink: EventSink | None = None
    clock: EtaClock = field(default_factory=EtaClock)
    resume: asyncio.Event = field(default_factory=asyncio.Event)
    calls_sent: int = 0
    warnings: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    clock_stage: str = "intake"
    policy: CallPolicy = field(default_factory=CallPolicy)

    def __post_init__(self) -> None:
        self.resume.set()

    def report(self, stage: str, fraction: float, message: str = "", level: str = "INFO") -> None:
        """Record a stage's progress and tell the watchers."""
        overall, eta = self.clock.update(stage, fraction)
        self.store.update(self.job_id, stage=stage, progress=overall)
        if self.sink is not None:
            self.sink(PipelineEvent(self.job_id, stage, overall, fraction, eta, message, level))

    def warn(self, stage: str, message: str) -> None:
        """A problem that degrades the result but does not stop the job."""
        log.warning("job %s: %s", self.job_id, message)
        self.warnings.append(message)
        self.store.update(self.job_id, warnings=self.warnings)
        self.report(stage, self.clock.done.get(stage, 0.0), message, "WARNING")

    def capacity(self, service: str) -> int:
        """What the live workers of ``service`` take at once."""
        return max(1, self.events.capacity(service))

    def in_flight(self, service: str, ahead: int = 1) -> int:
        """Calls of ``service`` this job keeps in flight.

        Known to be alone on the workers (``EventStream.known_alone``): ``ahead`` × their
        capacity, so each worker has its next call waiting when it answers. Sharing them
        with other clients (their presence says whom they serve): only this client's share
        of the capacity, rounded up. RabbitMQ hands a queue's calls out in publishing order;
        with calls queued ahead, each client's would sit in blocks and the others wait a
        block's time between results. With only its share in flight, no call of anyone's
        waits in the queue and results alternate.

        Until it knows which, at a job's start: half the capacity while no worker lists
        this client (another may be starting at the same moment, and neither sees the
        other before a worker serves them), then the capacity. So two clients that start
        together both have calls running at once, and one that starts a little later waits
        behind at most one call per worker, not two (the start race). A worker publishes
        its presence the moment a new client's call reaches it, so this costs a lone
        client only a round trip.
        """
        capacity, others = self.capacity(service), self.events.other_clients(service)
        if others:
            return max(1, -(-capacity // (others + 1)))
        if self.events.known_alone(service):
            return ahead * capacity
        return capacity if self.events.listed(service) else -(-capacity // 2)

    async def call(self, method: Method[Any, R], params: BaseModel, kind: str, key: str | int) -> R:
        """One call of this job, stored the moment it returns; skipped if already stored.

        Raises:
            NoWorker: no worker served the service within ``policy.worker_wait_s``.
            RpcError: the call failed (typed).
        """
        cid = call_id(self.job_id, kind, key)
        stored = self.store.result(cid)
        if stored is not None:
            return method.result.model_validate(stored)
        await self.resume.wait()
        result = await self._call_waiting_for_workers(method, params, cid)
        self.store.save_result(cid, result.model_dump(mode="json"))
        return result

    async def _call_waiting_for_workers(
        self, method: Method[Any, R], params: BaseModel, cid: str
    ) -> R:
        waited = 0.0
        timeouts = 0
        while True:
            try:
                self.calls_sent += 1
                return await self.rpc.call(
                    method, params, timeout=self.policy.timeout_s, job_id=self.job_id,
                    call_id=cid,
                )  # fmt: skip
            except NoWorker:
                self.calls_sent -= 1
                if waited >= self.policy.worker_wait_s:
                    raise
                await asyncio.sleep(1.0)
                waited += 1.0
            except (CallTimeout, DeadlinePassed):
                # Past its deadline the worker gives the call up and says so; that answer can
                # reach the call's next send (same id): both mean "not answered in time".
                timeouts += 1
                if timeouts >= self.policy.tries:
                    raise
                log.warning("job %s: %s timed out; sending it again", self.job_id, cid)


async def bounded_gather(
    items: list[Any],
    run: Callable[[Any], Coroutine[Any, Any, None]],
    capacity: Callable[[], int],
    wake: Callable[[], asyncio.Event] | None = None,
) -> None:
    """Run ``run(item)`` for every item, keeping at most ``capacity()`` in flight, re-read
    whenever one ends, ``wake()`` is set (a presence heartbeat: workers came or went, other
    clients came or left) or a second passes. The first failure cancels the rest and is
    raised."""
    queue = list(reversed(items))
    running: set[asyncio.Task[None]] = set()
    try:
        while queue or running:
            while queue and len(running) < capacity():
                running.add(asyncio.create_task(run(queue.pop())))
            done = await wait_for_room(running, wake, timeout=1.0)
            running -= done
            for task in done:
                task.result()
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)


async def wait_for_room(
    running: set[asyncio.Task[None]],
    wake: Callable[[], asyncio.Event] | None,
    timeout: float | None = None,
) -> set[asyncio.Task[None]]:
    """Wait until one of ``running`` ends, ``wake()`` is set or ``timeout`` passes; the
    tasks that ended."""
    woken = asyncio.ensure_future(wake().wait()) if wake is not None else None
    try:
        waits: set[asyncio.Future[Any]] = {*running, *([woken] if woken else [])}
        if waits:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED, timeout=timeout)
        elif timeout is not None:
            await asyncio.sleep(timeout)
    finally:
        if woken is not None:
            woken.cancel()
    return {t for t in running if t.done()}
