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
    QVBoxLayout,
    QWidget,
)


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


def widget_page(tabs: QTabWidget, title: str) -> QVBoxLayout:
    """A new tab holding a column of widgets (a form of its own, notes)."""
    page = QWidget()
    page.setObjectName("SettingsPage")
    scroll = QScrollArea()
    scroll.setObjectName("SettingsScroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(page)
    column = QVBoxLayout(page)
    column.setContentsMargins(18, 18, 18, 12)
    column.setSpacing(12)
    tabs.addTab(scroll, title)
    return column


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
