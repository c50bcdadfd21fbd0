"""The error tree shared by callers and workers.

Errors cross the wire only as JSON-RPC error objects with stable codes; this module is the
one place that maps codes to classes (``error_from_object``) and back (``RpcError.to_object``).

    RpcError                      any failure of a call, local or remote
    ├── ParseError       -32700   the request body is not JSON
    ├── InvalidRequest   -32600   JSON, but not a JSON-RPC 2.0 request
    ├── MethodNotFound   -32601   no service on the worker declares that method
    ├── InvalidParams    -32602   params failed validation (pydantic's text in ``data``)
    ├── InternalError    -32603   a bug on the worker: nothing more crosses the wire
    ├── ServiceError     -32000   a service failed to do what was asked
    ├── ModelUnavailable -32001   the model is missing, cannot download, or cannot load
    ├── UnsupportedMedia -32002   the media sent cannot be decoded
    ├── NoWorker         -32003   no worker serves the service (raised at once by the caller)
    ├── CallTimeout      -32004   the caller's deadline passed before a reply came
    ├── DeadlinePassed   -32005   the worker received the call after its deadline
    ├── PoisonCall       -32006   the call crashed its workers until it was dead-lettered
    ├── BrokerError      -32007   the broker is unreachable or refused us (raised locally)
    └── Cancelled        -32800   the call or its job was cancelled
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel


class ErrorObject(BaseModel):
    """A JSON-RPC 2.0 error object."""

    code: int
    message: str
    data: Any | None = None


class RpcError(Exception):
    """Raised when a call fails; ``code`` is its stable JSON-RPC code."""

    code: ClassVar[int] = -32603
    default_message: ClassVar[str] = "internal error"

    def __init__(self, message: str | None = None, data: Any | None = None) -> None:
        self.message = message or self.default_message
        self.data = data
        super().__init__(self.message)

    def to_object(self) -> ErrorObject:
        """The wire form of this error."""
        return ErrorObject(code=self.code, message=self.message, data=self.data)


class ParseError(RpcError):
    """Raised when a request body is not valid JSON."""

    code = -32700
    default_message = "parse error: body is not valid UTF-8 JSON"


class InvalidRequest(RpcError):
    """Raised when a body is JSON but not a JSON-RPC 2.0 request."""

    code = -32600
    default_message = "invalid request"


class MethodNotFound(RpcError):
    """Raised when no enabled service declares the method."""

    code = -32601
    default_message = "method not found"


class InvalidParams(RpcError):
    """Raised when params fail validation against the method's params model."""

    code = -32602
    default_message = "invalid params"


class InternalError(RpcError):
    """Raised when a handler fails unexpectedly; details stay in the worker's log."""

    code = -32603
    default_message = "internal error"


class ServiceError(RpcError):
    """Raised when a service cannot do what was asked."""

    code = -32000
    default_message = "service failure"


class ModelUnavailable(RpcError):
    """Raised when a model is missing, cannot be downloaded or cannot be loaded."""

    code = -32001
    default_message = "model unavailable"


class UnsupportedMedia(RpcError):
    """Raised when the media sent in a call cannot be decoded."""

    code = -32002
    default_message = "unsupported media"


class NoWorker(RpcError):
    """Raised at once when no worker serves the called service."""

    code = -32003
    default_message = "no worker serves this service"


class CallTimeout(RpcError):
    """Raised when the caller's deadline passes before a reply arrives."""

    code = -32004
    default_message = "call timed out"


class DeadlinePassed(RpcError):
    """Raised by a worker that receives a call after its deadline."""

    code = -32005
    default_message = "deadline passed before the call was started"


class PoisonCall(RpcError):
    """Raised when a call was dead-lettered after crashing its workers repeatedly."""

    code = -32006
    default_message = "call failed on every delivery and was dead-lettered"


class BrokerError(RpcError):
    """Raised when the broker cannot be reached or refuses the connection."""

    code = -32007
    default_message = "message broker unavailable"


class Cancelled(RpcError):
    """Raised when the call or its job was cancelled."""

    code = -32800
    default_message = "cancelled"


_BY_CODE: dict[int, type[RpcError]] = {
    cls.code: cls
    for cls in (
        ParseError,
        InvalidRequest,
        MethodNotFound,
        InvalidParams,
        InternalError,
        ServiceError,
        ModelUnavailable,
        UnsupportedMedia,
        NoWorker,
        CallTimeout,
        DeadlinePassed,
        PoisonCall,
        BrokerError,
        Cancelled,
    )
}


def error_from_object(obj: ErrorObject) -> RpcError:
    """Turn a wire error object back into its typed exception (unknown codes → RpcError)."""
    cls = _BY_CODE.get(obj.code)
    if cls is None:
        err = RpcError(obj.message, obj.data)
        err.code = obj.code  # type: ignore[misc]
        return err
    return cls(obj.message, obj.data)
