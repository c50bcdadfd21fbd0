"""Dynamic batching with a short gathering window.

The first job after an idle spell waits up to ``gather_s`` (a tenth of a second by default in
the asr service) for others to join it: segments of one file arrive a few milliseconds apart,
and a first batch of one would make the rest wait a whole model call (measured: the system
reached 0.82× of faster-whisper's batched pipeline without the window).

Jobs that arrive while a batch runs wait; when it ends, up to ``max_batch`` of them (those
sharing the oldest waiting job's key, e.g. its model) run together as the next batch. A
waiter that gives up (its task is cancelled) is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
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
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {max_batch}")
        self._run_batch = run_batch
        self._max_batch = max_batch
        self._key = key
        self._gather_s = gather_s
        self._full: asyncio.Event | None = None
        self._waiting: list[tuple[J, asyncio.Future[R]]] = []
        self._drainer: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        """How many jobs wait for the running batch to end."""
        return len(self._waiting)

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
        if self._full is not None and len(self._waiting) >= self._max_batch:
            self._full.set()
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

    async def _gather(self) -> None:
        self._full = asyncio.Event()
        if len(self._waiting) >= self._max_batch:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._full.wait(), self._gather_s)

    async def _drain(self) -> None:
        if self._gather_s > 0:
            await self._gather()
        while batch := self._take():
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
