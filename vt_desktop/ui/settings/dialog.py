"""The Settings dialog: connection, workers, models and engines, subtitles, output, appearance.

It edits the one ``AppSettings`` object the app runs on and, for the worker services, their
own config files (the speech service's default model and device, the translation service's
chat-model endpoint). Everything is checked before anything is written: a wrong field gets a
sentence under it and Save refuses. Stored secrets (broker password, broker URL, API key) are
never shown back or logged; a field left empty keeps what is stored.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from vt_desktop.core.config import BROKER_FIELDS, AppSettings
from vt_desktop.core.jobs.options import SPEECH_MODELS
from vt_desktop.core.service_config import (
    ASR_DEVICES,
    AsrConfig,
    LlmConfig,
    ServiceConfigError,
    check_asr,
    check_llm,
    read_asr,
    read_llm,
    write_asr,
    write_llm,
)
from vt_desktop.core.settings_check import BrokerFields, check_broker
from vt_desktop.ui.common.job_options import JobOptionsForm
from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP
from vt_desktop.ui.settings.fields import FieldErrors, PathField, SecretField
from vt_desktop.ui.settings.pages import (
    combo,
    default_spin,
    folder_problem,
    form_page,
    note,
    plugin_folder_problem,
    section,
    spin_value,
    translated,
    widget_page,
)
from worker.transport.connection import safe_url

log = logging.getLogger(__name__)
TABS = (
    QT_TRANSLATE_NOOP("SettingsDialog", "Connection"),
    QT_TRANSLATE_NOOP("SettingsDialog", "Workers"),
    QT_TRANSLATE_NOOP("SettingsDialog", "Models && engines"),
    QT_TRANSLATE_NOOP("SettingsDialog", "Subtitles"),
    QT_TRANSLATE_NOOP("SettingsDialog", "New jobs"),
    QT_TRANSLATE_NOOP("SettingsDialog", "Appearance"),
)
RESTART_FIELDS = frozenset(
    {"mode", *BROKER_FIELDS, "workers", "worker_prefetch", "plugin_dir", "log_level"}
)
RESTART_NOTE = QT_TRANSLATE_NOOP(
    "SettingsDialog",
    "Changes to the connection, the workers and the engines apply once the workers restart: "
    "quit and reopen the app. Remote workers keep their own engine settings.",
)


class SettingsDialog(QDialog):
    """Edits ``settings`` (in place, once saved) and the local workers' service files."""

    #: Saved: the AppSettings fields that changed, and whether the workers must restart.
    settings_saved = Signal(list, bool)

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SettingsDialog")
        self.setWindowTitle(self.tr("Settings"))
        self.settings = settings
        self.errors = FieldErrors()
        self.tabs = QTabWidget()
        self.status = QLabel()
        self.save_button = QPushButton(self.tr("Save"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self._checked_once = False
        self._asr, self._llm, load_problem = self._read_service_files()
        self._build_connection()
        self._build_workers()
        self._build_engines(load_problem)
        self._build_subtitles()
        self._build_new_jobs()
        self._build_appearance()
        self._build()
        self._connect_signals()
        self._on_mode_changed()

    def _read_service_files(self) -> tuple[AsrConfig, LlmConfig, str]:
        try:
            return read_asr(self.settings.config_dir), read_llm(self.settings.config_dir), ""
        except ServiceConfigError as exc:
            return (
                AsrConfig(),
                LlmConfig(),
                self.tr("{error}. Saving here rewrites it.").format(error=exc),
            )

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.setMinimumSize(700, 680)
        for spin in (self.port, self.workers, self.prefetch, self.doubt, self.call_timeout,
                     self.call_tries, self.worker_wait):  # fmt: skip
            spin.setMaximumWidth(160)
        for wide in (self.line_length, self.max_lines, self.max_cps):
            wide.setMaximumWidth(260)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(10)
        layout.addWidget(self.tabs, 1)
        self.restart_note = note(translated(RESTART_NOTE))
        layout.addWidget(self.restart_note)
        self.status.setObjectName("FieldError")
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Settings status"))
        self.status.hide()
        layout.addWidget(self.status)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        self.save_button.setObjectName("PrimaryButton")
        self.save_button.setDefault(True)
        layout.addLayout(buttons)

    def _build_connection(self) -> None:
        s = self.settings
        form = form_page(self.tabs, translated(TABS[0]))
        self.mode = combo(
            [
                (self.tr("Local: a private broker on this computer"), "local"),
                (self.tr("Remote broker"), "remote"),
            ],
            s.mode,
        )
        stored_url = s.rabbitmq_url.get_secret_value() if s.rabbitmq_url else ""
        self.url = SecretField(
            bool(stored_url),
            placeholder_stored=self.tr("stored: {url}").format(url=safe_url(stored_url)),
            clearable=True,
        )
        self.url.line.setEchoMode(QLineEdit.EchoMode.Normal)
        self.url.line.setToolTip(self.tr("Type a URL to replace the stored one; empty keeps it"))
        self.host = QLineEdit(s.rabbitmq_host)
        self.port = QSpinBox()
        self.port.setRange(1, 65535)
        self.port.setValue(s.rabbitmq_port)
        self.vhost = QLineEdit(s.rabbitmq_vhost)
        self.user = QLineEdit(s.rabbitmq_user)
        self.password = SecretField(bool(s.rabbitmq_password.get_secret_value()))
        self.tls = QCheckBox(self.tr("Use TLS (amqps) and verify the broker's certificate"))
        self.tls.setChecked(s.rabbitmq_tls)
        pem = (
            self.tr("Certificates") + " (*.pem *.crt *.cer *.key);;" + self.tr("All files") + " (*)"
        )
        self.ca_file = PathField(
            s.rabbitmq_ca_file or "",
            title=self.tr("CA file"),
            file_filter=pem,
            placeholder=self.tr("the system's trusted CAs"),
        )
        self.cert_file = PathField(
            s.rabbitmq_cert_file or "",
            title=self.tr("Client certificate"),
            file_filter=pem,
            placeholder=self.tr("none"),
        )
        self.key_file = PathField(
            s.rabbitmq_key_file or "",
            title=self.tr("Client key"),
            file_filter=pem,
            placeholder=self.tr("none, or inside the certificate"),
        )
        add = self.errors.add_row
        form.addRow(self.tr("Mode:"), self.mode)
        add(form, self.tr("Broker URL:"), self.url, "rabbitmq_url", 0)
        form.addRow(
            "",
            note(
                self.tr("A URL (amqps://user:password@host:5671/vhost) replaces the fields below.")
            ),
        )
        add(form, self.tr("Host:"), self.host, "rabbitmq_host", 0)
        add(form, self.tr("Port:"), self.port, "rabbitmq_port", 0)
        add(form, self.tr("Virtual host:"), self.vhost, "rabbitmq_vhost", 0)
        add(form, self.tr("User:"), self.user, "rabbitmq_user", 0)
        add(form, self.tr("Password:"), self.password, "rabbitmq_password", 0)
        form.addRow("", self.tls)
        add(form, self.tr("CA file:"), self.ca_file, "rabbitmq_ca_file", 0)
        add(form, self.tr("Client certificate:"), self.cert_file, "rabbitmq_cert_file", 0)
        add(form, self.tr("Client key:"), self.key_file, "rabbitmq_key_file", 0)
        self.keep_warm = QSpinBox()  # issue 21: the private broker outlives the window
        self.keep_warm.setRange(0, 24 * 60)
        self.keep_warm.setSuffix(self.tr(" min"))
        self.keep_warm.setValue(round(self.settings.broker_keep_warm_minutes))
        self.keep_warm.valueChanged.connect(self._on_field_edited)
        add(form, self.tr("Keep running after closing:"), self.keep_warm,
            "broker_keep_warm_minutes", 0)  # fmt: skip
        form.addRow("", note(self.tr(
            "The private broker stays up this long after the window closes, so the next "
            "launch starts at once (0: it stops with the window; never past your session)."
        )))  # fmt: skip

    def _build_workers(self) -> None:
        s = self.settings
        form = form_page(self.tabs, translated(TABS[1]))
        self.workers = QSpinBox()
        self.workers.setRange(0, 64)
        self.workers.setValue(s.workers)
        self.prefetch = QSpinBox()
        self.prefetch.setRange(1, 64)
        self.prefetch.setValue(s.worker_prefetch)
        self.call_timeout = QSpinBox()
        self.call_timeout.setRange(1, 86400)
        self.call_timeout.setSuffix(" s")
        self.call_timeout.setValue(round(s.call_timeout_s))
        self.call_tries = QSpinBox()
        self.call_tries.setRange(1, 20)
        self.call_tries.setValue(s.call_tries)
        self.worker_wait = QSpinBox()
        self.worker_wait.setRange(0, 86400)
        self.worker_wait.setSuffix(" s")
        self.worker_wait.setValue(round(s.worker_wait_s))
        levels = [
            (self.tr("Debug"), "DEBUG"),
            (self.tr("Info"), "INFO"),
            (self.tr("Warning"), "WARNING"),
            (self.tr("Error"), "ERROR"),
            (self.tr("Critical"), "CRITICAL"),
        ]
        self.log_level = combo(levels, s.log_level)
        add = self.errors.add_row
        add(form, self.tr("Local workers:"), self.workers, "workers", 1)
        form.addRow(
            "", note(self.tr("Worker processes this app starts; 0 uses remote workers only."))
        )
        add(form, self.tr("Calls per worker:"), self.prefetch, "worker_prefetch", 1)
        form.addRow(
            "",
            note(
                self.tr(
                    "How many calls a worker takes at once; it recognises that many segments "
                    "in one batch (8 is about 1.4× as fast as 1, on a CPU too)."
                )
            ),
        )
        add(form, self.tr("Call timeout:"), self.call_timeout, "call_timeout_s", 1)
        add(form, self.tr("Tries per call:"), self.call_tries, "call_tries", 1)
        add(form, self.tr("Wait for a worker:"), self.worker_wait, "worker_wait_s", 1)
        form.addRow(
            "",
            note(
                self.tr(
                    "A call not answered in time is sent again, up to the tries; then its job "
                    "fails and can be resumed. A call waits this long for a worker to come "
                    "online before its job stops."
                )
            ),
        )
        add(form, self.tr("Log level:"), self.log_level, "log_level", 1)
        self.plugin_dir = PathField(
            str(s.plugin_dir or ""),
            title=self.tr("Plugin folder"),
            folder=True,
            placeholder=self.tr("none: built-in services only"),
        )
        add(form, self.tr("Plugin folder:"), self.plugin_dir, "plugin_dir", 1)
        form.addRow(
            "",
            note(
                self.tr(
                    "Services of your own (*_service.py, in sub-folders too) the local workers "
                    "load; each stays off until its file in services/ sets RPC_ENABLED = true."
                )
            ),
        )

    def _build_engines(self, load_problem: str) -> None:
        form = form_page(self.tabs, translated(TABS[2]))
        self.worker_model = combo([(m, m) for m in SPEECH_MODELS], self._asr.model, editable=True)
        self.device = combo([(d, d) for d in ASR_DEVICES], self._asr.device)
        self.llm_url = QLineEdit(self._llm.base_url)
        self.llm_url.setPlaceholderText("http://127.0.0.1:11434/v1")
        self.llm_model = QLineEdit(self._llm.model)
        self.llm_model.setPlaceholderText(self.tr("e.g. llama3.1"))
        self.llm_key = SecretField(self._llm.has_api_key, clearable=True)
        add = self.errors.add_row
        form.addRow(section(self.tr("Local workers")))
        add(form, self.tr("Default speech model:"), self.worker_model, "asr_default_model", 2)
        add(form, self.tr("Device:"), self.device, "asr_device", 2)
        form.addRow(section(self.tr("Chat model endpoint (LLM engine)")))
        add(form, self.tr("Endpoint URL:"), self.llm_url, "llm_base_url", 2)
        add(form, self.tr("Model:"), self.llm_model, "llm_model", 2)
        add(form, self.tr("API key:"), self.llm_key, "llm_api_key", 2)
        if load_problem:
            warning = note(load_problem)
            warning.setObjectName("FieldError")
            form.addRow("", warning)

    def _build_subtitles(self) -> None:
        s = self.settings
        form = form_page(self.tabs, translated(TABS[3]))
        self.line_length = default_spin(
            4, 200, s.subtitle_max_chars_per_line, self.tr(" characters")
        )
        self.max_lines = default_spin(1, 6, s.subtitle_max_lines, self.tr(" lines"))
        self.max_cps = QDoubleSpinBox()
        self.max_cps.setRange(0.0, 100.0)
        self.max_cps.setDecimals(1)
        self.max_cps.setSingleStep(0.5)
        self.max_cps.setSpecialValueText(self.tr("Language default"))
        self.max_cps.setSuffix(self.tr(" characters/s"))
        self.max_cps.setValue(s.subtitle_max_chars_per_second or 0.0)
        add = self.errors.add_row
        add(form, self.tr("Line length:"), self.line_length, "subtitle_max_chars_per_line", 3)
        add(form, self.tr("Lines per subtitle:"), self.max_lines, "subtitle_max_lines", 3)
        add(form, self.tr("Reading speed:"), self.max_cps, "subtitle_max_chars_per_second", 3)
        form.addRow(
            "",
            note(
                self.tr(
                    "Language defaults follow broadcast style guides: 42 characters per line (16 "
                    "for Chinese, Japanese and Korean), 2 lines, 17 characters per second (20 for "
                    "English)."
                )
            ),
        )
        self.doubt = QSpinBox()
        self.doubt.setRange(1, 99)
        self.doubt.setSuffix(self.tr(" % sure"))
        self.doubt.setValue(round(s.review_doubt_threshold * 100))
        add(form, self.tr("Doubtful words under:"), self.doubt, "review_doubt_threshold", 3)
        form.addRow(
            "",
            note(
                self.tr(
                    "Review highlights each word the recogniser was less sure of than this, "
                    "and flags its line."
                )
            ),
        )

    def _build_new_jobs(self) -> None:
        """The options a new job starts with: the Jobs page's own form."""
        self.job_options = JobOptionsForm(typed=True)
        self.job_options.load(self.settings)
        self.job_model = self.job_options.model
        self.engine = self.job_options.engine
        self.output_dir = self.job_options.folder
        self.formats = self.job_options.formats
        self.burn_in = self.job_options.burn_in
        page = widget_page(self.tabs, translated(TABS[4]))
        page.addWidget(
            note(
                self.tr(
                    "What each new job starts with; the Jobs page shows the same options and "
                    "changes them for the jobs you add there."
                )
            )
        )
        page.addWidget(self.job_options)
        page.addStretch(1)
        for name, label in self.job_options.errors.items():
            self.errors.add_label(name, label, 4)

    def _build_appearance(self) -> None:
        s = self.settings
        form = form_page(self.tabs, translated(TABS[5]))
        self.theme = combo(
            [
                (self.tr("Follow the system"), "system"),
                (self.tr("Light"), "light"),
                (self.tr("Dark"), "dark"),
            ],
            s.theme,
        )
        self.ui_language = combo(
            [(self.tr("Follow the system"), "system"), ("English", "en"), ("Русский", "ru")],
            s.ui_language,
        )
        add = self.errors.add_row
        add(form, self.tr("Theme:"), self.theme, "theme", 5)
        add(form, self.tr("Language:"), self.ui_language, "ui_language", 5)

    def _connect_signals(self) -> None:
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.cancel_button.clicked.connect(self.reject)
        self.mode.currentIndexChanged.connect(self._on_mode_changed)
        for widget in self.findChildren(QLineEdit):
            widget.textChanged.connect(self._on_field_edited)
        for spin in (self.port, self.workers, self.prefetch, self.line_length, self.max_lines):
            spin.valueChanged.connect(self._on_field_edited)
        self.max_cps.valueChanged.connect(self._on_field_edited)
        self.tls.toggled.connect(self._on_field_edited)
        self.job_options.edited.connect(self._on_field_edited)
        for secret in (self.url, self.password, self.llm_key):
            secret.edited.connect(self._on_field_edited)

    # -- reading the form ---------------------------------------------------------------------

    def _on_mode_changed(self) -> None:
        remote = self.mode.currentData() == "remote"
        for widget in (
            self.url,
            self.host,
            self.vhost,
            self.user,
            self.password,
            self.tls,
            self.ca_file,
            self.cert_file,
            self.key_file,
        ):
            widget.setEnabled(remote)
        self.port.setToolTip(
            self.tr("The port of the remote broker")
            if remote
            else self.tr("The port of the private broker")
        )
        self._on_field_edited()

    def _on_field_edited(self, *_args: Any) -> None:
        if self._checked_once:
            self.errors.show(self.problems())

    def changes(self) -> dict[str, Any]:
        """The AppSettings values the form holds (secrets left empty keep the stored ones)."""
        values: dict[str, Any] = {
            "mode": self.mode.currentData(),
            "rabbitmq_host": self.host.text().strip(),
            "rabbitmq_port": self.port.value(),
            "rabbitmq_vhost": self.vhost.text().strip(),
            "rabbitmq_user": self.user.text().strip(),
            "rabbitmq_tls": self.tls.isChecked(),
            "rabbitmq_ca_file": self.ca_file.text() or None,
            "rabbitmq_cert_file": self.cert_file.text() or None,
            "rabbitmq_key_file": self.key_file.text() or None,
            "workers": self.workers.value(),
            "broker_keep_warm_minutes": float(self.keep_warm.value()),
            "worker_prefetch": self.prefetch.value(),
            "call_timeout_s": float(self.call_timeout.value()),
            "call_tries": self.call_tries.value(),
            "worker_wait_s": float(self.worker_wait.value()),
            "log_level": self.log_level.currentData(),
            "plugin_dir": Path(self.plugin_dir.text()).expanduser()
            if self.plugin_dir.text()
            else None,
            "subtitle_max_chars_per_line": spin_value(self.line_length),
            "subtitle_max_lines": spin_value(self.max_lines),
            "subtitle_max_chars_per_second": round(self.max_cps.value(), 1) or None,
            "review_doubt_threshold": self.doubt.value() / 100,
            **self.job_options.values(),
            "theme": self.theme.currentData(),
            "ui_language": self.ui_language.currentData(),
        }
        if (password := self.password.value()) is not None:
            values["rabbitmq_password"] = SecretStr(password)
        if (url := self.url.value()) is not None:
            values["rabbitmq_url"] = SecretStr(url.strip()) if url.strip() else None
        return values

    def asr_config(self) -> AsrConfig:
        """The local workers' speech defaults the form holds."""
        return AsrConfig(
            model=self.worker_model.currentText().strip(), device=self.device.currentData()
        )

    def llm_config(self) -> LlmConfig:
        """The chat-model endpoint the form holds (an untouched key field keeps the key)."""
        typed = self.llm_key.value()
        key = self._llm.api_key if typed is None else (SecretStr(typed) if typed else None)
        return LlmConfig(self.llm_url.text().strip(), self.llm_model.text().strip(), key)

    def problems(self) -> dict[str, str]:
        """Every problem in the form, keyed by field (empty when it can be saved)."""
        url = self.url.value()
        fields = BrokerFields(
            mode=str(self.mode.currentData()),
            url=url or "",
            keeps_stored_url=url is None and self.settings.rabbitmq_url is not None,
            host=self.host.text(),
            port=self.port.value(),
            vhost=self.vhost.text(),
            user=self.user.text(),
            tls=self.tls.isChecked(),
            ca_file=self.ca_file.text(),
            cert_file=self.cert_file.text(),
            key_file=self.key_file.text(),
        )
        problems = check_broker(fields)
        if asr := check_asr(self.asr_config()):
            problems["asr_default_model"] = asr
        problems.update({f"llm_{k}": v for k, v in check_llm(self.llm_config()).items()})
        if not self.job_options.checked_formats():
            problems["output_formats"] = self.tr("Choose at least one output format.")
        if self.output_dir.text() and (folder := folder_problem(self.output_dir.text())):
            problems["output_dir"] = folder
        if self.plugin_dir.text() and (plugins := plugin_folder_problem(self.plugin_dir.text())):
            problems["plugin_dir"] = plugins
        if not problems:
            problems.update(self._model_problems())
        return problems

    def _model_problems(self) -> dict[str, str]:
        """What AppSettings itself refuses (its validators are the last word)."""
        try:
            type(self.settings).model_validate({**self.settings.model_dump(), **self.changes()})
        except ValidationError as exc:
            return {
                str(err["loc"][0]) if err["loc"] else "status": err["msg"] for err in exc.errors()
            }
        return {}

    # -- saving ------------------------------------------------------------------------------

    def _on_save_button_clicked(self) -> None:
        self.save()

    def save(self) -> bool:
        """Check the form and, when it is right, write everything; True when saved."""
        self._checked_once = True
        problems = self.problems()
        self.errors.show(problems)
        if problems:
            first = next(iter(problems))
            self.tabs.setCurrentIndex(self.errors.pages.get(first, self.tabs.currentIndex()))
            self._show_status(
                self.tr("Not saved: fix the field marked in red.")
                if len(problems) == 1
                else self.tr("Not saved: fix the {count} fields marked in red.").format(
                    count=len(problems)
                )
            )
            log.info("settings not saved: %d problem(s) in %s", len(problems), ", ".join(problems))
            return False
        try:
            changed = self._write()
        except (ServiceConfigError, OSError) as exc:
            self._show_status(self.tr("Not saved: {error}").format(error=exc))
            log.error("settings not saved: %s", exc)
            return False
        restart = bool(RESTART_FIELDS & set(changed)) or "services" in changed
        log.info("settings saved (%s)", ", ".join(changed) or "no change")
        self.settings_saved.emit([c for c in changed if c != "services"], restart)
        self.accept()
        return True

    def _write(self) -> list[str]:
        """Write the service files that changed, then settings.toml; the changed names."""
        config_dir = self.settings.config_dir
        changed: list[str] = []
        asr, llm = self.asr_config(), self.llm_config()
        if asr != self._asr:
            write_asr(config_dir, asr)
            changed.append("services")
        if llm != self._llm:
            write_llm(config_dir, llm)
            changed.append("services")
        values = self.changes()
        candidate = self.settings.model_copy(update=values)
        candidate.save(config_dir / "settings.toml")
        for name, value in values.items():
            if getattr(self.settings, name) != value:
                setattr(self.settings, name, value)
                changed.append(name)
        return changed

    def _show_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()
