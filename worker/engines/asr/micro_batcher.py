"""Dynamic batching with a short gathering window.

On a CPU too, one batch of eight 30 s segments recognises more than twice as much audio per
second as eight batches of one (README, Benchmarks), so a batch should not start while the
rest of its company is a moment away. Before a batch starts the
batcher therefore waits, up to ``max_gather_s`` in all:

* for every call the worker has already received and is still decoding (``announce`` /
  ``arrived``): those are certain to come, a few hundred milliseconds later at most;
* after an idle spell, for more calls to arrive, as long as each comes within ``gather_s`` of
  the one before (segments of one file arrive as the client encodes them, tens to a hundred
  milliseconds apart);

and never once the batch is full. Jobs that arrive while a batch runs wait; when it ends, up
to ``max_batch`` of them (those sharing the oldest waiting job's key, e.g. its model) run
together as the next batch. A waiter that gives up (its task is cancelled) is skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")

RunBatch = Callable[[list[J]], Awaitable[Sequence[R | Exception]]]


class MicroBatcher(Generic[J, R]):
    """Collects concurrent jobs into batches for ``run_batch`` (one batch at a time)."""

    def __init__(
        self,
        run_batch: RunBatch[J, R],
        max_batch: int,
        key: Callable[[J], Hashable] = lambda job: None,
        gather_s: float = 0.0,
        max_gather_s: float = 1.0,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._key = key
        self._gather_s = gather_s
        self._max_gather_s = max(gather_s, max_gather_s)
        self._coming = 0
        self._arrival = asyncio.Event()
        self._waiting: list[tuple[J, asyncio.Future[R]]] = []
        self._drainer: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """How many jobs wait for the running batch to end."""
        return len(self._waiting)

    @property
    def coming(self) -> int:
        """Calls announced (received, still being prepared) and not yet arrived."""
        return self._coming

    def announce(self) -> None:
        """A job is on its way (its call arrived and its input is being prepared): a batch
        about to start waits for it, up to ``max_gather_s``."""
        self._coming += 1

    def arrived(self) -> None:
        """An announced job was submitted, or will never be (its input failed)."""
        self._coming = max(0, self._coming - 1)
        self._arrival.set()

    @property
    def busy(self) -> bool:
        """True while a batch runs (or is about to start)."""
        return self._drainer is not None and not self._drainer.done()

    async def submit(self, job: J) -> R:
        """Run ``job`` in the next batch and return its result.

        Raises:
            Exception: whatever ``run_batch`` gave back or raised for this job.
        """
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((job, future))
        self._arrival.set()
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="asr-batcher")
        return await future

    def _take(self) -> list[tuple[J, asyncio.Future[R]]]:
        self._waiting = [(job, fut) for job, fut in self._waiting if not fut.done()]
        if not self._waiting:
            return []
        key = self._key(self._waiting[0][0])
        batch = [item for item in self._waiting if self._key(item[0]) == key][: self._max_batch]
        taken = {id(fut) for _, fut in batch}
        self._waiting = [item for item in self._waiting if id(item[1]) not in taken]
        return batch

    async def _gather(self, after_idle: bool) -> None:
        """Wait for the company of the next batch (see the module's doc)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._max_gather_s
        while len(self._waiting) < self._max_batch:
            if self._coming > 0:
                wait = deadline - loop.time()
            elif after_idle and self._gather_s > 0:
                wait = min(self._gather_s, deadline - loop.time())
            else:
                return
            if wait <= 0:
                return
            self._arrival.clear()
            try:
                await asyncio.wait_for(self._arrival.wait(), wait)
            except TimeoutError:
                return

    async def _drain(self) -> None:
        after_idle = True
        while True:
            await self._gather(after_idle)
            after_idle = False
            batch = self._take()
            if not batch:
                return
            try:
                outcomes: Sequence[R | Exception] = await self._run_batch([j for j, _ in batch])
                if len(outcomes) != len(batch):
                    raise RuntimeError(f"batch of {len(batch)} gave {len(outcomes)} results")
            except asyncio.CancelledError:
                for _, fut in batch + self._waiting:
                    fut.cancel()
                raise
            except Exception as exc:  # the whole batch failed: every job gets the error
                outcomes = [exc] * len(batch)
            for (_, fut), outcome in zip(batch, outcomes, strict=True):
                if fut.done():
                    continue
                if isinstance(outcome, Exception):
                    fut.set_exception(outcome)
                else:
                    fut.set_result(outcome)

    async def close(self) -> None:
        """Stop the running batch's bookkeeping and fail every waiting job as cancelled."""
        if self._drainer is not None and not self._drainer.done():
            self._drainer.cancel()
            await asyncio.gather(self._drainer, return_exceptions=True)
        for _, fut in self._waiting:
            fut.cancel()
        self._waiting.clear()
