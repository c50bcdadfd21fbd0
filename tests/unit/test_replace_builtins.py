"""A plugin replaces a built-in service only when the worker is told to
(``VT_WORKER_REPLACE_BUILTINS``): otherwise it is refused, and the refusal names the setting."""

from __future__ import annotations

import json
import logging
import tomllib
from pathlib import Path

import pytest
from pydantic import ValidationError

from worker.__main__ import main
from worker.loader import builtin_service_names, discover
from worker.runtime import Worker
from worker.settings import WorkerSettings

STANDIN = """
from typing import Any

from worker.services.base import BaseService

class StandinService(BaseService):
    name = "asr"

    def execute(self, data: dict[str, Any]) -> Any:
        return {"stand-in": True}
"""


def plugins(tmp_path: Path) -> Path:
    folder = tmp_path / "plugins"
    (folder / "bench").mkdir(parents=True)
    (folder / "bench" / "asr_standin_service.py").write_text(STANDIN)
    return folder


def test_a_plugin_with_a_builtin_name_is_refused_and_told_of_the_setting(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="worker.loader"):
        found = {d.cls.name: d for d in discover(tmp_path / "cfg", plugins(tmp_path))}
    assert found["asr"].builtin and found["asr"].cls.__module__ == "worker.services.asr_service"
    assert (
        "class StandinService in " in caplog.text
        and "skipped: service name 'asr' is taken by worker.services.asr_service (a built-in; "
        "to serve this plugin instead, set VT_WORKER_REPLACE_BUILTINS=asr)"
        in caplog.text
    )
    assert "replaces the built-in" not in caplog.text


def test_a_replaced_builtin_is_left_out_and_the_plugin_served_enabled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = plugins(tmp_path)
    with caplog.at_level(logging.INFO, logger="worker.loader"):
        found = {d.cls.name: d for d in discover(tmp_path / "cfg", folder, {"asr"})}
    asr = found["asr"]
    assert not asr.builtin and asr.cls.__name__ == "StandinService"
    assert asr.settings.rpc_enabled  # enabled by default, as the built-in it replaces
    text = (tmp_path / "cfg" / "services" / "asr.toml").read_text()
    assert tomllib.loads(text)["rpc_enabled"] is True
    assert found["mt"].builtin  # the others stay
    lines = [r for r in caplog.records if "replaces the built-in" in r.getMessage()]
    assert [(r.levelno, r.getMessage()) for r in lines] == [
        (
            logging.INFO,
            f"plugin asr from {folder / 'bench' / 'asr_standin_service.py'} "
            "replaces the built-in asr service",
        )
    ]
    assert "is taken by" not in caplog.text


def test_a_replaced_builtin_without_a_plugin_is_absent_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="worker.loader"):
        found = {d.cls.name: d for d in discover(tmp_path / "cfg", plugins(tmp_path), ["mt"])}
    assert "mt" not in found and found["asr"].builtin
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and "mt" in r.getMessage()]
    assert [r.getMessage() for r in warned] == [
        "built-in service mt is left out (VT_WORKER_REPLACE_BUILTINS) but no plugin named mt "
        "was found; this worker has no mt service"
    ]


def test_the_setting_takes_builtin_names_only(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {"asr", "mt"} <= set(builtin_service_names())
    monkeypatch.setenv("VT_WORKER_REPLACE_BUILTINS", " asr, mt ,")
    assert WorkerSettings().replaced_builtins() == {"asr", "mt"}
    monkeypatch.setenv("VT_WORKER_REPLACE_BUILTINS", "asr,nope")
    with pytest.raises(ValidationError) as err:
        WorkerSettings()
    said = str(err.value)
    assert "'nope', which is no built-in service (the built-ins: " in said
    assert ", ".join(builtin_service_names()) in said
    monkeypatch.delenv("VT_WORKER_REPLACE_BUILTINS")
    assert WorkerSettings().replaced_builtins() == frozenset()


def test_an_unknown_name_stops_the_worker_as_bad_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VT_WORKER_REPLACE_BUILTINS", "asr,nope")
    assert main(["--describe"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vt-worker: bad settings: ") and "'nope'" in err


def test_both_discover_call_sites_pass_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VT_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setenv("VT_PLUGIN_DIR", str(plugins(tmp_path)))
    monkeypatch.setenv("VT_WORKER_SERVICES", "asr")
    monkeypatch.setenv("VT_WORKER_REPLACE_BUILTINS", "asr")
    assert main(["--describe"]) == 0
    methods = [m["name"] for m in json.loads(capsys.readouterr().out)["methods"]]
    assert methods == ["asr.execute"]
    services = Worker(WorkerSettings()).load_services()
    assert [type(s).__name__ for s in services] == ["StandinService"]
