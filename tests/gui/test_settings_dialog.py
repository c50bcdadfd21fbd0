"""The Settings dialog: what is saved is what the app and the workers load; secrets stay hidden;
a wrong field is refused with its own message and nothing is written."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDialog, QLabel, QLineEdit, QWidget

from tests.gui.conftest import settings_in
from vt_desktop.core.config import AppSettings
from vt_desktop.core.service_config import read_asr, read_llm, service_file
from vt_desktop.ui.settings.dialog import TABS, SettingsDialog
from vt_desktop.ui.settings.pages import set_combo_data

PASSWORD = "hunter2-broker-secret"
API_KEY = "sk-llm-key-0123456789"


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config dir that AppSettings() reads settings.toml from."""
    folder = tmp_path / "config"
    monkeypatch.setenv("VT_CONFIG_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real self-signed CA certificate (openssl)."""
    folder = tmp_path_factory.mktemp("ca")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=test-ca", "-keyout", str(folder / "ca.key"),
         "-out", str(folder / "ca.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    return folder / "ca.pem"


def open_dialog(qtbot, settings: AppSettings) -> SettingsDialog:
    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def visible_texts(dialog: QWidget) -> str:
    """Every text a user could read in the dialog: fields, placeholders, labels, combos."""
    parts: list[str] = []
    for line in dialog.findChildren(QLineEdit):
        parts += [line.text(), line.placeholderText(), line.toolTip()]
    parts += [label.text() for label in dialog.findChildren(QLabel)]
    parts += [box.currentText() for box in dialog.findChildren(QComboBox)]
    return "\n".join(parts)


def fill_everything(dialog: SettingsDialog, tmp_path: Path, ca_file: Path) -> None:
    set_combo_data(dialog.mode, "remote")
    dialog.host.setText("broker.example.org")
    dialog.port.setValue(5671)
    dialog.vhost.setText("vt")
    dialog.user.setText("alice")
    dialog.password.line.setText(PASSWORD)
    dialog.password.line.textEdited.emit(PASSWORD)
    dialog.tls.setChecked(True)
    dialog.ca_file.set_text(str(ca_file))
    dialog.workers.setValue(3)
    dialog.prefetch.setValue(4)
    dialog.call_timeout.setValue(120)
    dialog.call_tries.setValue(5)
    dialog.worker_wait.setValue(10)
    dialog.job_model.setEditText("tiny.en")
    set_combo_data(dialog.engine, "bergamot")
    dialog.worker_model.setEditText("tiny.en")
    set_combo_data(dialog.device, "cpu")
    dialog.llm_url.setText("http://127.0.0.1:11434/v1")
    dialog.llm_model.setText("llama3.1")
    dialog.llm_key.line.setText(API_KEY)
    dialog.line_length.setValue(32)
    dialog.max_lines.setValue(1)
    dialog.max_cps.setValue(15.5)
    dialog.doubt.setValue(40)
    dialog.output_dir.set_text(str(tmp_path / "subs"))
    for fmt, check in dialog.formats.items():
        check.setChecked(fmt in ("srt", "ass"))
    set_combo_data(dialog.theme, "dark")
    set_combo_data(dialog.ui_language, "ru")


def test_saved_settings_are_what_the_app_and_the_workers_load_again(
    qtbot, tmp_path: Path, config_dir: Path, ca_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = settings_in(tmp_path, config_dir=config_dir)
    dialog = open_dialog(qtbot, settings)
    fill_everything(dialog, tmp_path, ca_file)
    with qtbot.waitSignal(dialog.settings_saved, timeout=5000) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    changed, restart = saved.args
    assert restart, "broker and worker changes need a restart of the workers"
    assert {"mode", "rabbitmq_password", "workers", "theme"} <= set(changed)

    again = AppSettings()  # defaults < settings.toml (written by the dialog) < env
    expected = {
        "mode": "remote",
        "rabbitmq_host": "broker.example.org",
        "rabbitmq_port": 5671,
        "rabbitmq_vhost": "vt",
        "rabbitmq_user": "alice",
        "rabbitmq_tls": True,
        "rabbitmq_ca_file": str(ca_file),
        "workers": 3,
        "worker_prefetch": 4,
        "call_timeout_s": 120.0,
        "call_tries": 5,
        "worker_wait_s": 10.0,
        "asr_model": "tiny.en",
        "engine": "bergamot",
        "subtitle_max_chars_per_line": 32,
        "subtitle_max_lines": 1,
        "subtitle_max_chars_per_second": 15.5,
        "review_doubt_threshold": 0.4,
        "output_dir": tmp_path / "subs",
        "output_formats": ["srt", "ass"],
        "theme": "dark",
        "ui_language": "ru",
    }
    assert {k: getattr(again, k) for k in expected} == expected
    assert {k: getattr(settings, k) for k in expected} == expected, "the live object too"
    assert again.rabbitmq_password.get_secret_value() == PASSWORD
    assert again.broker_url() == f"amqps://alice:{PASSWORD}@broker.example.org:5671/vt"
    assert read_asr(config_dir).model == "tiny.en"
    assert read_asr(config_dir).device == "cpu"
    llm = read_llm(config_dir)
    assert (llm.base_url, llm.model) == ("http://127.0.0.1:11434/v1", "llama3.1")
    assert llm.api_key is not None and llm.api_key.get_secret_value() == API_KEY
    assert (config_dir / "settings.toml").stat().st_mode & 0o077 == 0
    assert service_file(config_dir, "mt").stat().st_mode & 0o077 == 0

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "settings saved" in logged
    assert PASSWORD not in logged and API_KEY not in logged

    reopened = open_dialog(qtbot, again)
    shown = visible_texts(reopened)
    assert PASSWORD not in shown and API_KEY not in shown
    assert reopened.password.line.text() == "" and reopened.llm_key.line.text() == ""
    assert reopened.password.line.placeholderText() == "stored — type to replace"
    assert reopened.llm_key.line.placeholderText() == "stored — type to replace"
    assert reopened.line_length.text() == "32 characters"


def test_untouched_secrets_are_kept_and_forget_removes_the_api_key(
    qtbot, tmp_path: Path, config_dir: Path
) -> None:
    settings = settings_in(tmp_path, config_dir=config_dir, rabbitmq_password=PASSWORD)
    first = open_dialog(qtbot, settings)
    first.llm_url.setText("https://llm.example/v1")
    first.llm_model.setText("m")
    first.llm_key.line.setText(API_KEY)
    assert first.save()

    second = open_dialog(qtbot, settings)
    second.workers.setValue(2)
    assert second.save()
    assert AppSettings().rabbitmq_password.get_secret_value() == PASSWORD
    key = read_llm(config_dir).api_key
    assert key is not None and key.get_secret_value() == API_KEY

    third = open_dialog(qtbot, settings)
    qtbot.mouseClick(third.llm_key.forget, Qt.MouseButton.LeftButton)
    assert third.llm_key.line.placeholderText() == "will be removed when you save"
    assert third.save()
    assert not read_llm(config_dir).has_api_key
    assert AppSettings().workers == 2


def test_wrong_fields_are_refused_with_their_messages_and_nothing_is_written(
    qtbot, tmp_path: Path, config_dir: Path
) -> None:
    settings = settings_in(tmp_path, config_dir=config_dir)
    before = settings.model_dump()
    dialog = open_dialog(qtbot, settings)
    set_combo_data(dialog.mode, "remote")
    dialog.url.line.setText("http://alice:hunter2@broker.example/vt")
    dialog.url.line.textEdited.emit("x")
    dialog.tls.setChecked(True)
    dialog.ca_file.set_text(str(tmp_path / "no-such-ca.pem"))
    dialog.llm_url.setText("not a url")
    dialog.llm_model.setText("llama3.1")
    for check in dialog.formats.values():
        check.setChecked(False)
    dialog.tabs.setCurrentIndex(TABS.index("Appearance"))

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    errors = dialog.errors
    assert "amqp:// or amqps://" in errors.text("rabbitmq_url")
    assert "no-such-ca.pem does not exist" in errors.text("rabbitmq_ca_file")
    assert "http:// or https://" in errors.text("llm_base_url")
    assert errors.text("output_formats") == "Choose at least one output format."
    assert errors.text("rabbitmq_host") == "", "a URL replaces the host field"
    assert dialog.status.text() == "Not saved: fix the 4 fields marked in red."
    assert dialog.tabs.currentIndex() == TABS.index("Connection"), "shows the first problem"
    assert "hunter2" not in "\n".join(label.text() for label in dialog.findChildren(QLabel))
    assert not (config_dir / "settings.toml").exists()
    assert not (config_dir / "services").exists()
    assert settings.model_dump() == before

    dialog.url.line.setText("amqps://alice:hunter2@broker.example:5671/vt")
    assert errors.text("rabbitmq_url") == "", "a fixed field's message goes at once"
    dialog.ca_file.set_text("")
    dialog.llm_url.setText("http://127.0.0.1:11434/v1")
    dialog.formats["srt"].setChecked(True)
    assert dialog.save()
    assert AppSettings().broker_url() == "amqps://alice:hunter2@broker.example:5671/vt"


def test_port_and_worker_limits_are_those_of_the_settings(qtbot, tmp_path: Path) -> None:
    dialog = open_dialog(qtbot, settings_in(tmp_path, config_dir=tmp_path / "c"))
    assert (dialog.port.minimum(), dialog.port.maximum()) == (1, 65535)
    assert (dialog.workers.minimum(), dialog.workers.maximum()) == (0, 64)
    assert (dialog.prefetch.minimum(), dialog.prefetch.maximum()) == (1, 64)
    assert (dialog.call_tries.minimum(), dialog.call_tries.maximum()) == (1, 20)
    assert (dialog.worker_wait.minimum(), dialog.call_timeout.minimum()) == (0, 1)
    assert dialog.line_length.text() == "Language default"
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == list(TABS)
