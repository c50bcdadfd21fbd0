"""An example service with declared methods: ``@rpc_method`` handlers, typed by pydantic.

The service ``greeter`` serves ``greeter.greet``; callers import ``GREET`` to call it with
typed params and result. Enable it in ``<config>/services/greeter.toml`` with
``rpc_enabled = true``; ``greeting`` there changes what it says.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from worker.protocol.methods import Method
from worker.services.base import BaseService, ServiceSettings, rpc_method


class GreetParams(BaseModel):
    """Whom to greet."""

    who: str = Field(min_length=1, max_length=200)


class GreetResult(BaseModel):
    """The greeting and the worker that made it."""

    text: str
    worker_id: str


GREET = Method("greeter.greet", GreetParams, GreetResult)


class GreeterSettings(ServiceSettings):
    """``<config>/services/greeter.toml``: ``rpc_enabled`` and the greeting."""

    greeting: str = "Hello"


class GreeterService(BaseService):
    """Greets by name."""

    name = "greeter"
    Settings = GreeterSettings

    @rpc_method(GREET)
    async def greet(self, p: GreetParams) -> GreetResult:
        """``Hello, Ada!``, answered on the event loop (nothing here blocks)."""
        greeting = self.get_config()["greeting"]
        return GreetResult(text=f"{greeting}, {p.who}!", worker_id=self.worker.worker_id)
