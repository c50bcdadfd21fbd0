"""The Review page's editing commands, as in a subtitle editor: split, merge, insert, delete,
shift, set a time from the player, undo and redo, go to a flagged cue; each an action with its
shortcut (see :mod:`vt_desktop.ui.shortcuts`) and a button on the edit row.

:class:`ReviewEditing` is the page's base class: the page (:class:`ReviewView`) builds the
widgets it names and calls :meth:`_make_actions` before laying out :meth:`_edit_row`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QToolButton,
    QWidget,
)

from vt_desktop.core.review.edits import (
    delete_cues,
    insert_cue,
    merge_with_next,
    set_time,
    shift_cues,
    shift_from,
    split_cue,
)
from vt_desktop.ui.review.columns import COLUMNS
from vt_desktop.ui.review.cues_model import CuesTableModel
from vt_desktop.ui.review.flow import FlowRow, group
from vt_desktop.ui.review.preview import VideoPreview
from vt_desktop.ui.review.table import CuesTable
from vt_desktop.ui.review.view_model import ReviewViewModel
from vt_desktop.ui.shortcuts import shortcut, tip

__all__ = ["ReviewEditing"]


class ReviewEditing(QWidget):
    """The editing half of the Review page (the widgets are made by the page)."""

    review: ReviewViewModel
    table: CuesTable
    table_model: CuesTableModel
    preview: VideoPreview
    shift_box: QDoubleSpinBox
    message: QLabel
    actions_by_key: dict[str, QAction]
    edit_buttons: list[QToolButton]

    def _make_actions(self) -> None:
        """The page's editing actions, with the shortcuts of :mod:`shortcuts`; they work while
        the page (its table, or a cell being edited) has the focus."""
        stack = self.review.undo_stack
        # The stack's own actions rename themselves "Undo <what>", which a button cannot show
        # in a row: these keep their short name and tell what they would undo in the tooltip.
        undo_action, redo_action = QAction(self.tr("Undo"), self), QAction(self.tr("Redo"), self)
        undo_action.triggered.connect(stack.undo)
        redo_action.triggered.connect(stack.redo)
        undo_action.setEnabled(stack.canUndo())
        redo_action.setEnabled(stack.canRedo())
        stack.canUndoChanged.connect(undo_action.setEnabled)
        stack.canRedoChanged.connect(redo_action.setEnabled)
        made = {
            "split": (self.tr("Split"), self.split_current),
            "merge": (self.tr("Merge"), self.merge_current),
            "insert": (self.tr("Insert"), self.insert_after_current),
            "delete": (self.tr("Delete"), self.delete_selected),
            "shift": (self.tr("Selected"), self.shift_selected),
            "shift_from": (self.tr("From here on"), self.shift_from_current),
            "play": (self.tr("Play or pause"), self.preview.play_button.click),
            "previous_flagged": (self.tr("Previous flagged"), self.previous_flagged),
            "next_flagged": (self.tr("Next flagged"), self.next_flagged),
            "set_start": (self.tr("Set start"), lambda: self.set_time_from_player("start")),
            "set_end": (self.tr("Set end"), lambda: self.set_time_from_player("end")),
        }
        tips = {
            "split": self.tr("Split the cue at the text cursor"),
            "merge": self.tr("Merge the cue with the next one"),
            "insert": self.tr("Insert an empty cue after this one"),
            "delete": self.tr("Delete the selected cues"),
            "shift": self.tr("Shift the selected cues by the offset"),
            "shift_from": self.tr("Shift this cue and all after it by the offset"),
            "previous_flagged": self.tr("Go to the previous flagged cue"),
            "next_flagged": self.tr("Go to the next flagged cue"),
            "set_start": self.tr("Start the cue at the player's position"),
            "set_end": self.tr("End the cue at the player's position"),
            "undo": self.tr("Undo the last change"),
            "redo": self.tr("Redo the change undone last"),
        }
        actions: dict[str, QAction] = {"undo": undo_action, "redo": redo_action}
        for key, (text, slot) in made.items():
            action = QAction(text, self)
            action.triggered.connect(lambda _checked=False, run=slot: run())
            actions[key] = action
        for key, action in actions.items():
            action.setShortcut(shortcut(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setToolTip(tip(tips.get(key, action.text()), key))
            self.addAction(action)
        self.actions_by_key = actions
        for action, key, changed in (
            (undo_action, "undo", stack.undoTextChanged),
            (redo_action, "redo", stack.redoTextChanged),
        ):
            what = self.tr("Undo: {change}") if key == "undo" else self.tr("Redo: {change}")
            changed.connect(
                lambda text, a=action, k=key, w=what: a.setToolTip(
                    tip(w.format(change=text) if text else tips[k], k)
                )
            )

    def _edit_row(self) -> QWidget:
        """Undo/redo, the cue edits, and shifting by an offset: three groups in a row that
        wraps, so every button's text shows in a narrow window or a longer language."""
        groups: list[QWidget] = []
        for keys in (("undo", "redo"), ("split", "merge", "insert", "delete")):
            buttons = []
            for key in keys:
                button = QToolButton()
                button.setDefaultAction(self.actions_by_key[key])
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
                button.setAccessibleName(self.actions_by_key[key].toolTip())
                self.edit_buttons.append(button)
                buttons.append(button)
            groups.append(group(*buttons))
        self.shift_box.setRange(-3600.0, 3600.0)
        self.shift_box.setDecimals(3)
        self.shift_box.setSingleStep(0.1)
        self.shift_box.setValue(0.5)
        self.shift_box.setSuffix(self.tr(" s"))
        self.shift_box.setAccessibleName(self.tr("Shift offset in seconds"))
        shift: list[QWidget] = [QLabel(self.tr("Shift by")), self.shift_box]
        for key in ("shift", "shift_from"):
            button = QToolButton()
            button.setDefaultAction(self.actions_by_key[key])
            button.setAccessibleName(self.actions_by_key[key].toolTip())
            self.edit_buttons.append(button)
            shift.append(button)
        groups.append(group(*shift))
        holder = QWidget()
        row = FlowRow(holder, spacing=18)
        for each in groups:
            row.addWidget(each)
        return holder

    def current_row(self) -> int | None:
        """The row of the table's current cell (None when there is none)."""
        index = self.table.currentIndex()
        return index.row() if index.isValid() and self.review.session is not None else None

    def _editing_cursor(self) -> int | None:
        """Where the text cursor stands in the current cue's text while its Translation cell
        is being edited (the typing is committed first); None when it is not."""
        editor = self.focusWidget()
        index = self.table.currentIndex()
        if not (
            isinstance(editor, QLineEdit)
            and self.table.state() == QAbstractItemView.State.EditingState
            and COLUMNS[index.column()] == "Translation"
        ):
            return None
        letters = len("".join(editor.text()[: editor.cursorPosition()].split()))
        self.table.commitData(editor)
        self.table.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)
        session = self.review.session
        text = session.cues[index.row()].text if session else ""
        seen = 0
        for offset, char in enumerate(text):
            if seen == letters:
                return offset
            seen += 0 if char.isspace() else 1
        return len(text)

    def split_current(self) -> None:
        """Split the current cue at the text cursor, or at the space nearest its middle."""
        at = self._editing_cursor()
        row, session = self.current_row(), self.review.session
        if row is None or session is None:
            self._show_message(self.tr("Click the cue to change first."), "ReviewError")
            return
        if at is None:
            text = session.cues[row].text
            spaces = [i for i, ch in enumerate(text) if ch.isspace()]
            at = min(spaces, key=lambda i: abs(i - len(text) / 2)) if spaces else len(text) // 2
        label = self.tr("Split cue {number}").format(number=row + 1)
        self.review.change(row, label, lambda s: split_cue(s, row, at))

    def merge_current(self) -> None:
        """Merge the current cue with the next one."""
        if (row := self.current_row()) is None:
            self._show_message(self.tr("Click the cue to change first."), "ReviewError")
            return
        label = self.tr("Merge cues {first} and {second}").format(first=row + 1, second=row + 2)
        self.review.change(row, label, lambda s: merge_with_next(s, row))

    def insert_after_current(self) -> None:
        """Insert an empty cue after the current one (before the first when there is none)."""
        if self.review.session is None:
            return
        row = self.current_row()
        after = -1 if row is None else row
        label = self.tr("Insert a cue after cue {number}").format(number=after + 1)
        self.review.change(after, label, lambda s: insert_cue(s, after))

    def delete_selected(self) -> None:
        """Delete the selected cues."""
        rows = self.selected_rows()
        label = self.tr("Delete {count} cue(s)").format(count=len(rows))
        self.review.change(rows[0] if rows else 0, label, lambda s: delete_cues(s, rows))

    def shift_selected(self) -> None:
        """Shift the selected cues by the offset in the Shift box."""
        rows, offset = self.selected_rows(), self.shift_box.value()
        label = self.tr("Shift {count} cue(s) by {offset} s").format(
            count=len(rows), offset=f"{offset:+.3f}"
        )
        self.review.change(rows[0] if rows else 0, label, lambda s: shift_cues(s, rows, offset))

    def shift_from_current(self) -> None:
        """Shift the current cue and every cue after it by the offset in the Shift box."""
        row, offset = self.current_row(), self.shift_box.value()
        if row is None:
            self._show_message(self.tr("Click the cue to shift from first."), "ReviewError")
            return
        label = self.tr("Shift cues from {number} on by {offset} s").format(
            number=row + 1, offset=f"{offset:+.3f}"
        )
        self.review.change(row, label, lambda s: shift_from(s, row, offset))

    def set_time_from_player(self, field: str) -> None:
        """Set the current cue's ``"start"`` or ``"end"`` to the player's position."""
        row = self.current_row()
        if row is None:
            self._show_message(self.tr("Click the cue to change first."), "ReviewError")
            return
        seconds = self.preview.player.position() / 1000
        label = (
            self.tr("Set the start of cue {number}")
            if field == "start"
            else self.tr("Set the end of cue {number}")
        ).format(number=row + 1)
        self.review.change(row, label, lambda s: set_time(s, row, field, seconds))

    def next_flagged(self) -> None:
        """Go to the next flagged cue shown."""
        self._go_flagged(1)

    def previous_flagged(self) -> None:
        """Go to the previous flagged cue shown."""
        self._go_flagged(-1)

    def _go_flagged(self, step: int) -> None:
        session = self.review.session
        if session is None:
            return
        row = self.current_row()
        rows = range(len(session.cues)) if step > 0 else range(len(session.cues) - 1, -1, -1)
        for candidate in rows:
            beyond = row is None or (candidate - row) * step > 0
            if beyond and session.cues[candidate].flags and not self.table.isRowHidden(candidate):
                self.table.selectRow(candidate)
                self.table.setCurrentIndex(
                    self.table_model.index(candidate, COLUMNS.index("Translation"))
                )
                return
        self._show_message(
            self.tr("No flagged cue after this one.")
            if step > 0
            else self.tr("No flagged cue before this one."),
            "ReviewHint",
        )

    def selected_rows(self) -> list[int]:
        """The rows selected in the table, in order."""
        return sorted({i.row() for i in self.table.selectionModel().selectedRows()})

    def _show_message(self, text: str, kind: str) -> None:
        self.message.setObjectName(kind)
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
