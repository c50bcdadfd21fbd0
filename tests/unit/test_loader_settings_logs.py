"""Service discovery with per-service config files, app settings, and log files."""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import pytest

from vt_desktop.core.config import AppSettings
from worker.loader import discover
from worker.logs import setup_logging

PLUGIN = """
from pydantic import BaseModel
from worker.protocol.methods import Method
from worker.services.base import BaseService, ServiceSettings, rpc_method

class P(BaseModel):
    pass

HELLO = Method("hello.say", P, P)

class HelloSettings(ServiceSettings):
    greeting: str = "hi"

class HelloService(BaseService):
    name = "hello"
    Settings = HelloSettings

    @rpc_method(HELLO)
    async def say(self, p: P) -> P:
        return p
"""


def test_builtins_are_discovered_enabled_with_a_config_file_each(tmp_path: Path) -> None:
    found = {d.cls.name: d for d in discover(tmp_path)}
    assert "system" in found and found["system"].builtin
    cfg = tmp_path / "services" / "system.toml"
    assert tomllib.loads(cfg.read_text())["rpc_enabled"] is True


def test_plugins_are_discovered_disabled_until_enabled(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "hello_service.py").write_text(PLUGIN)
    (plugins / "broken_service.py").write_text("raise ImportError('bad plugin')")
    found = {d.cls.name: d for d in discover(tmp_path / "cfg", plugins)}
    hello = found["hello"]
    assert not hello.builtin and not hello.settings.rpc_enabled
    cfg = tmp_path / "cfg" / "services" / "hello.toml"
    assert 'greeting = "hi"' in cfg.read_text()
    cfg.write_text(cfg.read_text().replace("rpc_enabled = false", "rpc_enabled = true"))
    again = {d.cls.name: d for d in discover(tmp_path / "cfg", plugins)}
    assert again["hello"].settings.rpc_enabled


def test_a_bad_service_config_disables_that_service_only(tmp_path: Path) -> None:
    discover(tmp_path)
    (tmp_path / "services" / "system.toml").write_text("rpc_enabled = [")
    found = {d.cls.name: d for d in discover(tmp_path)}
    assert found["system"].settings.rpc_enabled is False


def test_original_backend_variables_keep_working(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VT_CONFIG_DIR", str(tmp_path))
    for key, value in {
        "PROJECT_NAME": "VT",
        "DEBUG": "true",
        "LOG_LEVEL": "warning",
        "RABBITMQ_HOST": "gpu.box",
        "RABBITMQ_PORT": "5671",
        "RABBITMQ_USER": "alice",
        "RABBITMQ_PASSWORD": "p@ss:w/rd",
        "RABBITMQ_RPC_QUEUE": "vtq",
        "MAX_FILE_SIZE": "1000",
    }.items():
        monkeypatch.setenv(key, value)
    s = AppSettings()
    assert (s.project_name, s.debug, s.log_level, s.max_file_size) == ("VT", True, "WARNING", 1000)
    assert s.broker_url() == "amqp://alice:p%40ss%3Aw%2Frd@gpu.box:5671/%2F"
    assert "p@ss" not in repr(s)
    monkeypatch.setenv("RABBITMQ_URL", "amqps://bob:x@h:5671/v")
    assert AppSettings().broker_url() == "amqps://bob:x@h:5671/v"


def test_precedence_is_defaults_file_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VT_CONFIG_DIR", str(tmp_path))
    monkeypatch.delenv("RABBITMQ_HOST", raising=False)
    monkeypatch.delenv("LOG_LEVEL", raising=False)
    assert AppSettings().workers == 1
    AppSettings(workers=3, rabbitmq_host="from.file").save()
    assert (AppSettings().workers, AppSettings().rabbitmq_host) == (3, "from.file")
    monkeypatch.setenv("WORKERS", "5")
    assert AppSettings().workers == 5
    assert (tmp_path / "settings.toml").stat().st_mode & 0o077 == 0


def test_log_files_rotate_split_by_level_and_mask_passwords(tmp_path: Path) -> None:
    setup_logging(tmp_path, "INFO", console=False)
    log = logging.getLogger("vt.test")
    log.info("connected to amqp://vt:s3cretpass@127.0.0.1:5682/")
    log.error("rpc %s id=%s failed", "asr.transcribe", "abc")
    for h in logging.getLogger().handlers:
        h.flush()
    app, err = (tmp_path / "app.log").read_text(), (tmp_path / "error.log").read_text()
    assert "amqp://vt:***@127.0.0.1" in app and "s3cretpass" not in app
    assert "id=abc failed" in err and "connected" not in err
    assert " - vt.test - ERROR - [test_loader_settings_logs.py:" in err
    handler = next(
        h
        for h in logging.getLogger().handlers
        if getattr(h, "baseFilename", "").endswith("app.log")
    )
    assert handler.maxBytes == 10 * 1024 * 1024 and handler.backupCount == 5  # type: ignore[attr-defined]
    setup_logging(None, "WARNING", console=False)
