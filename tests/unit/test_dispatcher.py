"""The dispatcher answers every request, maps every failure to a code, leaks nothing."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from worker.dispatcher import CallMeta, Dispatcher
from worker.protocol.jsonrpc import encode_request
from worker.protocol.methods import Method
from worker.services.base import BaseService, ServiceSettings, WorkerInfo, current_call, rpc_method
from worker.services.system_service import SystemService


class BoomParams(BaseModel):
    secret: str = "hunter2"


class BoomResult(BaseModel):
    ok: bool


BOOM = Method("boom.explode", BoomParams, BoomResult)
WHO = Method("boom.who", BoomParams, BoomResult)


class BoomService(BaseService):
    name = "boom"
    seen: ClassVar[list[str]] = []

    @rpc_method(BOOM)
    async def explode(self, p: BoomParams) -> BoomResult:
        raise RuntimeError(f"password {p.secret} leaked in a traceback")

    @rpc_method(WHO)
    async def who(self, p: BoomParams) -> BoomResult:
        self.seen.append(current_call().call_id)
        return BoomResult(ok=True)


def make(tmp_path: Path) -> Dispatcher:
    info = WorkerInfo("w1", str(tmp_path), str(tmp_path))
    return Dispatcher(
        [SystemService(ServiceSettings(), info), BoomService(ServiceSettings(), info)]
    )


async def ask(
    d: Dispatcher, method: str, params: Any, cid: Any = "1", **meta: Any
) -> dict[str, Any]:
    resp = await d.handle(encode_request(method, params, cid), CallMeta(**meta))
    assert resp is not None
    return json.loads(resp.to_bytes())  # type: ignore[no-any-return]


async def test_handler_exception_becomes_32603_without_traceback_or_secret(tmp_path: Path) -> None:
    out = await ask(make(tmp_path), "boom.explode", {})
    assert out["error"]["code"] == -32603
    text = json.dumps(out)
    assert "hunter2" not in text and "Traceback" not in text and "RuntimeError" not in text
    assert "boom.explode" in out["error"]["message"]


async def test_list_params_are_refused_with_32602(tmp_path: Path) -> None:
    out = await ask(make(tmp_path), "system.echo", [1, 2])
    assert out["error"]["code"] == -32602


async def test_deadline_already_passed_is_refused(tmp_path: Path) -> None:
    out = await ask(make(tmp_path), "system.ping", {}, deadline=1.0)
    assert out["error"]["code"] == -32005


async def test_cancelled_job_is_refused_and_running_call_stops(tmp_path: Path) -> None:
    d = make(tmp_path)
    task = asyncio.create_task(ask(d, "system.sleep", {"seconds": 5}, "s1", job_id="j"))
    await asyncio.sleep(0.1)
    assert d.cancel(job_id="j") == 1
    assert (await task)["error"]["code"] == -32800
    assert (await ask(d, "system.ping", {}, job_id="j"))["error"]["code"] == -32800
    assert "result" in await ask(d, "system.ping", {}, job_id="other")


async def test_call_context_is_bound_per_call(tmp_path: Path) -> None:
    BoomService.seen.clear()
    d = make(tmp_path)
    await asyncio.gather(*(ask(d, "boom.who", {}, f"c{i}") for i in range(5)))
    assert sorted(BoomService.seen) == [f"c{i}" for i in range(5)]
    assert d.running == {}


async def test_notifications_get_no_reply(tmp_path: Path) -> None:
    assert await make(tmp_path).handle(encode_request("system.ping", {}, None), CallMeta()) is None


def test_a_handler_outside_its_service_is_refused() -> None:
    class Wrong(BaseService):
        name = "other"

        @rpc_method(WHO)
        async def who(self, p: BoomParams) -> BoomResult:
            return BoomResult(ok=True)

    with pytest.raises(TypeError, match="outside service"):
        Wrong.handlers()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(
        ["system.echo", "system.sleep", "system.ping", "boom.who", "nope.x", ""]
    ),
    params=json_values,
    cid=st.one_of(st.text(max_size=10), st.integers(), st.none(), st.floats(allow_nan=False)),
)
def test_fuzzed_requests_always_get_a_wellformed_answer(
    tmp_path: Path, method: str, params: Any, cid: Any
) -> None:
    d = make(tmp_path)
    body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": cid}).encode()
    resp = asyncio.run(d.handle(body, CallMeta()))
    if resp is None:
        assert cid is None
        return
    out = json.loads(resp.to_bytes())
    assert ("result" in out) != ("error" in out)
    if "error" in out:
        assert out["error"]["code"] in {-32700, -32600, -32601, -32602, -32603, -32800}
        assert out["error"]["code"] != -32603, out  # nothing reaches a handler unvalidated


async def test_each_call_is_logged_when_received_and_when_answered(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An operator follows a call by its correlation id: one INFO line in, one out."""
    d = make(tmp_path)
    with caplog.at_level(logging.INFO, logger="worker.dispatcher"):
        await ask(d, "system.ping", {}, "c-ok", job_id="j1", client_id="alice")
        await ask(d, "boom.explode", {}, "c-bad")
    lines = [r.getMessage() for r in caplog.records if r.name == "worker.dispatcher"]
    assert "received rpc system.ping id=c-ok job=j1 client=alice" in lines
    assert any(re.fullmatch(r"answered rpc system\.ping id=c-ok in \d+\.\d{3} s: ok", line)
               for line in lines), lines  # fmt: skip
    assert "received rpc boom.explode id=c-bad job=- client=-" in lines
    assert any(line.startswith("answered rpc boom.explode id=c-bad in ")
               and line.endswith("error -32603 (internal)") for line in lines), lines  # fmt: skip
