"""Batched acknowledgements for a consumer whose messages are handled quickly.

Acking each reply on its own costs the broker a round of work per message, a large share of
a durable reply queue's throughput (``bench/rpc_roundtrip.py`` measures it). Here a
message is acknowledged only once it has been handled, and acks go out together
(``basic.ack`` with ``multiple``) a few milliseconds later, never covering a message whose
handling has not finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict

from aio_pika.abc import AbstractIncomingMessage

log = logging.getLogger(__name__)
ACK_DELAY_S = 0.02
ACK_EVERY = 128


class BatchedAcker:
    """Tracks deliveries per channel and acks the handled prefix of each in one frame."""

    def __init__(self, delay: float = ACK_DELAY_S, every: int = ACK_EVERY) -> None:
        self.delay = delay
        self.every = every
        self._busy: dict[int, set[int]] = defaultdict(set)
        self._done: dict[int, dict[int, AbstractIncomingMessage]] = defaultdict(dict)
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @staticmethod
    def _key(message: AbstractIncomingMessage) -> tuple[int, int]:
        return id(message.channel), int(message.delivery_tag or 0)

    def begin(self, message: AbstractIncomingMessage) -> None:
        """A delivery arrived and is being handled."""
        chan, tag = self._key(message)
        self._busy[chan].add(tag)

    def done(self, message: AbstractIncomingMessage) -> None:
        """The delivery was handled: it may be acknowledged."""
        chan, tag = self._key(message)
        self._busy[chan].discard(tag)
        self._done[chan][tag] = message
        if sum(len(d) for d in self._done.values()) >= self.every:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self.flush)

    def forget(self, message: AbstractIncomingMessage) -> None:
        """The delivery was settled some other way (nack): stop tracking it."""
        chan, tag = self._key(message)
        self._busy[chan].discard(tag)
        self._done[chan].pop(tag, None)

    def flush(self) -> None:
        """Ack, per channel, every handled delivery below the first one still in hand."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for chan, done in self._done.items():
            limit = min(self._busy[chan], default=None)
            ready = [t for t in done if limit is None or t < limit]
            if not ready:
                continue
            top = done[max(ready)]
            for tag in ready:
                del done[tag]
            task = asyncio.get_running_loop().create_task(self._ack(top))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Send every ack that is due and wait until they are written."""
        self.flush()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    @staticmethod
    async def _ack(message: AbstractIncomingMessage) -> None:
        # A channel that closed in between has given its deliveries back to the broker.
        with contextlib.suppress(Exception):
            await message.ack(multiple=True)
