"""The README's example plugins, as an operator installs them: copied into a sub-folder of
the plugin folder, disabled until ``RPC_ENABLED = true``, then called over a real broker
from Python (``RpcClient``) and from the command line (``python -m worker --call``)."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.integration.conftest import Caller
from tests.support.workers import ROOT, WorkerProcs
from worker.protocol.errors import InvalidParams, NoWorker
from worker.protocol.execute import ExecuteParams, execute_method
from worker.protocol.system import PING, PingParams

pytestmark = pytest.mark.slow
EXAMPLES = ROOT / "resources" / "examples" / "plugins"
SKIPPED = """
from worker.services.base import BaseService

class SharedHelpers(BaseService):
    '''Code other services share; serves nothing.'''
"""


def example(name: str) -> ModuleType:
    """The example module as a caller imports it (for its method declarations)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def call_from_shell(
    workers: WorkerProcs, method: str, params: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "worker", "--call", method, params, "--call-timeout", "20"],
        env=workers.env(),
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_example_plugins_are_disabled_until_enabled_then_answer_both_styles(
    workers: WorkerProcs, caller: Caller, tmp_path: Path
) -> None:
    plugins = tmp_path / "plugins"
    shutil.copytree(EXAMPLES, plugins / "acme" / "examples")
    (plugins / "acme" / "shared_service.py").write_text(SKIPPED)
    env = {"VT_PLUGIN_DIR": str(plugins)}
    configs = Path(workers.env()["VT_CONFIG_DIR"]) / "services"

    first = workers.start(**env)
    await caller.events.wait_for_workers(1, timeout=60)
    assert (await caller.rpc.call(PING, PingParams(), timeout=20)).worker_id == first
    for name in ("text_stats", "greeter"):
        assert "rpc_enabled = false" in (configs / f"{name}.toml").read_text()
        assert name not in caller.events.online("system")[0].services
    with pytest.raises(NoWorker):
        await caller.rpc.call_raw("text_stats.execute", {"text": "x"}, timeout=10)
    said = workers.log_text(first)
    assert "service text_stats disabled by" in said and "service greeter disabled by" in said
    assert "class SharedHelpers in " in said
    assert "skipped: no @rpc_method handler and no execute(data) method" in said

    for name in ("text_stats", "greeter"):  # as the design's config file has it
        text = (configs / f"{name}.toml").read_text()
        (configs / f"{name}.toml").write_text(
            text.replace("rpc_enabled = false", "RPC_ENABLED = true")
        )
    (configs / "greeter.toml").write_text(
        (configs / "greeter.toml").read_text().replace('"Hello"', '"Bonjour"')
    )
    workers.kill(first)
    second = workers.start(**env)
    await caller.events.wait_for_workers(1, service="greeter", timeout=60)
    await caller.events.wait_for_workers(1, service="text_stats", timeout=60)

    greeter = example("greeter_service")
    greeting = await caller.rpc.call(greeter.GREET, greeter.GreetParams(who="Ada"), timeout=20)
    assert (greeting.text, greeting.worker_id) == ("Bonjour, Ada!", second)
    stats = await caller.rpc.call(
        execute_method("text_stats"), ExecuteParams({"text": "to be or not"}), timeout=20
    )
    assert stats.root == {"words": 4, "characters": 12, "longest": "not"}
    raw = await caller.rpc.call_raw("text_stats.execute", {"text": "hello world"}, timeout=20)
    assert raw == {"words": 2, "characters": 11, "longest": "hello"}
    with pytest.raises(InvalidParams) as refused:
        await caller.rpc.call_raw("text_stats.execute", {"txt": "typo"}, timeout=20)
    assert "text_stats.execute wants params {'text': '<a string>'}" in refused.value.message

    shell = await asyncio.to_thread(
        call_from_shell, workers, "text_stats.execute", '{"text": "a bb ccc"}'
    )
    assert shell.returncode == 0, shell.stderr[-2000:]
    assert json.loads(shell.stdout) == {"words": 3, "characters": 8, "longest": "ccc"}
    shell = await asyncio.to_thread(call_from_shell, workers, "greeter.greet", '{"who": ""}')
    assert shell.returncode == 1
    assert json.loads(shell.stderr.strip().splitlines()[-1])["code"] == -32602
    shell = await asyncio.to_thread(call_from_shell, workers, "nobody.execute", "{}")
    assert shell.returncode == 3 and "nobody" in shell.stderr
