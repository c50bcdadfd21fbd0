"""The caller's pending-call bookkeeping: which call each reply answers, and which it repeats.

``PendingCalls`` keeps a future per call sent and not yet answered, and the ids of the replies
already seen (a reply seen twice is dropped by id). ``RpcClient`` owns one and hands it each
reply from its queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from aio_pika.abc import AbstractIncomingMessage

from worker.protocol.errors import InvalidRequest, ParseError
from worker.protocol.jsonrpc import Response, parse_response

log = logging.getLogger(__name__)
OrphanHandler = Callable[[Response], Awaitable[None]]
SEEN_REPLIES_KEPT = 20_000


class PendingCalls:
    """Futures of the calls in flight, by call id, and the ids of replies already handled."""

    def __init__(self) -> None:
        self._pending: dict[str, asyncio.Future[Response]] = {}
        self._seen: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pending)

    def expect(self, cid: str) -> asyncio.Future[Response]:
        """A future for the reply to call ``cid``.

        A call sent again under an id already answered (a resumed job retrying a segment
        that was given up) waits for a new answer: it is no duplicate of the old one.
        """
        fut: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self._pending[cid] = fut
        self._seen.pop(cid, None)
        return fut

    def forget(self, cid: str) -> None:
        """The call ``cid`` is no longer awaited (answered, timed out or cancelled)."""
        self._pending.pop(cid, None)

    def fail_all(self, exc: BaseException) -> None:
        """Fail every call still waiting with ``exc``."""
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(exc)
        self._pending.clear()

    async def handle(
        self, message: AbstractIncomingMessage, on_orphan: OrphanHandler | None
    ) -> bool:
        """Match a reply to its call; False when it must go back to the queue."""
        try:
            resp = parse_response(message.body)
        except (ParseError, InvalidRequest):
            log.warning("dropping unreadable reply (correlation id %s)", message.correlation_id)
            return True
        cid = str(resp.id if resp.id is not None else message.correlation_id)
        if cid in self._seen:
            log.info("rpc id=%s duplicate reply dropped", cid)
            return True
        self._remember(cid)
        fut = self._pending.get(cid)
        if fut is not None and not fut.done():
            fut.set_result(resp)
        elif on_orphan is not None:
            try:
                await on_orphan(resp)
            except Exception:
                log.exception("rpc id=%s orphan reply handler failed; reply requeued", cid)
                self._seen.pop(cid, None)
                return False
        else:
            log.info("rpc id=%s reply for no pending call dropped", cid)
        return True

    def _remember(self, cid: str) -> None:
        self._seen[cid] = None
        while len(self._seen) > SEEN_REPLIES_KEPT:
            self._seen.popitem(last=False)
