"""Hostile AMQP messages for a worker's queue, and the answer JSON-RPC 2.0 owes each.

The strategies build a body, headers and properties; ``expected_answer`` is the oracle: it
reads the body the way the JSON-RPC 2.0 specification and the method declarations say, and
names the error code (or ``RESULT``) a correct worker must answer with, or ``None`` when no
answer is owed (a notification). It checks params against the declared pydantic models, the
same contract the caller uses, so "nothing reaches a service unvalidated" shows as: no answer
is ever -32603 (a handler crashing on input it should never have been given).
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from worker.protocol.asr import DETECT_LANGUAGE, TRANSCRIBE
from worker.protocol.methods import Method
from worker.protocol.system import CAPABILITIES, ECHO, PING, SLEEP

RESULT = 0  # the answer is a result, not an error
SERVED: dict[str, Method[Any, Any]] = {
    m.name: m for m in (PING, ECHO, CAPABILITIES, SLEEP, TRANSCRIBE, DETECT_LANGUAGE)
}
#: Methods whose valid params carry hostile audio: the service must refuse it as media (-32002).
AUDIO_METHODS = {TRANSCRIBE.name, DETECT_LANGUAGE.name}
PARSE, INVALID_REQUEST, NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
UNSUPPORTED_MEDIA, DEADLINE_PASSED, INTERNAL = -32002, -32005, -32603


@dataclass
class Hostile:
    """One message: body, AMQP headers, and whether it asks for an answer."""

    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)
    content_type: str | None = None
    with_reply_to: bool = True
    persistent: bool = True


class WireBytes(str):
    """A header value sent as an AMQP long string of exactly these bytes (maybe not UTF-8).

    Other AMQP clients send such strings; a worker receives them as ``bytes``.
    """

    raw: bytes

    def __new__(cls, raw: bytes) -> WireBytes:
        obj = super().__new__(cls, raw.decode("latin-1"))
        obj.raw = raw
        return obj

    def encode(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return self.raw


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=16)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=10,
)
call_ids = st.one_of(
    st.text(min_size=1, max_size=12),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.just({"nested": 1}),
    st.just([1]),
    st.text(min_size=200, max_size=300),
)
garbage_base64 = st.binary(min_size=1, max_size=2048).map(lambda b: base64.b64encode(b).decode())


def _sleep_params() -> st.SearchStrategy[Any]:
    """Sleep params that are either tiny (valid) or invalid: never a long valid sleep."""
    seconds = st.one_of(
        st.floats(min_value=0, max_value=0.005),
        st.floats(max_value=-1e-9, allow_nan=False),
        st.floats(min_value=600.001, allow_nan=False),
        st.text(max_size=8),
        st.none(),
        st.booleans(),
    )
    return st.fixed_dictionaries({"seconds": seconds}) | st.just({}) | json_values


def _audio_params() -> st.SearchStrategy[Any]:
    """Well-formed audio calls with hostile audio, and malformed ones."""
    valid = st.fixed_dictionaries(
        {"audio": garbage_base64},
        optional={"offset_s": st.floats(min_value=0, max_value=1e4), "language": st.just("en")},
    )
    bad = st.fixed_dictionaries(
        {"audio": st.text(max_size=40) | st.integers() | st.just("")},
        optional={"offset_s": json_scalars, "model": json_scalars, "evil": json_values},
    )
    return valid | bad | json_values


def _params_for(method: str) -> st.SearchStrategy[Any]:
    if method == SLEEP.name:
        return _sleep_params()
    if method in AUDIO_METHODS:
        return _audio_params()
    return st.one_of(st.just({}), st.fixed_dictionaries({"value": json_values}), json_values)


@st.composite
def request_like(draw: st.DrawFn) -> bytes:
    """A dict shaped like a request, each member possibly wrong, missing or extra."""
    served = st.sampled_from(sorted(SERVED))
    method = draw(st.one_of(served, served, served, st.text(max_size=20), st.just("system.")))
    obj: dict[str, Any] = {}
    if draw(st.integers(0, 9)) > 0:
        obj["jsonrpc"] = draw(st.sampled_from(["2.0", "2.0", "2.0", "1.0", "2", 2.0]))
    if draw(st.integers(0, 9)) > 0:
        obj["method"] = method if draw(st.integers(0, 9)) > 0 else draw(json_values)
    if draw(st.booleans()):
        obj["params"] = draw(_params_for(method))
    if draw(st.integers(0, 9)) > 0:
        obj["id"] = draw(call_ids)
    if draw(st.integers(0, 19)) == 0:
        obj[draw(st.text(min_size=1, max_size=8))] = draw(json_values)
    return json.dumps(obj, ensure_ascii=draw(st.booleans())).encode()


@st.composite
def served_call(draw: st.DrawFn) -> bytes:
    """A well-formed request to a served method; only its params are hostile."""
    method = draw(st.sampled_from(sorted(SERVED)))
    obj = {"jsonrpc": "2.0", "method": method, "id": draw(st.text(max_size=8) | st.integers())}
    obj["params"] = draw(_params_for(method))
    return json.dumps(obj).encode()


hostile_bodies = st.one_of(
    *[served_call()] * 6,
    *[request_like()] * 4,
    st.binary(max_size=200),
    st.text(max_size=100).map(str.encode),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.integers(10_000, 60_000).map(lambda n: b"[" * n + b"]" * n),  # recursion bomb
    st.integers(1, 4).map(lambda n: b'{"jsonrpc":"2.0","method":"' + b"x" * (n << 16) + b'"}'),
    request_like().map(lambda b: b"\xef\xbb\xbf" + b),  # a UTF-8 BOM: not JSON
    request_like().map(lambda b: b[: len(b) // 2] + b"\xff\xfe" + b[len(b) // 2 :]),
    st.just(b'{"jsonrpc":"2.0","method":"system.echo","params":{"value":NaN},"id":"n"}'),
    st.just(b'{"jsonrpc":"2.0","method":"system.ping","id":1,"id":2}'),
)
header_values = st.one_of(
    st.text(max_size=20),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.floats(width=32, allow_nan=False, allow_infinity=False),  # AMQP tables carry float32
    st.binary(max_size=20).map(WireBytes),
    st.binary(max_size=20).map(bytearray),
    st.none(),
)
deadlines = st.one_of(
    st.integers(0, 2**62),
    st.just(int(time.time() * 1000) - 5_000).map(lambda _: int(time.time() * 1000) - 5_000),
    st.just(0).map(lambda _: int(time.time() * 1000) + 600_000),
    header_values,
)


@st.composite
def hostile_messages(draw: st.DrawFn) -> Hostile:
    """A hostile body with fuzzed headers and properties."""
    headers: dict[str, Any] = draw(
        st.dictionaries(st.text(min_size=1, max_size=10), header_values, max_size=3)
    )
    if draw(st.booleans()):
        headers["x-deadline-ms"] = draw(deadlines)
    for key in ("x-job-id", "x-client-id"):
        if draw(st.integers(0, 3)) == 0:
            headers[key] = draw(header_values)
    return Hostile(
        body=draw(hostile_bodies),
        headers=headers,
        content_type=draw(st.sampled_from([None, "application/json", "text/plain", "x/\x00"])),
        with_reply_to=draw(st.integers(0, 4)) > 0,
        persistent=draw(st.booleans()),
    )


class _Envelope(BaseModel):
    """The JSON-RPC 2.0 request members, as the specification types them."""

    model_config = {"extra": "forbid", "strict": True}

    jsonrpc: str
    method: str
    params: dict[str, Any] | list[Any] | None = None
    id: str | int | None = None


def _request(body: bytes) -> dict[str, Any] | int:
    """The request object, or the error code its envelope earns."""
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return PARSE
    if not isinstance(obj, dict):
        return INVALID_REQUEST
    try:
        envelope = _Envelope.model_validate(obj)
    except ValidationError:
        return INVALID_REQUEST
    if envelope.jsonrpc != "2.0":
        return INVALID_REQUEST
    return obj


def expected_answer(message: Hostile, now_ms: float) -> int | None:  # noqa: PLR0911 (one return per rule of the spec reads best)
    """The code a correct worker answers with; ``RESULT`` for a result; None for no answer."""
    request = _request(message.body)
    if isinstance(request, int):
        return request
    if request.get("id") is None:
        return None
    method = SERVED.get(request["method"])
    if method is None:
        return NOT_FOUND
    params = request.get("params")
    if isinstance(params, list):
        return INVALID_PARAMS
    try:
        method.params.model_validate(params or {})
    except ValidationError:
        return INVALID_PARAMS
    deadline = message.headers.get("x-deadline-ms")
    if isinstance(deadline, int) and not isinstance(deadline, bool) and deadline < now_ms:
        return DEADLINE_PASSED
    if method.name in AUDIO_METHODS:
        return UNSUPPORTED_MEDIA
    return RESULT
