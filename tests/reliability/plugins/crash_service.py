"""A third-party service for the poison-call test: ``crash.maybe`` kills its own worker
process (as a segment that segfaults a decoder would) when asked to, and answers otherwise."""

from __future__ import annotations

import os

from pydantic import BaseModel

from worker.protocol.methods import Method
from worker.services.base import BaseService, rpc_method


class MaybeParams(BaseModel):
    """``poison``: crash the worker instead of answering."""

    poison: bool = False


class MaybeResult(BaseModel):
    """Who answered."""

    worker_id: str


MAYBE = Method("crash.maybe", MaybeParams, MaybeResult)


class CrashService(BaseService):
    """Crashes its worker on poison calls."""

    name = "crash"

    @rpc_method(MAYBE)
    async def maybe(self, p: MaybeParams) -> MaybeResult:
        """Answer, or die at once without a reply or an ack."""
        if p.poison:
            os._exit(70)
        return MaybeResult(worker_id=self.worker.worker_id)
