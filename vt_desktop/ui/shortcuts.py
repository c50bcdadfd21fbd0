"""The window's keyboard shortcuts, in one table: the Review page makes its actions from it and
*Help → Keyboard shortcuts* lists it, so the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP

CONTEXT = "Shortcuts"


@dataclass(frozen=True, slots=True)
class Shortcut:
    """One shortcut: a key for code, its keys, what it does (English, translated when shown)
    and where it works."""

    key: str
    keys: str
    what: str
    where: str


_REVIEW = QT_TRANSLATE_NOOP("Shortcuts", "Review")
_WINDOW = QT_TRANSLATE_NOOP("Shortcuts", "Everywhere")

SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("split", "Ctrl+Shift+S", QT_TRANSLATE_NOOP(
        "Shortcuts", "Split the cue at the text cursor (in the middle when not typing)"), _REVIEW),
    Shortcut("merge", "Ctrl+Shift+M", QT_TRANSLATE_NOOP(
        "Shortcuts", "Merge the cue with the next one"), _REVIEW),
    Shortcut("insert", "Ctrl+Shift+I", QT_TRANSLATE_NOOP(
        "Shortcuts", "Insert an empty cue after the current one"), _REVIEW),
    Shortcut("delete", "Ctrl+Shift+D", QT_TRANSLATE_NOOP(
        "Shortcuts", "Delete the selected cues"), _REVIEW),
    Shortcut("shift", "Ctrl+Shift+T", QT_TRANSLATE_NOOP(
        "Shortcuts", "Shift the selected cues by the offset in the Shift box"), _REVIEW),
    Shortcut("shift_from", "Ctrl+Shift+F", QT_TRANSLATE_NOOP(
        "Shortcuts", "Shift the current cue and all after it by the offset"), _REVIEW),
    Shortcut("undo", "Ctrl+Z", QT_TRANSLATE_NOOP("Shortcuts", "Undo the last change"), _REVIEW),
    Shortcut("redo", "Ctrl+Shift+Z", QT_TRANSLATE_NOOP(
        "Shortcuts", "Redo the change undone last"), _REVIEW),
    Shortcut("play", "Ctrl+Space", QT_TRANSLATE_NOOP("Shortcuts", "Play or pause the video"),
             _REVIEW),
    Shortcut("previous_flagged", "Shift+F8", QT_TRANSLATE_NOOP(
        "Shortcuts", "Go to the previous flagged cue"), _REVIEW),
    Shortcut("next_flagged", "F8", QT_TRANSLATE_NOOP("Shortcuts", "Go to the next flagged cue"),
             _REVIEW),
    Shortcut("set_start", "F11", QT_TRANSLATE_NOOP(
        "Shortcuts", "Start the current cue at the player's position"), _REVIEW),
    Shortcut("set_end", "F12", QT_TRANSLATE_NOOP(
        "Shortcuts", "End the current cue at the player's position"), _REVIEW),
    Shortcut("add_files", "Ctrl+O", QT_TRANSLATE_NOOP("Shortcuts", "Add files to translate"),
             _WINDOW),
    Shortcut("settings", "Ctrl+,", QT_TRANSLATE_NOOP("Shortcuts", "Open the settings"), _WINDOW),
    Shortcut("pages", "Ctrl+1 … Ctrl+5", QT_TRANSLATE_NOOP("Shortcuts", "Show a page by its place"),
             _WINDOW),
    Shortcut("quit", "Ctrl+Q", QT_TRANSLATE_NOOP("Shortcuts", "Quit"), _WINDOW),
    Shortcut("shortcuts", "F1", QT_TRANSLATE_NOOP("Shortcuts", "Show this list"), _WINDOW),
)  # fmt: skip


def shortcut(key: str) -> QKeySequence:
    """The keys of the shortcut named ``key``."""
    return QKeySequence(next(s.keys for s in SHORTCUTS if s.key == key))


def tip(text: str, key: str) -> str:
    """``text`` followed by the shortcut's keys as the platform writes them (a tooltip)."""
    return f"{text} ({shortcut(key).toString(QKeySequence.SequenceFormat.NativeText)})"


class ShortcutsDialog(QDialog):
    """*Help → Keyboard shortcuts*: every shortcut, what it does and where."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.setObjectName("ShortcutsDialog")
        layout = QVBoxLayout(self)
        intro = QLabel(
            self.tr(
                "The Review page's shortcuts work while its table or a cell being edited has "
                "the focus; while typing in a cell, Ctrl+Z undoes the typing first."
            )
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(len(SHORTCUTS), 3)
        self.table.setAccessibleName(self.tr("Keyboard shortcuts"))
        self.table.setHorizontalHeaderLabels([self.tr("Keys"), self.tr("Does"), self.tr("Where")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setShowGrid(False)
        for row, item in enumerate(SHORTCUTS):
            native = QKeySequence(item.keys).toString(QKeySequence.SequenceFormat.NativeText)
            cells = (
                item.keys if "…" in item.keys else native,
                QCoreApplication.translate(CONTEXT, item.what),
                QCoreApplication.translate(CONTEXT, item.where),
            )
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                cell.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, cell)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(True)
        self.table.resizeRowsToContents()
        self.table.setCurrentCell(-1, -1)
        layout.addWidget(self.table, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(780, 600)
