"""Pieces the settings dialog's tabs are built from: a form page, a note, combos, checks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QLabel,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QWidget,
)

from vt_desktop.ui.settings.fields import FieldErrors


def translated(text: str) -> str:
    """A text marked for the ``SettingsDialog`` context, in the window's language."""
    return QCoreApplication.translate("SettingsDialog", text)


def form_page(tabs: QTabWidget, title: str) -> QFormLayout:
    """A new tab holding a form (scrolling rather than squeezing when errors show)."""
    page = QWidget()
    page.setObjectName("SettingsPage")
    scroll = QScrollArea()
    scroll.setObjectName("SettingsScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(page)
    form = QFormLayout(page)
    form.setContentsMargins(18, 18, 18, 12)
    form.setHorizontalSpacing(14)
    form.setVerticalSpacing(8)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    tabs.addTab(scroll, title)
    return form


class FormPage(QWidget):
    """A settings tab: a form whose fields show their problems under them, and what it holds
    as ``AppSettings`` values (``values``) with what is wrong in them (``problems``)."""

    def __init__(self, errors: FieldErrors, index: int) -> None:
        super().__init__()
        self.setObjectName("SettingsPage")
        self.form = QFormLayout(self)
        self.form.setContentsMargins(18, 18, 18, 12)
        self.form.setHorizontalSpacing(14)
        self.form.setVerticalSpacing(8)
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.index = index
        self._errors = errors

    def add(self, label: str, widget: QWidget, field: str) -> None:
        """A row: ``widget`` under ``label``, with the (hidden) error of ``field`` below it."""
        self._errors.add_row(self.form, label, widget, field, self.index)

    def values(self) -> dict[str, Any]:
        """The ``AppSettings`` values the page holds, by field."""
        return {}

    def problems(self) -> dict[str, str]:
        """What is wrong on the page before ``AppSettings`` is asked, by field."""
        return {}


def add_page(tabs: QTabWidget, page: QWidget, title: str) -> None:
    """Add ``page`` as a tab (scrolling rather than squeezing when errors show)."""
    scroll = QScrollArea()
    scroll.setObjectName("SettingsScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(page)
    tabs.addTab(scroll, title)


def note(text: str) -> QLabel:
    """A muted, wrapping explanation."""
    label = QLabel(text)
    label.setObjectName("Muted")
    label.setWordWrap(True)
    return label


def combo(items: list[tuple[str, Any]], current: Any, *, editable: bool = False) -> QComboBox:
    """A combo box of ``(text, data)`` items showing ``current`` (typed in if not listed)."""
    box = QComboBox()
    box.setEditable(editable)
    for text, data in items:
        box.addItem(text, data)
    set_combo_data(box, current)
    return box


def set_combo_data(box: QComboBox, value: Any) -> None:
    """Select the item whose data is ``value``; an editable box shows other values as text."""
    for index in range(box.count()):
        if box.itemData(index) == value:
            box.setCurrentIndex(index)
            return
    if box.isEditable() and value is not None:
        box.setEditText(str(value))


def folder_problem(text: str) -> str | None:
    """Why outputs cannot go to folder ``text`` (``None`` when they can)."""
    path = Path(text).expanduser()
    if not path.is_absolute():
        return QCoreApplication.translate(
            "SettingsDialog",
            "Give the folder's full path (or leave it empty to write beside each input).",
        )
    if path.exists():
        if not path.is_dir():
            return QCoreApplication.translate(
                "SettingsDialog", "{path} is a file, not a folder."
            ).format(path=path)
        if not os.access(path, os.W_OK | os.X_OK):
            return QCoreApplication.translate(
                "SettingsDialog", "The folder {path} cannot be written to."
            ).format(path=path)
        return None
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        return QCoreApplication.translate(
            "SettingsDialog", "The folder {path} does not exist and cannot be created."
        ).format(path=path)
    return None


def plugin_folder_problem(text: str) -> str | None:
    """Why the workers cannot load plugins from folder ``text`` (``None`` when they can)."""
    path = Path(text).expanduser()
    if not path.is_absolute():
        return QCoreApplication.translate(
            "SettingsDialog",
            "Give the folder's full path (or leave it empty for built-in services only).",
        )
    if not path.exists():
        return QCoreApplication.translate(
            "SettingsDialog", "The folder {path} does not exist."
        ).format(path=path)
    if not path.is_dir():
        return QCoreApplication.translate(
            "SettingsDialog", "{path} is a file, not a folder."
        ).format(path=path)
    if not os.access(path, os.R_OK | os.X_OK):
        return QCoreApplication.translate(
            "SettingsDialog", "The folder {path} cannot be read."
        ).format(path=path)
    return None


def section(title: str) -> QLabel:
    label = QLabel(title)
    label.setObjectName("SectionTitle")
    return label


def default_spin(low: int, high: int, value: int | None, suffix: str) -> QSpinBox:
    """A spin box whose lowest step reads "Language default" (stored as ``None``)."""
    spin = QSpinBox()
    spin.setRange(low - 1, high)
    spin.setSpecialValueText(QCoreApplication.translate("SettingsDialog", "Language default"))
    spin.setSuffix(suffix)
    spin.setValue(value if value is not None else low - 1)
    return spin


def spin_value(spin: QSpinBox) -> int | None:
    """A ``default_spin``'s value: ``None`` on its "Language default" step."""
    return None if spin.value() == spin.minimum() else spin.value()
