"""A private queue (exclusive, server-named) that gets a fresh name each time its channel
reopens.

aio-pika restores a robust queue under the name it had. An exclusive queue's name stays
held by the old connection until the broker notices that connection is gone, which takes
up to two heartbeats (20 s by default) when the link died on our side only: a laptop that
slept, a Wi-Fi hand-over, a NAT that forgot the flow. Re-declared meanwhile, the queue is
refused with RESOURCE_LOCKED, and that failure aborts the restore of the whole connection,
so the app (or worker) stayed off the broker until the broker noticed. Declared afresh, the
queue needs no name the old connection holds; the old queue is deleted with the old
connection.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractRobustChannel,
    AbstractRobustQueue,
)

log = logging.getLogger(__name__)

OnMessage = Callable[[AbstractIncomingMessage], Awaitable[None]]


def not_restored(robust_or_not: object) -> dict[str, Any]:
    """Keyword arguments that keep what a robust channel or queue declares, binds or
    consumes out of aio-pika's restore after a reconnect (the caller redoes it itself); none
    for a plain one, which restores nothing."""
    robust = isinstance(robust_or_not, AbstractRobustChannel | AbstractRobustQueue)
    return {"robust": False} if robust else {}


async def consume_private(
    channel: AbstractChannel,
    exchange: str,
    routing_keys: Sequence[str],
    on_message: OnMessage,
) -> None:
    """Consume (without acks) a private queue bound to ``exchange`` by ``routing_keys``,
    declared again under a fresh name whenever ``channel`` reopens after a lost link."""

    async def declare() -> None:
        # not restored by aio-pika: it would restore the queue under its old name (see above)
        queue = await channel.declare_queue(
            exclusive=True, auto_delete=True, **not_restored(channel)
        )
        for key in routing_keys:
            await queue.bind(exchange, routing_key=key, **not_restored(queue))
        await queue.consume(on_message, no_ack=True, **not_restored(queue))

    async def redeclare(_channel: Any) -> None:
        try:
            await declare()
        except Exception as exc:  # the channel reopens again later and tries again
            log.warning("private queue on %s not declared after a reconnect: %s", exchange, exc)

    await declare()
    if isinstance(channel, AbstractRobustChannel):
        channel.reopen_callbacks.add(redeclare)
