"""The Settings dialog's "New jobs" tab (the Jobs page's own options form) and its Appearance
tab (theme and language)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QVBoxLayout, QWidget

from vt_desktop.core.config import AppSettings
from vt_desktop.ui.common.job_options import JobOptionsForm
from vt_desktop.ui.settings.fields import FieldErrors
from vt_desktop.ui.settings.pages import FormPage, combo, folder_problem, note


class NewJobsPage(QWidget):
    """The options a new job starts with: the form the Jobs page shows too."""

    def __init__(self, settings: AppSettings, errors: FieldErrors, index: int) -> None:
        super().__init__()
        self.setObjectName("SettingsPage")
        self.options = JobOptionsForm(typed=True)
        self.options.load(settings)
        column = QVBoxLayout(self)
        column.setContentsMargins(18, 18, 18, 12)
        column.setSpacing(12)
        column.addWidget(
            note(
                self.tr(
                    "What each new job starts with; the Jobs page shows the same options and "
                    "changes them for the jobs you add there."
                )
            )
        )
        column.addWidget(self.options)
        column.addStretch(1)
        for name, label in self.options.errors.items():
            errors.add_label(name, label, index)

    def values(self) -> dict[str, Any]:
        """The options the form holds."""
        return self.options.values()

    def problems(self) -> dict[str, str]:
        """No format ticked, or a folder outputs cannot go to."""
        problems: dict[str, str] = {}
        if not self.options.checked_formats():
            problems["output_formats"] = self.tr("Choose at least one output format.")
        folder = self.options.folder.text()
        if folder and (problem := folder_problem(folder)):
            problems["output_dir"] = problem
        return problems


class AppearancePage(FormPage):
    """The window's theme and language."""

    def __init__(self, settings: AppSettings, errors: FieldErrors, index: int) -> None:
        super().__init__(errors, index)
        s = settings
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
        add = self.add
        add(self.tr("Theme:"), self.theme, "theme")
        add(self.tr("Language:"), self.ui_language, "ui_language")

    def values(self) -> dict[str, Any]:
        """The theme and language chosen."""
        return {"theme": self.theme.currentData(), "ui_language": self.ui_language.currentData()}
