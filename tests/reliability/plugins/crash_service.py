"""A third-party service for the poison-call test: ``crash.maybe`` kills its own worker
process (as a segment that segfaults a decoder would) when asked to, and answers otherwise."""

from __future__ import annotations

import asyncio
import logging
import os

from pydantic import BaseModel, Field

from worker.protocol.methods import Method
from worker.services.base import BaseService, rpc_method


class MaybeParams(BaseModel):
    """``poison``: crash the worker instead of answering; ``hold_s``: take this long to answer
    (so a worker that takes several calls at once holds them side by side)."""

    poison: bool = False
    hold_s: float = Field(default=0.0, ge=0.0, le=30.0)


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
        logging.getLogger("crash").info("crash.maybe holds a call for %.1f s", p.hold_s)
        await asyncio.sleep(p.hold_s)
        return MaybeResult(worker_id=self.worker.worker_id)
