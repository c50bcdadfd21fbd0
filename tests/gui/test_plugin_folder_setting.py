"""Settings → Workers: the plugin folder is checked, saved, restarts the workers, and reaches
the local workers as ``VT_PLUGIN_DIR``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.gui.conftest import settings_in
from vt_desktop.core.config import AppSettings
from vt_desktop.core.runtime import AppRuntime
from vt_desktop.core.supervisor import WorkerPool
from vt_desktop.ui.settings.dialog import TABS, SettingsDialog
from worker.settings import WorkerSettings


def test_the_plugin_folder_is_checked_saved_and_given_to_local_workers(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith(("VT_", "RABBITMQ_")):
            monkeypatch.delenv(name)
    config_dir = tmp_path / "config"
    monkeypatch.setenv("VT_CONFIG_DIR", str(config_dir))
    settings = settings_in(tmp_path, config_dir=config_dir)
    assert settings.plugin_dir is None
    assert "VT_PLUGIN_DIR" not in AppRuntime(settings)._worker_env()
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()

    (tmp_path / "a-file").write_text("")
    refusals = {
        "plugins": "Give the folder's full path (or leave it empty for built-in services only).",
        str(tmp_path / "missing"): f"The folder {tmp_path / 'missing'} does not exist.",
        str(tmp_path / "a-file"): f"{tmp_path / 'a-file'} is a file, not a folder.",
    }
    for typed, message in refusals.items():
        dialog.plugin_dir.set_text(typed)
        assert not dialog.save()
        assert dialog.errors.text("plugin_dir") == message
        assert dialog.tabs.currentIndex() == TABS.index("Workers")
    assert not (config_dir / "settings.toml").exists()

    plugins = tmp_path / "my plugins"
    plugins.mkdir()
    dialog.plugin_dir.set_text(str(plugins))
    with qtbot.waitSignal(dialog.settings_saved, timeout=5000) as saved:
        assert dialog.save()
    assert saved.args == [["plugin_dir"], True], "a new plugin folder restarts the workers"
    assert settings.plugin_dir == plugins
    assert AppSettings().plugin_dir == plugins  # read back from settings.toml

    pool = WorkerPool("amqp://x", count=1, env=AppRuntime(settings)._worker_env())
    for name, value in pool._env().items():  # what a local worker is started with
        monkeypatch.setenv(name, value)
    assert WorkerSettings().plugin_dir == plugins
