"""The ``system`` service: ping, echo, capabilities, and a cancellable sleep for tests."""

from __future__ import annotations

import asyncio
import time

from worker.protocol.system import (
    CAPABILITIES,
    ECHO,
    PING,
    SLEEP,
    Capabilities,
    EchoParams,
    EchoResult,
    PingParams,
    PingResult,
    SleepParams,
    SleepResult,
)
from worker.services.base import BaseService, current_call, rpc_method

CHECK_EVERY = 0.05


class SystemService(BaseService):
    """Answers questions about the worker itself."""

    name = "system"
    builtin = True

    @rpc_method(PING)
    async def ping(self, p: PingParams) -> PingResult:
        """Answer at once with this worker's id and clock."""
        return PingResult(worker_id=self.worker.worker_id, time=time.time())

    @rpc_method(ECHO)
    async def echo(self, p: EchoParams) -> EchoResult:
        """Send the value back unchanged."""
        return EchoResult(value=p.value)

    @rpc_method(CAPABILITIES)
    async def capabilities_call(self, p: PingParams) -> Capabilities:
        """What this worker offers right now (the same body as its heartbeat)."""
        if self.worker.describe is None:
            return Capabilities(
                worker_id=self.worker.worker_id, host="", pid=0, version="", services=["system"]
            )
        return Capabilities.model_validate(self.worker.describe())

    @rpc_method(SLEEP)
    async def sleep(self, p: SleepParams) -> SleepResult:
        """Sleep, checking the cancel flag every 50 ms (stands in for a long inference)."""
        ctx = current_call()
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < p.seconds:
            ctx.check_cancelled()
            await asyncio.sleep(min(CHECK_EVERY, p.seconds - elapsed))
        return SleepResult(slept=time.monotonic() - started, worker_id=self.worker.worker_id)
