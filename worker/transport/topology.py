"""Names and declarations of every exchange and queue (DESIGN.md §4)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

from worker.transport.private_queue import not_restored

REPLY_QUEUE_EXPIRES_MS = 7 * 24 * 3600 * 1000  # a week of disuse
DELIVERY_LIMIT = 3
#: A call in isolation runs alone in a process of its own (``worker.alone``), and the worker
#: that watches that process decides: the process died, the call is to blame (given up at
#: the second such crash); the worker itself died (killed by a user, the OOM killer acting
#: for another process, a machine going to sleep), nothing is counted. This limit on the
#: broker's own count of returns is a backstop only, for a call whose every lone run is cut
#: short by its worker's death.
ISOLATION_DELIVERY_LIMIT = 50


@dataclass(frozen=True)
class Names:
    """Exchange and queue names under one prefix (the original ``RABBITMQ_RPC_QUEUE``)."""

    prefix: str = "vt"

    @property
    def rpc(self) -> str:
        return f"{self.prefix}.rpc"

    @property
    def events(self) -> str:
        return f"{self.prefix}.events"

    @property
    def control(self) -> str:
        return f"{self.prefix}.control"

    @property
    def dlx(self) -> str:
        return f"{self.prefix}.dlx"

    @property
    def dead(self) -> str:
        return f"{self.prefix}.dead"

    def service_queue(self, service: str) -> str:
        return f"{self.prefix}.rpc.{service}"

    def isolation_queue(self, service: str) -> str:
        # Named after its delivery limit: a queue's arguments cannot change once declared,
        # so a new limit is a new queue (the old one, on a broker that outlived an update,
        # is simply no longer fed).
        return f"{self.prefix}.rpc.{service}.alone{ISOLATION_DELIVERY_LIMIT}"

    def reply_queue(self, client_id: str) -> str:
        return f"{self.prefix}.reply.{client_id}"


@dataclass
class Exchanges:
    """The declared exchanges."""

    rpc: AbstractExchange
    events: AbstractExchange
    control: AbstractExchange


async def declare_exchanges(channel: AbstractChannel, names: Names) -> Exchanges:
    """Declare the rpc, events, control and dead-letter exchanges (idempotent)."""
    rpc = await channel.declare_exchange(names.rpc, aio_pika.ExchangeType.DIRECT, durable=True)
    events = await channel.declare_exchange(names.events, aio_pika.ExchangeType.TOPIC, durable=True)
    control = await channel.declare_exchange(
        names.control, aio_pika.ExchangeType.FANOUT, durable=True
    )
    dlx = await channel.declare_exchange(names.dlx, aio_pika.ExchangeType.FANOUT, durable=True)
    dead = await channel.declare_queue(
        names.dead, durable=True, arguments={"x-queue-type": "quorum"}
    )
    await dead.bind(dlx)
    return Exchanges(rpc=rpc, events=events, control=control)


async def declare_service_queue(
    channel: AbstractChannel, names: Names, service: str
) -> AbstractQueue:
    """The durable quorum queue of one service, bound to ``vt.rpc`` by the service name."""
    queue = await channel.declare_queue(
        names.service_queue(service), durable=True, arguments=_calls(names, DELIVERY_LIMIT)
    )
    await queue.bind(names.rpc, routing_key=service)
    return queue


async def declare_isolation_queue(
    channel: AbstractChannel, names: Names, service: str
) -> AbstractQueue:
    """Where a service's calls that keep coming back wait to run alone (see
    ``worker.transport.consumer``); reached through the default exchange only."""
    return await channel.declare_queue(
        names.isolation_queue(service),
        durable=True,
        arguments=_calls(names, ISOLATION_DELIVERY_LIMIT),
    )


def _calls(names: Names, delivery_limit: int) -> dict[str, Any]:
    """Arguments of a queue of calls: quorum, dead-lettered past ``delivery_limit`` returns."""
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": delivery_limit,
        "x-dead-letter-exchange": names.dlx,
    }


async def declare_reply_queue(
    channel: AbstractChannel, names: Names, client_id: str, *, quorum: bool = False
) -> AbstractQueue:
    """The durable reply queue of one client install; expires after a week of disuse.

    ``quorum``: a quorum queue, replicated on every node of a cluster, so that a reply
    outlives the node it was published to. Otherwise classic: a link dropped on our side only
    needs the newer reply consumer's higher priority (see ``RpcClient._consume_replies``), and
    with a quorum reply queue on RabbitMQ 3.10 the old connection's consumer still took
    replies until the broker noticed (29.6 s in ``test_faults``). A queue's type cannot
    change: see ``reply_queue_fits``.
    """
    return await channel.declare_queue(
        names.reply_queue(client_id), durable=True, arguments=_reply_arguments(quorum)
    )


def _reply_arguments(quorum: bool) -> dict[str, Any]:
    arguments: dict[str, Any] = {"x-expires": REPLY_QUEUE_EXPIRES_MS}
    if quorum:
        arguments["x-queue-type"] = "quorum"
    return arguments


async def reply_queue_fits(
    probe: AbstractChannel, names: Names, client_id: str, *, quorum: bool
) -> bool:
    """False when this client's reply queue exists as the other type (kept as it is, with
    the replies waiting in it, until it expires). ``probe`` is a throwaway channel: the
    broker closes it when the declaration does not match."""
    try:
        await probe.declare_queue(
            names.reply_queue(client_id),
            durable=True,
            arguments=_reply_arguments(quorum),
            **not_restored(probe),
        )
    except aio_pika.exceptions.ChannelPreconditionFailed:
        return False
    return True
