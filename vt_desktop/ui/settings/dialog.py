"""The Settings dialog: connection, workers, models and engines, subtitles, new jobs, appearance.

It edits the one ``AppSettings`` object the app runs on and, for the worker services, their
own config files (the speech service's default model and device, the translation service's
chat-model endpoint). Everything is checked before anything is written: a wrong field gets a
sentence under it and Save refuses. Stored secrets (broker password, broker URL, API key) are
never shown back or logged; a field left empty keeps what is stored.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import SecretStr, ValidationError
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
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
from vt_desktop.core.service_config import (
    ServiceConfigError,
)
from vt_desktop.core.settings_check import BrokerFields, check_broker
from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP
from vt_desktop.ui.settings.engines_page import EnginesPage
from vt_desktop.ui.settings.fields import FieldErrors, PathField, SecretField
from vt_desktop.ui.settings.job_pages import AppearancePage, NewJobsPage
from vt_desktop.ui.settings.pages import (
    FormPage,
    add_page,
    combo,
    form_page,
    note,
    translated,
)
from vt_desktop.ui.settings.subtitles_page import SubtitlesPage
from vt_desktop.ui.settings.workers_page import WorkersPage
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
        self._build_connection()
        self._build_pages()
        self._build()
        self._connect_signals()
        self._on_mode_changed()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.setMinimumSize(700, 680)
        self.port.setMaximumWidth(160)
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
        self.keep_warm = QSpinBox()  # the private broker outlives the window
        self.keep_warm.setRange(0, 24 * 60)
        self.keep_warm.setMaximumWidth(160)  # as wide as the port box above it
        self.keep_warm.setSuffix(self.tr(" min"))
        self.keep_warm.setValue(round(self.settings.broker_keep_warm_minutes))
        self.keep_warm.valueChanged.connect(self._on_field_edited)
        add(form, self.tr("Keep running after closing:"), self.keep_warm,
            "broker_keep_warm_minutes", 0)  # fmt: skip
        form.addRow("", note(self.tr(
            "The private broker stays up this long after the window closes, so the next "
            "launch starts at once (0: it stops with the window; never past your session)."
        )))  # fmt: skip

    def _build_pages(self) -> None:
        """The tabs after Connection, each a page of its own; their fields keep the names the
        dialog has always given them."""
        errors = self.errors
        self.workers_page = WorkersPage(self.settings, errors, 1)
        self.engines_page = EnginesPage(self.settings.config_dir, errors, 2)
        self.subtitles_page = SubtitlesPage(self.settings, errors, 3)
        self.new_jobs_page = NewJobsPage(self.settings, errors, 4)
        self.appearance_page = AppearancePage(self.settings, errors, 5)
        self.pages: tuple[FormPage | NewJobsPage, ...] = (
            self.workers_page,
            self.engines_page,
            self.subtitles_page,
            self.new_jobs_page,
            self.appearance_page,
        )
        for number, page in enumerate(self.pages, start=1):
            add_page(self.tabs, page, translated(TABS[number]))
        workers, engines, subtitles = self.workers_page, self.engines_page, self.subtitles_page
        self.workers, self.prefetch = workers.workers, workers.prefetch
        self.call_timeout, self.call_tries = workers.call_timeout, workers.call_tries
        self.worker_wait, self.log_level = workers.worker_wait, workers.log_level
        self.plugin_dir = workers.plugin_dir
        self.worker_model, self.device = engines.worker_model, engines.device
        self.llm_url, self.llm_model, self.llm_key = (
            engines.llm_url,
            engines.llm_model,
            engines.llm_key,
        )
        self.line_length, self.max_lines = subtitles.line_length, subtitles.max_lines
        self.max_cps, self.doubt = subtitles.max_cps, subtitles.doubt
        self.job_options = self.new_jobs_page.options
        self.job_model, self.engine = self.job_options.model, self.job_options.engine
        self.output_dir, self.formats = self.job_options.folder, self.job_options.formats
        self.burn_in = self.job_options.burn_in
        self.theme, self.ui_language = self.appearance_page.theme, self.appearance_page.ui_language

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
            "broker_keep_warm_minutes": float(self.keep_warm.value()),
        }
        for page in self.pages:
            values.update(page.values())
        if (password := self.password.value()) is not None:
            values["rabbitmq_password"] = SecretStr(password)
        if (url := self.url.value()) is not None:
            values["rabbitmq_url"] = SecretStr(url.strip()) if url.strip() else None
        return values

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
        for page in self.pages:
            problems.update(page.problems())
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
        changed = ["services"] if self.engines_page.write_changed() else []
        values = self.changes()
        candidate = self.settings.model_copy(update=values)
        candidate.save(self.settings.config_dir / "settings.toml")
        for name, value in values.items():
            if getattr(self.settings, name) != value:
                setattr(self.settings, name, value)
                changed.append(name)
        return changed

    def _show_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()
