"""Which clients a worker serves now, for its presence heartbeat.

RabbitMQ hands a service queue's calls out in the order they were published: it has no fair
queuing across publishers. Clients share workers fairly by keeping only their share of the
workers' capacity in flight when others use them too (``JobContext.in_flight``); to know how
many others there are, each worker says in its presence which clients it served lately.

Clients are named by a short digest of their id, not the id itself: another person's client
id is part of their reply queue's name, which is theirs alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator

#: A client stays listed this long after its last call here ended: longer than the gap
#: between one client's calls (its next call waits in the queue behind the others'). A client
#: whose jobs have ended says so (``RpcClient.leave``) and is taken off the list at once.
RECENT_S = 6.0


def client_digest(client_id: str) -> str:
    """The name a client goes by in presence heartbeats."""
    return hashlib.sha256(client_id.encode()).hexdigest()[:12]


class ClientsSeen:
    """The clients whose calls a worker holds now or ended within ``RECENT_S``."""

    def __init__(
        self, recent_s: float = RECENT_S, on_new: Callable[[], None] | None = None
    ) -> None:
        """``on_new`` is called when a client not listed now sends its first call: the
        worker publishes its presence at once rather than at its next heartbeat, so the
        clients already here learn of the newcomer within a round trip."""
        self.recent_s = recent_s
        self.on_new = on_new
        self._running: dict[str, int] = {}
        self._ended: dict[str, float] = {}

    @contextlib.contextmanager
    def serving(self, client_id: str | None) -> Iterator[None]:
        """Count one call of ``client_id`` while the block runs (None: not counted)."""
        if not client_id:
            yield
            return
        digest = client_digest(client_id)
        if self.on_new is not None and digest not in self.now():
            self.on_new()
        self._running[digest] = self._running.get(digest, 0) + 1
        try:
            yield
        finally:
            left = self._running[digest] - 1
            if left:
                self._running[digest] = left
            else:
                del self._running[digest]
            self._ended[digest] = time.monotonic()

    def forget(self, digest: str) -> bool:
        """The client said it has no calls left: list it no longer, unless a call of its
        still runs here. True when that took it off the list."""
        if digest in self._running:
            return False
        return self._ended.pop(digest, None) is not None

    def now(self) -> list[str]:
        """Digests of the clients served now or lately, sorted."""
        cutoff = time.monotonic() - self.recent_s
        self._ended = {d: t for d, t in self._ended.items() if t >= cutoff}
        return sorted(set(self._running) | set(self._ended))
