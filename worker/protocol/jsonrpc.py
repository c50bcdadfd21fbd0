"""JSON-RPC 2.0 envelopes (requests, responses, notifications) and their strict parsing."""

from __future__ import annotations

import json
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from worker.protocol.errors import ErrorObject, InvalidRequest, ParseError

CallId = str | int


class Request(BaseModel):
    """A JSON-RPC 2.0 request; ``id`` absent means a notification (no reply)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    jsonrpc: Literal["2.0"]
    method: str
    params: dict[str, Any] | list[Any] | None = None
    id: CallId | None = None

    @property
    def is_notification(self) -> bool:
        """True when the caller expects no reply."""
        return self.id is None


class Response(BaseModel):
    """A JSON-RPC 2.0 response: exactly one of ``result`` and ``error``."""

    model_config = ConfigDict(extra="forbid")

    jsonrpc: Literal["2.0"] = "2.0"
    id: CallId | None
    result: Any | None = None
    error: ErrorObject | None = None

    @model_validator(mode="after")
    def _one_of_result_or_error(self) -> Response:
        if self.error is not None and self.result is not None:
            raise ValueError("a response carries either result or error, not both")
        return self

    def to_bytes(self) -> bytes:
        """The UTF-8 JSON body of this response."""
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": self.id}
        if self.error is not None:
            body["error"] = self.error.model_dump(exclude_none=True)
        else:
            body["result"] = self.result
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def new_call_id() -> str:
    """A fresh, globally unique call id."""
    return uuid.uuid4().hex


def encode_request(method: str, params: dict[str, Any] | None, call_id: CallId | None) -> bytes:
    """The UTF-8 JSON body of a request (``call_id`` None makes a notification)."""
    body: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        body["params"] = params
    if call_id is not None:
        body["id"] = call_id
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _loads(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ParseError(f"parse error: {type(exc).__name__}") from None


def salvage_id(body: bytes) -> CallId | None:
    """The request id of a body that failed validation, when one can be read safely."""
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    if isinstance(obj, dict):
        rid = obj.get("id")
        if isinstance(rid, str | int) and not isinstance(rid, bool) and len(str(rid)) <= 128:
            return rid
    return None


def parse_request(body: bytes) -> Request:
    """Parse a request body.

    Raises:
        ParseError: the body is not UTF-8 JSON.
        InvalidRequest: the JSON is not a single JSON-RPC 2.0 request (batches are refused).
    """
    obj = _loads(body)
    if isinstance(obj, list):
        raise InvalidRequest("invalid request: batches are not supported")
    if not isinstance(obj, dict):
        raise InvalidRequest("invalid request: body must be a JSON object")
    try:
        return Request.model_validate(obj)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "body" for e in exc.errors())
        raise InvalidRequest(f"invalid request: bad {fields}") from None


def parse_response(body: bytes) -> Response:
    """Parse a response body.

    Raises:
        ParseError: the body is not UTF-8 JSON.
        InvalidRequest: the JSON is not a JSON-RPC 2.0 response.
    """
    obj = _loads(body)
    try:
        return Response.model_validate(obj)
    except ValidationError:
        raise InvalidRequest("invalid response") from None
