"""The Settings dialog's Workers tab: how many local workers, how many calls each takes, a
call's timeout and tries, how long a call waits for a worker, the log level, a plugin folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QSpinBox

from vt_desktop.core.config import AppSettings
from vt_desktop.ui.settings.fields import FieldErrors, PathField
from vt_desktop.ui.settings.pages import FormPage, combo, note, plugin_folder_problem


def spin(low: int, high: int, value: int, suffix: str = "") -> QSpinBox:
    """A narrow spin box from ``low`` to ``high`` showing ``value``."""
    box = QSpinBox()
    box.setRange(low, high)
    box.setSuffix(suffix)
    box.setValue(value)
    box.setMaximumWidth(160)
    return box


class WorkersPage(FormPage):
    """The local workers and the calls a job sends them."""

    def __init__(self, settings: AppSettings, errors: FieldErrors, index: int) -> None:
        super().__init__(errors, index)
        s = settings
        self.workers = spin(0, 64, s.workers)
        self.prefetch = spin(1, 64, s.worker_prefetch)
        self.call_timeout = spin(1, 86400, round(s.call_timeout_s), " s")
        self.call_tries = spin(1, 20, s.call_tries)
        self.worker_wait = spin(0, 86400, round(s.worker_wait_s), " s")
        levels = [
            (self.tr("Debug"), "DEBUG"),
            (self.tr("Info"), "INFO"),
            (self.tr("Warning"), "WARNING"),
            (self.tr("Error"), "ERROR"),
            (self.tr("Critical"), "CRITICAL"),
        ]
        self.log_level = combo(levels, s.log_level)
        self.plugin_dir = PathField(
            str(s.plugin_dir or ""),
            title=self.tr("Plugin folder"),
            folder=True,
            placeholder=self.tr("none: built-in services only"),
        )
        self._add_rows()

    def _add_rows(self) -> None:
        add, form = self.add, self.form
        add(self.tr("Local workers:"), self.workers, "workers")
        form.addRow(
            "", note(self.tr("Worker processes this app starts; 0 uses remote workers only."))
        )
        add(self.tr("Calls per worker:"), self.prefetch, "worker_prefetch")
        form.addRow(
            "",
            note(
                self.tr(
                    "How many calls a worker takes at once; it recognises that many segments "
                    "in one batch (8 is about 1.4× as fast as 1, on a CPU too)."
                )
            ),
        )
        add(self.tr("Call timeout:"), self.call_timeout, "call_timeout_s")
        add(self.tr("Tries per call:"), self.call_tries, "call_tries")
        add(self.tr("Wait for a worker:"), self.worker_wait, "worker_wait_s")
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
        add(self.tr("Log level:"), self.log_level, "log_level")
        add(self.tr("Plugin folder:"), self.plugin_dir, "plugin_dir")
        form.addRow(
            "",
            note(
                self.tr(
                    "Services of your own (*_service.py, in sub-folders too) the local workers "
                    "load; each stays off until its file in services/ sets RPC_ENABLED = true."
                )
            ),
        )

    def values(self) -> dict[str, Any]:
        """The workers' and calls' settings the page holds."""
        plugins = self.plugin_dir.text()
        return {
            "workers": self.workers.value(),
            "worker_prefetch": self.prefetch.value(),
            "call_timeout_s": float(self.call_timeout.value()),
            "call_tries": self.call_tries.value(),
            "worker_wait_s": float(self.worker_wait.value()),
            "log_level": self.log_level.currentData(),
            "plugin_dir": Path(plugins).expanduser() if plugins else None,
        }

    def problems(self) -> dict[str, str]:
        """A plugin folder the workers could not load from."""
        if self.plugin_dir.text() and (plugins := plugin_folder_problem(self.plugin_dir.text())):
            return {"plugin_dir": plugins}
        return {}
