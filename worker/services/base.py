"""What a service is: a ``BaseService`` subclass whose handlers serve calls.

A service module is a file named ``*_service.py`` under ``worker/services/`` (or anywhere
under the user's plugin folder). Each ``BaseService`` subclass in it is registered under its
``name``, or, without one, under its file's name (``video_processing_service.py`` →
``video_processing``). A service serves its ``@rpc_method`` handlers::

    class SystemService(BaseService):
        name = "system"

        @rpc_method(PING)
        async def ping(self, p: PingParams) -> PingResult: ...

Handlers are ``async``; blocking work goes to ``self.run_blocking`` (a thread) so heartbeats
keep flowing. The call being served is ``current_call()``: its id, job, deadline, and a cancel
flag that a handler checks between units of work (``ctx.check_cancelled()``).

A service may instead (or also) define, in the original backend's style, ``execute(self, data)``,
served as ``<name>.execute`` (params any JSON object, the result returned as is; a plain
``def`` runs in a thread, an ``async def`` on the loop)::

    class VideoProcessingService(BaseService):
        def execute(self, data: dict[str, Any]) -> dict[str, Any]:
            return {"frames": count_frames(data["path"])}
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from worker.call import CallContext, ProgressSink, current_call, set_current_call
from worker.protocol.errors import InternalError
from worker.protocol.execute import ExecuteParams, ExecuteResult, execute_method
from worker.protocol.methods import Method

# The call context lives in worker.call, below services and engines (an engine reads it too);
# services and plugins take it from here with the rest of what a service is.
__all__ = [
    "BaseService",
    "CallContext",
    "ProgressSink",
    "ServiceSettings",
    "WorkerInfo",
    "current_call",
    "rpc_method",
    "set_current_call",
]

T = TypeVar("T")


class ServiceSettings(BaseModel):
    """Settings every service has; subclasses add their own fields (flat scalars only)."""

    model_config = ConfigDict(extra="ignore")

    rpc_enabled: bool = True


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


#: The attribute that serves ``<name>.execute`` for a service that defines ``execute``.
EXECUTE_ATTR = "_serve_execute"


class BaseService:
    """Base of every service; subclasses decorate handlers or define ``execute(data)``."""

    name: ClassVar[str] = ""
    Settings: ClassVar[type[ServiceSettings]] = ServiceSettings
    #: Built-in services default to enabled; third-party plugins default to disabled.
    builtin: ClassVar[bool] = False

    def __init__(self, settings: ServiceSettings, worker: WorkerInfo) -> None:
        self.settings = settings
        self.worker = worker

    @classmethod
    def has_execute(cls) -> bool:
        """True when the service defines the design's template method ``execute(data)``."""
        return callable(getattr(cls, "execute", None))

    @classmethod
    def handlers(cls) -> dict[str, tuple[Method[Any, Any], str]]:
        """Method name → (declaration, attribute name) for every ``@rpc_method``, and
        ``<name>.execute`` when the service defines ``execute``.

        Raises:
            TypeError: a handler declares a method of another service, or two declare one,
                or a handler is not ``async def``.
        """
        found: dict[str, tuple[Method[Any, Any], str]] = {}
        if cls.has_execute():
            found[f"{cls.name}.execute"] = (execute_method(cls.name), EXECUTE_ATTR)
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                method = getattr(value, "__rpc_method__", None)
                if isinstance(method, Method):
                    if method.service != cls.name:
                        raise TypeError(
                            f"{cls.__name__}.{attr} declares {method.name}, "
                            f"outside service {cls.name!r}"
                        )
                    if not inspect.iscoroutinefunction(value):
                        raise TypeError(
                            f"{cls.__name__}.{attr} handles {method.name} but is not "
                            "'async def' (blocking work goes to self.run_blocking)"
                        )
                    if method.name in found and found[method.name][1] != attr:
                        raise TypeError(
                            f"{cls.__name__}.{attr} declares {method.name}, "
                            f"already served by {cls.__name__}.{found[method.name][1]}"
                        )
                    found[method.name] = (method, attr)
        return found

    async def _serve_execute(self, params: ExecuteParams) -> ExecuteResult:
        """Serve ``<name>.execute``: call ``execute(data)`` (a plain function in a thread)
        and check that what it returned can be sent back as JSON.

        Raises:
            InternalError: ``execute`` returned something that is not JSON.
        """
        execute: Callable[[dict[str, Any]], Any] = getattr(self, "execute")  # noqa: B009
        if inspect.iscoroutinefunction(execute):
            result = await execute(params.root)
        else:
            result = await self.run_blocking(execute, params.root)
            if inspect.isawaitable(result):
                result = await result
        try:
            json.dumps(result, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise InternalError(
                f"{self.name}.execute returned a {type(result).__name__} that is not "
                f"JSON-serialisable ({exc}); return dicts, lists, strings, numbers, "
                "booleans or None"
            ) from None
        return ExecuteResult(result)

    def get_config(self) -> dict[str, Any]:
        """This service's settings (its config file over its defaults), as a dict."""
        return self.settings.model_dump()

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
