"""The wire contract: JSON-RPC 2.0 envelopes, method declarations, and the error tree."""

from worker.protocol.errors import (
    BrokerError,
    CallTimeout,
    Cancelled,
    DeadlinePassed,
    ErrorObject,
    InternalError,
    InvalidParams,
    InvalidRequest,
    MethodNotFound,
    ModelUnavailable,
    NoWorker,
    ParseError,
    PoisonCall,
    RpcError,
    ServiceError,
    UnsupportedMedia,
    error_from_object,
)
from worker.protocol.methods import Method

__all__ = [
    "BrokerError",
    "CallTimeout",
    "Cancelled",
    "DeadlinePassed",
    "ErrorObject",
    "InternalError",
    "InvalidParams",
    "InvalidRequest",
    "Method",
    "MethodNotFound",
    "ModelUnavailable",
    "NoWorker",
    "ParseError",
    "PoisonCall",
    "RpcError",
    "ServiceError",
    "UnsupportedMedia",
    "error_from_object",
]
