"""The wire contract: envelopes, the error tree and method declarations."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from worker.protocol import errors
from worker.protocol.errors import ErrorObject, error_from_object
from worker.protocol.jsonrpc import (
    Response,
    encode_request,
    parse_request,
    parse_response,
    salvage_id,
)
from worker.protocol.methods import Method
from worker.protocol.system import PingParams, PingResult


def test_request_round_trips_through_its_json_body() -> None:
    body = encode_request("system.echo", {"value": "ü"}, "abc")
    req = parse_request(body)
    assert (req.method, req.params, req.id) == ("system.echo", {"value": "ü"}, "abc")
    assert not req.is_notification


def test_request_without_id_is_a_notification() -> None:
    assert parse_request(encode_request("system.ping", None, None)).is_notification


@pytest.mark.parametrize(
    ("body", "cls"),
    [
        (b"{", errors.ParseError),
        (b"\xff", errors.ParseError),
        (b"[]", errors.InvalidRequest),
        (b"42", errors.InvalidRequest),
        (b'{"jsonrpc":"2.0","method":"a.b","id":1.5}', errors.InvalidRequest),
        (b'{"jsonrpc":"1.0","method":"a.b","id":1}', errors.InvalidRequest),
        (b'{"jsonrpc":"2.0","id":1}', errors.InvalidRequest),
        (b'{"jsonrpc":"2.0","method":"a.b","id":1,"extra":0}', errors.InvalidRequest),
        (b'{"jsonrpc":"2.0","method":"a.b","params":"x","id":1}', errors.InvalidRequest),
    ],
)
def test_bad_bodies_raise_the_right_error(body: bytes, cls: type[errors.RpcError]) -> None:
    with pytest.raises(cls):
        parse_request(body)


def test_every_error_code_maps_back_to_its_class() -> None:
    classes = [
        c
        for c in vars(errors).values()
        if isinstance(c, type) and issubclass(c, errors.RpcError) and c is not errors.RpcError
    ]
    assert len({c.code for c in classes}) == len(classes), "codes must be unique"
    for cls in classes:
        err = error_from_object(cls("boom", {"k": 1}).to_object())
        assert type(err) is cls and err.message == "boom" and err.data == {"k": 1}
    assert errors.Cancelled.code == -32800
    assert all(-32099 <= c.code <= -32000 for c in classes if c.code > -32600 and c.code != -32800)


def test_unknown_error_code_keeps_its_code() -> None:
    err = error_from_object(ErrorObject(code=-32050, message="custom"))
    assert err.code == -32050 and err.message == "custom"


def test_response_carries_result_or_error_not_both() -> None:
    with pytest.raises(ValueError, match="either result or error"):
        Response(id=1, result=1, error=ErrorObject(code=-1, message="x"))
    body = Response(id="a", error=errors.NoWorker("none").to_object()).to_bytes()
    assert json.loads(body) == {
        "jsonrpc": "2.0",
        "id": "a",
        "error": {"code": -32003, "message": "none"},
    }
    assert parse_response(Response(id=2, result={"x": 1}).to_bytes()).result == {"x": 1}


def test_method_names_must_be_service_dot_method() -> None:
    assert Method("asr.transcribe", PingParams, PingResult).service == "asr"
    for bad in ("transcribe", "a.b.c", ".x", "x."):
        with pytest.raises(ValueError, match="service"):
            Method(bad, PingParams, PingResult)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_either_parse_or_raise_a_protocol_error(body: bytes) -> None:
    with contextlib.suppress(errors.ParseError, errors.InvalidRequest):
        parse_request(body)
    salvage_id(body)  # never raises
