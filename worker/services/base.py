"""What a service is: a ``BaseService`` subclass whose ``@rpc_method`` handlers serve calls.

A service module is a file named ``*_service.py`` under ``worker/services/`` (or the user's
plugin folder). Each ``BaseService`` subclass in it is registered under its ``name``::

    class SystemService(BaseService):
        name = "system"

        @rpc_method(PING)
        async def ping(self, p: PingParams) -> PingResult: ...

Handlers are ``async``; blocking work goes to ``self.run_blocking`` (a thread) so heartbeats
keep flowing. The call being served is ``current_call()``: its id, job, deadline, and a cancel
flag that a handler checks between units of work (``ctx.check_cancelled()``).
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from worker.protocol.errors import Cancelled, DeadlinePassed
from worker.protocol.methods import Method

T = TypeVar("T")
ProgressSink = Callable[["CallContext", float, str], None]


class ServiceSettings(BaseModel):
    """Settings every service has; subclasses add their own fields (flat scalars only)."""

    model_config = ConfigDict(extra="ignore")

    rpc_enabled: bool = True


@dataclass
class CallContext:
    """The call being served: identity, deadline and a thread-safe cancel flag."""

    call_id: str
    method: str
    job_id: str | None = None
    deadline: float | None = None  # seconds since the epoch
    client_id: str | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    progress_sink: ProgressSink | None = None

    @property
    def cancelled(self) -> bool:
        """True once the call or its job has been cancelled."""
        return self.cancel_event.is_set()

    def check_cancelled(self) -> None:
        """Stop work if the call was cancelled or ran past its deadline.

        Raises:
            Cancelled: the call or its job was cancelled.
            DeadlinePassed: the caller's deadline has passed.
        """
        if self.cancel_event.is_set():
            raise Cancelled(f"call {self.call_id} cancelled")
        if self.deadline is not None and time.time() > self.deadline:
            raise DeadlinePassed(f"call {self.call_id} ran past its deadline")

    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress of a long call (thread-safe; transient, may be lost)."""
        if self.progress_sink is not None:
            self.progress_sink(self, max(0.0, min(1.0, fraction)), message)


_current_call: contextvars.ContextVar[CallContext] = contextvars.ContextVar("vt_current_call")


def current_call() -> CallContext:
    """The context of the call this task is serving.

    Raises:
        LookupError: called outside a call.
    """
    return _current_call.get()


def set_current_call(ctx: CallContext) -> contextvars.Token[CallContext]:
    """Bind ``ctx`` as the current call (used by the dispatcher)."""
    return _current_call.set(ctx)


Handler = Callable[[Any, Any], Awaitable[BaseModel]]
HandlerFn = TypeVar("HandlerFn", bound=Callable[..., Awaitable[Any]])


def rpc_method(method: Method[Any, Any]) -> Callable[[HandlerFn], HandlerFn]:
    """Mark an async method of a service as the handler of ``method``."""

    def mark(fn: HandlerFn) -> HandlerFn:
        fn.__rpc_method__ = method  # type: ignore[attr-defined]
        return fn

    return mark


@dataclass(frozen=True)
class WorkerInfo:
    """Facts about the hosting worker that services may use."""

    worker_id: str
    config_dir: str
    cache_dir: str
    #: Calls this worker takes at once (its prefetch): services that batch size up to it.
    prefetch: int = 1
    #: Builds the worker's current capabilities (set by the runtime; None in unit tests).
    describe: Callable[[], Any] | None = field(default=None, compare=False)


class BaseService:
    """Base of every service; subclasses set ``name`` and decorate handlers."""

    name: ClassVar[str] = ""
    Settings: ClassVar[type[ServiceSettings]] = ServiceSettings
    #: Built-in services default to enabled; third-party plugins default to disabled.
    builtin: ClassVar[bool] = False

    def __init__(self, settings: ServiceSettings, worker: WorkerInfo) -> None:
        self.settings = settings
        self.worker = worker

    @classmethod
    def handlers(cls) -> dict[str, tuple[Method[Any, Any], str]]:
        """Method name → (declaration, attribute name) for every ``@rpc_method``."""
        found: dict[str, tuple[Method[Any, Any], str]] = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                method = getattr(value, "__rpc_method__", None)
                if isinstance(method, Method):
                    if method.service != cls.name:
                        raise TypeError(
                            f"{cls.__name__}.{attr} declares {method.name}, "
                            f"outside service {cls.name!r}"
                        )
                    found[method.name] = (method, attr)
        return found

    async def start(self) -> None:
        """Called once before the first call; keep it fast (load models lazily)."""

    async def stop(self) -> None:
        """Called once when the worker stops."""

    def capabilities(self) -> dict[str, Any]:
        """Extra facts for the presence heartbeat (``models``, ``device``, …)."""
        return {}

    async def run_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """Run blocking work in a thread, keeping the current call's context."""
        ctx = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(None, ctx.run, fn, *args)
