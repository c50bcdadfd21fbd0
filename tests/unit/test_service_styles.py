"""Both service styles: ``@rpc_method`` handlers and the design's ``execute(data)``, found
recursively under the plugin folder, named from their file, disabled until enabled; every
class that is not served says why."""

from __future__ import annotations

import json
import logging
import shutil
import threading
import tomllib
from pathlib import Path
from typing import Any

import pytest

from worker.dispatcher import CallMeta, Dispatcher
from worker.loader import discover, plugin_files
from worker.protocol.jsonrpc import encode_request
from worker.runtime import Worker
from worker.services.base import BaseService, WorkerInfo
from worker.settings import WorkerSettings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "resources" / "examples" / "plugins"

STYLES = """
import asyncio
import threading
from typing import Any

from worker.services.base import BaseService

class SyncService(BaseService):
    def execute(self, data: dict[str, Any]) -> Any:
        kind = data.get("return")
        if kind == "set":
            return {1, 2}
        if kind == "nan":
            return {"x": float("nan")}
        if kind == "none":
            return None
        return {"thread": threading.current_thread().name, "data": data}

class AsyncTwinService(BaseService):
    name = "async_twin"

    async def execute(self, data: dict[str, Any]) -> list[Any]:
        await asyncio.sleep(0)
        return [threading.current_thread().name, data]
"""

SKIPPED = """
from pydantic import BaseModel

from worker.protocol.methods import Method
from worker.services.base import BaseService, rpc_method
from vt_plugin__team__styles_service import SyncService

class P(BaseModel):
    pass

OTHER = Method("other.thing", P, P)

class HelperBase(BaseService):
    '''Shared code, nothing served.'''

class Thief(BaseService):
    name = "thief"

    @rpc_method(OTHER)
    async def thing(self, p: P) -> P:
        return p

class NotAsync(BaseService):
    name = "not_async"

    @rpc_method(Method("not_async.run", P, P))
    def run(self, p: P) -> P:
        return p

class Dotted(BaseService):
    name = "bad.name"

    def execute(self, data: dict) -> dict:
        return data
"""


def nested_plugins(tmp_path: Path) -> Path:
    """The examples and the test plugins, each in a sub-folder of the plugin folder."""
    plugins = tmp_path / "plugins"
    shutil.copytree(EXAMPLES, plugins / "vendor" / "examples")
    (plugins / "team").mkdir()
    (plugins / "team" / "styles_service.py").write_text(STYLES)
    (plugins / "team" / "zz_skipped_service.py").write_text(SKIPPED)
    (plugins / ".hidden").mkdir()
    (plugins / ".hidden" / "ghost_service.py").write_text("raise SystemExit(9)")
    (plugins / "team" / "exits_service.py").write_text("import sys\nsys.exit(4)")
    return plugins


def test_plugins_are_found_in_sub_folders_named_from_their_files_and_disabled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plugins = nested_plugins(tmp_path)
    assert [p.relative_to(plugins).as_posix() for p in plugin_files(plugins)] == [
        "team/exits_service.py",
        "team/styles_service.py",
        "team/zz_skipped_service.py",
        "vendor/examples/greeter_service.py",
        "vendor/examples/text_stats_service.py",
    ]
    with caplog.at_level(logging.INFO, logger="worker.loader"):
        found = {d.cls.name: d for d in discover(tmp_path / "cfg", plugins)}
    for name in ("styles", "async_twin", "greeter", "text_stats"):
        assert not found[name].builtin and not found[name].settings.rpc_enabled, name
        text = (tmp_path / "cfg" / "services" / f"{name}.toml").read_text()
        assert tomllib.loads(text)["rpc_enabled"] is False
    assert found["styles"].cls.__name__ == "SyncService"
    assert "styles.execute" in found["styles"].cls.handlers()
    assert set(found["greeter"].cls.handlers()) == {"greeter.greet"}
    assert "thief" not in found and "bad.name" not in found and "zz_skipped" not in found
    said = caplog.text
    assert "team/exits_service.py failed to import; skipped" in said  # sys.exit() in a plugin
    assert "class HelperBase in " in said
    assert "skipped: no @rpc_method handler and no execute(data) method" in said
    assert "Thief.thing declares other.thing, outside service 'thief'" in said
    assert "service name 'bad.name' is not a routing key" in said
    assert "NotAsync.run handles not_async.run but is not 'async def'" in said
    assert "class SyncService in " in said and "skipped: imported from vt_plugin__team__" in said
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert all(r.levelno >= logging.INFO for r in skipped)
    assert "ghost" not in said  # hidden folders are not searched


def test_rpc_enabled_in_upper_case_enables_a_plugin_and_mistakes_are_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plugins = nested_plugins(tmp_path)
    discover(tmp_path / "cfg", plugins)
    services = tmp_path / "cfg" / "services"
    (services / "text_stats.toml").write_text("RPC_ENABLED = true\nMAX_CHARS = 5\n")
    (services / "greeter.toml").write_text("RPC_ENABLED = True\n")
    (services / "styles.toml").write_text("rpc_enabled = true\nRPC_ENABLE = true\n")
    (services / "async_twin.toml").write_text("rpc_enabled = true\nRPC_ENABLED = false\n")
    with caplog.at_level(logging.INFO, logger="worker.loader"):
        found = {d.cls.name: d for d in discover(tmp_path / "cfg", plugins)}
    stats = found["text_stats"]
    assert stats.settings.rpc_enabled
    info = WorkerInfo("w1", str(tmp_path), str(tmp_path))
    assert stats.cls(stats.settings, info).get_config() == {"rpc_enabled": True, "max_chars": 5}
    assert not found["greeter"].settings.rpc_enabled
    assert "TOML writes booleans in lower case: true or false" in caplog.text
    assert found["styles"].settings.rpc_enabled
    assert "service styles: unknown setting 'RPC_ENABLE' ignored (known: rpc_enabled)" in (
        caplog.text
    )
    assert not found["async_twin"].settings.rpc_enabled
    assert "setting 'rpc_enabled' is given twice" in caplog.text


async def ask(d: Dispatcher, method: str, params: Any) -> dict[str, Any]:
    resp = await d.handle(encode_request(method, params, "1"), CallMeta())
    assert resp is not None
    answer: dict[str, Any] = json.loads(resp.to_bytes())
    return answer


def served(tmp_path: Path) -> Dispatcher:
    plugins = nested_plugins(tmp_path)
    info = WorkerInfo("w1", str(tmp_path), str(tmp_path))
    services: list[BaseService] = [
        d.cls(d.settings, info) for d in discover(tmp_path / "cfg", plugins) if not d.builtin
    ]
    return Dispatcher(services)


async def test_execute_is_served_sync_in_a_thread_async_on_the_loop(tmp_path: Path) -> None:
    d = served(tmp_path)
    assert {"styles.execute", "async_twin.execute", "text_stats.execute"} <= set(d.routes)
    sync = await ask(d, "styles.execute", {"a": [1, "b"]})
    assert sync["result"]["data"] == {"a": [1, "b"]}
    assert sync["result"]["thread"] != threading.current_thread().name
    assert (await ask(d, "styles.execute", None))["result"]["data"] == {}
    assert (await ask(d, "styles.execute", {"return": "none"}))["result"] is None
    twin = await ask(d, "async_twin.execute", {"k": 1})
    assert twin["result"] == [threading.current_thread().name, {"k": 1}]
    stats = await ask(d, "text_stats.execute", {"text": "to be or not"})
    assert stats["result"] == {"words": 4, "characters": 12, "longest": "not"}


async def test_execute_answers_bad_params_and_non_json_results_with_clear_errors(
    tmp_path: Path,
) -> None:
    d = served(tmp_path)
    listed = await ask(d, "styles.execute", [1, 2])
    assert listed["error"]["code"] == -32602
    assert "params must be an object" in listed["error"]["message"]
    a_set = await ask(d, "styles.execute", {"return": "set"})
    assert a_set["error"]["code"] == -32603
    assert a_set["error"]["message"].startswith(
        "styles.execute returned a set that is not JSON-serialisable"
    )
    nan = await ask(d, "styles.execute", {"return": "nan"})
    assert nan["error"]["code"] == -32603 and "not JSON-serialisable" in nan["error"]["message"]
    wrong = await ask(d, "text_stats.execute", {"text": 3})
    assert wrong["error"] == {
        "code": -32602,
        "message": "text_stats.execute wants params {'text': '<a string>'}",
    }
    after = await ask(d, "styles.execute", {"still": "serving"})
    assert after["result"]["data"] == {"still": "serving"}


FAILING = """
from typing import Any

from worker.services.base import BaseService

class BadInitService(BaseService):
    name = "bad_init"

    def __init__(self, *args: Any) -> None:
        raise RuntimeError("no licence key")

    def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        return data

class BadStartService(BaseService):
    name = "bad_start"

    async def start(self) -> None:
        raise OSError("model folder missing")

    def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        return data
"""


async def test_a_plugin_that_fails_to_initialise_or_start_is_left_out_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    plugins = nested_plugins(tmp_path)
    (plugins / "team" / "failing_service.py").write_text(FAILING)
    services = tmp_path / "cfg" / "services"
    services.mkdir(parents=True)
    for name in ("bad_init", "bad_start", "text_stats"):
        (services / f"{name}.toml").write_text("RPC_ENABLED = true\n")
    settings = WorkerSettings(
        VT_CONFIG_DIR=str(tmp_path / "cfg"),
        VT_PLUGIN_DIR=str(plugins),
        VT_WORKER_SERVICES="bad_init,bad_start,text_stats,greeter",
    )
    runtime = Worker(settings)
    with caplog.at_level(logging.INFO, logger="worker.runtime"):
        started = await runtime.start_services(runtime.load_services())
    assert [svc.name for svc in started] == ["text_stats"]
    assert "service bad_init failed to initialise; not served" in caplog.text
    assert "service bad_start failed to start; not served" in caplog.text
    assert "service greeter disabled by " in caplog.text
