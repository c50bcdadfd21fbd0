"""The dispatcher: the one place where a request body becomes a response body.

Parse, validate with pydantic, route to the service's handler, and map every failure to a
JSON-RPC error object. No call is ever left unanswered and no traceback crosses the wire:
unexpected exceptions are logged here with the call id and answered as -32603.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from worker.call import CallContext, ProgressSink, set_current_call
from worker.protocol.errors import (
    Cancelled,
    DeadlinePassed,
    InternalError,
    InvalidParams,
    MethodNotFound,
    RpcError,
)
from worker.protocol.jsonrpc import Request, Response, parse_request, salvage_id
from worker.protocol.methods import Method
from worker.services.base import BaseService

log = logging.getLogger(__name__)
CANCELLED_JOBS_KEPT = 1000


@dataclass(frozen=True)
class CallMeta:
    """What the transport knows about a call beyond its body (AMQP headers)."""

    job_id: str | None = None
    deadline: float | None = None
    client_id: str | None = None


@dataclass(frozen=True)
class Route:
    """One served method: its declaration and the bound handler."""

    method: Method[Any, Any]
    service: BaseService
    attr: str


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors without the offending input (it may be large or private)."""
    return [
        {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"], "type": e["type"]}
        for e in exc.errors()
    ]


class Dispatcher:
    """Routes requests to service handlers and tracks the calls running now."""

    def __init__(self, services: list[BaseService], progress_sink: ProgressSink | None = None):
        self.routes: dict[str, Route] = {}
        for svc in services:
            for name, (method, attr) in svc.handlers().items():
                self.routes[name] = Route(method, svc, attr)
        self.progress_sink = progress_sink
        self.running: dict[str, CallContext] = {}
        self._cancelled_jobs: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def services(self) -> list[str]:
        """Names of the services routed here."""
        return sorted({r.method.service for r in self.routes.values()})

    def cancel(self, *, job_id: str | None = None, call_id: str | None = None) -> int:
        """Cancel a running call and every later call of the job; returns calls stopped."""
        stopped = 0
        with self._lock:
            if job_id:
                self._cancelled_jobs[job_id] = None
                while len(self._cancelled_jobs) > CANCELLED_JOBS_KEPT:
                    self._cancelled_jobs.popitem(last=False)
            for ctx in self.running.values():
                if (job_id and ctx.job_id == job_id) or (call_id and ctx.call_id == call_id):
                    ctx.cancel_event.set()
                    stopped += 1
        return stopped

    def job_cancelled(self, job_id: str | None) -> bool:
        """True when ``job_id`` was cancelled on this worker."""
        return job_id is not None and job_id in self._cancelled_jobs

    async def handle(self, body: bytes, meta: CallMeta) -> Response | None:
        """Serve one request body; None for a notification (no reply owed)."""
        try:
            request = parse_request(body)
        except RpcError as err:
            return Response(id=salvage_id(body), error=err.to_object())
        if request.is_notification:
            log.info("notification %s ignored: no method here takes notifications", request.method)
            return None
        # One line per call received and one per answer, as the original backend logged
        # ("Received RPC request. Correlation ID …"): the id is the AMQP correlation id.
        log.info("received rpc %s id=%s job=%s client=%s", request.method, request.id,
                 meta.job_id or "-", meta.client_id or "-")  # fmt: skip
        started = time.perf_counter()
        try:
            result = await self._serve(request, meta)
        except RpcError as exc:
            log.info("answered rpc %s id=%s in %.3f s: error %s %s", request.method, request.id,
                     time.perf_counter() - started, exc.code, exc)  # fmt: skip
            return Response(id=request.id, error=exc.to_object())
        except Exception:
            log.exception("rpc %s id=%s crashed", request.method, request.id)
            internal = InternalError(
                f"internal error in {request.method} (call {request.id}); "
                "the worker's log has the details"
            )
            log.info("answered rpc %s id=%s in %.3f s: error %s (internal)", request.method,
                     request.id, time.perf_counter() - started, internal.code)  # fmt: skip
            return Response(id=request.id, error=internal.to_object())
        log.info("answered rpc %s id=%s in %.3f s: ok", request.method, request.id,
                 time.perf_counter() - started)  # fmt: skip
        return Response(id=request.id, result=result)

    async def _serve(self, request: Request, meta: CallMeta) -> Any:
        route = self.routes.get(request.method)
        if route is None:
            known = ", ".join(sorted(self.routes)) or "none"
            raise MethodNotFound(f"method not found: {request.method!r} (served here: {known})")
        params = self._validate(route.method, request)
        call_id = str(request.id)
        if meta.deadline is not None and time.time() > meta.deadline:
            raise DeadlinePassed(f"call {call_id} arrived after its deadline")
        if self.job_cancelled(meta.job_id):
            raise Cancelled(f"job {meta.job_id} was cancelled")
        ctx = CallContext(
            call_id=call_id,
            method=request.method,
            job_id=meta.job_id,
            deadline=meta.deadline,
            client_id=meta.client_id,
            progress_sink=self.progress_sink,
        )
        with self._lock:
            self.running[call_id] = ctx
        token = set_current_call(ctx)
        started = time.monotonic()
        try:
            handler = getattr(route.service, route.attr)
            result = await handler(params)
        finally:
            with self._lock:
                self.running.pop(call_id, None)
            token.var.reset(token)
        log.debug(
            "rpc %s id=%s served in %.3fs", request.method, call_id, time.monotonic() - started
        )
        return self._dump(route.method, result)

    @staticmethod
    def _validate(method: Method[Any, Any], request: Request) -> BaseModel:
        if isinstance(request.params, list):
            raise InvalidParams(f"invalid params for {method.name}: params must be an object")
        try:
            params: BaseModel = method.params.model_validate(request.params or {})
            return params
        except ValidationError as exc:
            details = validation_details(exc)
            fields = ", ".join(d["field"] or "params" for d in details)
            raise InvalidParams(
                f"invalid params for {method.name}: {fields}", data=details
            ) from None

    @staticmethod
    def _dump(method: Method[Any, Any], result: Any) -> Any:
        if not isinstance(result, method.result):
            result = method.result.model_validate(result)
        return result.model_dump(mode="json")
