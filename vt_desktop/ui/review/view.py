"""The Review page: a finished job's subtitles in an editable table beside a video preview.

Pick a done job and one of its languages; flagged cues are tinted, with the broken rules in
their tooltip. Translation, start and end are edited in place (a refused edit says why above
the table and changes nothing). The preview plays the source video with the current cue drawn
over the picture (a ``QGraphicsVideoItem``, which, unlike ``QVideoWidget``, also renders in
offscreen grabs); clicking a row seeks to its cue. Export writes the job's subtitle files and
soft-subtitle video from the edits. Switching job or language with unsaved edits asks first.

Editing as in a subtitle editor: split, merge, insert, delete and shift cues, set a cue's start
or end from the player, undo and redo any change, each from the edit row or its shortcut (see
:mod:`vt_desktop.ui.shortcuts`). Each change is saved in the job store as it is made, so
nothing is lost if the window closes or crashes before Export. The Flags column names what may
be wrong with each cue, the filter shows only the cues with a given flag, and the status line
counts each kind.
"""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtCore import QEvent, QModelIndex, QObject, QRect, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from vt_desktop.core.jobs.model import JobRecord
from vt_desktop.core.review import ExportResult, RetranslateResult, ReviewSession
from vt_desktop.core.review.edits import (
    delete_cues,
    insert_cue,
    merge_with_next,
    set_time,
    shift_cues,
    shift_from,
    split_cue,
)
from vt_desktop.ui.common.rich_text import RichTextDelegate
from vt_desktop.ui.common.slots import asyncSlot
from vt_desktop.ui.common.widgets import PageHeader
from vt_desktop.ui.review.preview import VideoPreview
from vt_desktop.ui.review.view_model import (
    COLUMNS,
    RICH_TEXT_ROLE,
    CuesTableModel,
    ReviewViewModel,
    flag_counts,
    flag_name,
)
from vt_desktop.ui.review.waveform import WaveformLink
from vt_desktop.ui.shortcuts import shortcut, tip
from vt_desktop.ui.view_model import RuntimeViewModel

log = logging.getLogger(__name__)
COLUMN_WIDTHS = {"#": 50, "Flags": 98, "Start": 84, "End": 84}
#: The filter's choices besides one flag: every cue, or those with any flag.
ALL, ANY = "", "*"
#: The style's own text margins inside a cell (focus frame margin + 1, both sides).
TEXT_MARGINS = 8
CELL_PADDING = (12, 10)  # the style sheet's item padding (across, down) plus a margin
TABLE_SHARE = 0.66  # of the splitter, at first: both text columns show their headers


class ReviewView(QWidget):
    """The Review page. ``view_model`` is the window's ``RuntimeViewModel``."""

    def __init__(self, view_model: RuntimeViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self.review = ReviewViewModel(view_model, self)
        self.table_model = CuesTableModel(self.review, self)
        self.job_combo = QComboBox()
        self.lang_combo = QComboBox()
        self.refresh_button = QPushButton(self.tr("Refresh"))
        self.message = QLabel()
        self.table = QTableView()
        self.preview = VideoPreview()
        self.retranslate_button = QPushButton(self.tr("Re-translate selected"))
        self.export_button = QPushButton(self.tr("Export"))
        self.summary = QLabel()
        self.filter_combo = QComboBox()
        self.shift_box = QDoubleSpinBox()
        self.confirm_box: QMessageBox | None = None
        self._jobs: list[JobRecord] = []
        self.actions_by_key: dict[str, QAction] = {}
        self.edit_buttons: list[QToolButton] = []
        self._make_actions()
        self._build()
        self._connect_signals()
        self.refresh()

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(12)
        layout.addWidget(
            PageHeader(
                self.tr("Review"),
                self.tr(
                    "Check a finished job's subtitles beside its video: edit a translation or a "
                    "time in place, re-translate lines, then export."
                ),
            )
        )
        layout.addLayout(self._picker_row())
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Review message"))
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        layout.addWidget(self.message)
        layout.addLayout(self._edit_row())
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        self._build_table()
        splitter.addWidget(self.table)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([round(1000 * TABLE_SHARE), round(1000 * (1 - TABLE_SHARE))])
        self.splitter = splitter
        layout.addWidget(splitter, 1)
        layout.addLayout(self._action_row())

    def _picker_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(10)
        self.job_combo.setAccessibleName(self.tr("Job"))
        self.job_combo.setMinimumWidth(200)
        self.lang_combo.setAccessibleName(self.tr("Language"))
        self.lang_combo.setMinimumWidth(90)
        row.addWidget(QLabel(self.tr("Job")))
        row.addWidget(self.job_combo, 1)
        row.addSpacing(6)
        row.addWidget(QLabel(self.tr("Language")))
        row.addWidget(self.lang_combo)
        row.addWidget(self.refresh_button)
        row.addSpacing(6)
        row.addWidget(QLabel(self.tr("Show")))
        self.filter_combo.setAccessibleName(self.tr("Show cues"))
        self.filter_combo.setMinimumWidth(150)
        row.addWidget(self.filter_combo)
        return row

    def _make_actions(self) -> None:
        """The page's editing actions, with the shortcuts of :mod:`shortcuts`; they work while
        the page (its table, or a cell being edited) has the focus."""
        stack = self.review.undo_stack
        undo_action = stack.createUndoAction(self, self.tr("Undo"))
        redo_action = stack.createRedoAction(self, self.tr("Redo"))
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

    def _edit_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)
        for keys in (("undo", "redo"), ("split", "merge", "insert", "delete")):
            for key in keys:
                button = QToolButton()
                button.setDefaultAction(self.actions_by_key[key])
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
                button.setAccessibleName(self.actions_by_key[key].toolTip())
                self.edit_buttons.append(button)
                row.addWidget(button)
            row.addSpacing(12)
        row.addWidget(QLabel(self.tr("Shift by")))
        self.shift_box.setRange(-3600.0, 3600.0)
        self.shift_box.setDecimals(3)
        self.shift_box.setSingleStep(0.1)
        self.shift_box.setValue(0.5)
        self.shift_box.setSuffix(self.tr(" s"))
        self.shift_box.setAccessibleName(self.tr("Shift offset in seconds"))
        row.addWidget(self.shift_box)
        for key in ("shift", "shift_from"):
            button = QToolButton()
            button.setDefaultAction(self.actions_by_key[key])
            button.setAccessibleName(self.actions_by_key[key].toolTip())
            self.edit_buttons.append(button)
            row.addWidget(button)
        row.addStretch(1)
        return row

    def _action_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(10)
        self.retranslate_button.setToolTip(
            self.tr("Translate the selected lines' source text again")
        )
        self.export_button.setObjectName("PrimaryButton")
        self.export_button.setToolTip(
            self.tr("Rewrite the job's subtitle files and video from the edits")
        )
        for button in (self.retranslate_button, self.export_button):
            button.setAccessibleName(button.text())
        self.summary.setObjectName("ReviewSummary")
        row.addWidget(self.retranslate_button)
        row.addWidget(self.summary, 1)
        row.addWidget(self.export_button)
        return row

    def _build_table(self) -> None:
        table = self.table
        table.setModel(self.table_model)
        table.setItemDelegate(RichTextDelegate(RICH_TEXT_ROLE, table))
        table.setObjectName("ReviewTable")
        table.setAccessibleName(self.tr("Subtitle cues"))
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setWordWrap(True)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        table.verticalHeader().hide()
        table.setTextElideMode(Qt.TextElideMode.ElideNone)
        table.setMinimumWidth(420)
        header = table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setHighlightSections(False)
        for column, name in enumerate(COLUMNS):
            if name in COLUMN_WIDTHS:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
                header.resizeSection(column, COLUMN_WIDTHS[name])
            else:
                header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)

    def _connect_signals(self) -> None:
        r = self.review
        r.jobs_listed.connect(self._on_review_jobs_listed)
        r.session_opened.connect(self._on_review_session_opened)
        r.open_failed.connect(self._on_review_open_failed)
        r.cue_edited.connect(self._on_review_cue_edited)
        r.cues_edited.connect(self._on_review_cues_edited)
        r.rows_changed.connect(self._on_review_rows_changed)
        r.undo_stack.indexChanged.connect(self._update_buttons)
        self.filter_combo.currentIndexChanged.connect(self._apply_filter)
        r.edit_refused.connect(self._on_review_edit_refused)
        r.retranslate_finished.connect(self._on_review_retranslate_finished)
        r.export_finished.connect(self._on_review_export_finished)
        r.export_failed.connect(self._on_review_export_failed)
        self.job_combo.currentIndexChanged.connect(self._on_job_combo_current_index_changed)
        self.lang_combo.currentIndexChanged.connect(self._on_lang_combo_current_index_changed)
        self.refresh_button.clicked.connect(self.refresh)
        self.retranslate_button.clicked.connect(self._on_retranslate_button_clicked)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        # Queued, as in the preview: a slot run inside the player's own stop()/pause() could
        # deadlock Qt's FFmpeg playback thread (seen as a hung window in tests).
        self.preview.player.positionChanged.connect(
            self._on_player_position_changed, Qt.ConnectionType.QueuedConnection
        )
        self.table.horizontalHeader().sectionResized.connect(self._fit_rows)
        self.table.installEventFilter(self)
        self.table_model.modelReset.connect(self._fit_rows)
        # The waveform under the player shows the open job's audio and cues (issue 20 part 2).
        self.waveform_link = WaveformLink(self.preview.waveform, self.review)

    # -- the lead's entry points ---------------------------------------------------------------

    def open_job(self, job_id: str, lang: str | None = None) -> None:
        """Show ``job_id`` (in ``lang``, or its first language), asking first about unsaved
        edits of the job open now."""
        if not any(r.id == job_id for r in self._jobs):
            self.review.list_jobs()
        record = next((r for r in self._jobs if r.id == job_id), None)
        if record is None:
            self._show_message(
                self.tr("Job {job} is not a finished job, so it cannot be reviewed.").format(
                    job=job_id
                ),
                "ReviewError",
            )
            return
        self._request_open(job_id, lang or record.spec.targets[0])

    def has_unsaved_changes(self) -> bool:
        """True while an edit could not be saved in the job store (for the window's close
        guard); edits saved but not exported are kept in the store and shown next time."""
        return self.review.unsaved

    def refresh(self) -> None:
        """List the finished jobs again (keeping the open one selected)."""
        self.review.list_jobs()

    # -- picking ---------------------------------------------------------------------------------

    def _on_review_jobs_listed(self, jobs: list[JobRecord]) -> None:
        self._jobs = jobs
        current = self.review.session.record.id if self.review.session else None
        self.job_combo.blockSignals(True)
        self.job_combo.clear()
        for record in jobs:
            when = datetime.fromtimestamp(record.updated).strftime("%d %b %H:%M")
            label = f"{record.spec.input.name}  ·  {', '.join(record.spec.targets)}  ·  {when}"
            self.job_combo.addItem(label, record.id)
        self.job_combo.blockSignals(False)
        if not jobs:
            self._show_message(
                self.tr(
                    "No finished job yet: translate a video on the Jobs page, then review it here."
                ),
                "ReviewHint",
            )
            self._update_buttons()
            return
        if current is not None and self.job_combo.findData(current) >= 0:
            self._select(current, self.review.session.lang if self.review.session else None)
        elif self.review.session is None:
            self._request_open(jobs[0].id, jobs[0].spec.targets[0])

    def _select(self, job_id: str, lang: str | None) -> None:
        """Show ``job_id``/``lang`` in the pickers without reacting to the change."""
        record = next((r for r in self._jobs if r.id == job_id), None)
        for combo in (self.job_combo, self.lang_combo):
            combo.blockSignals(True)
        self.job_combo.setCurrentIndex(self.job_combo.findData(job_id))
        self.lang_combo.clear()
        for target in record.spec.targets if record else []:
            self.lang_combo.addItem(target, target)
        self.lang_combo.setCurrentIndex(max(0, self.lang_combo.findData(lang)))
        for combo in (self.job_combo, self.lang_combo):
            combo.blockSignals(False)

    def _on_job_combo_current_index_changed(self, index: int) -> None:
        job_id = self.job_combo.itemData(index)
        record = next((r for r in self._jobs if r.id == job_id), None)
        if record is not None:
            self._request_open(record.id, record.spec.targets[0])

    def _on_lang_combo_current_index_changed(self, index: int) -> None:
        lang = self.lang_combo.itemData(index)
        if self.review.session is not None and lang:
            self._request_open(self.review.session.record.id, str(lang))

    def _request_open(self, job_id: str, lang: str) -> None:
        session = self.review.session
        if session is not None and (session.record.id, session.lang) == (job_id, lang):
            if not self.review.dirty and self.review.threshold_changed():
                self._open(job_id, lang)  # the doubtful-word setting changed: mark afresh
                return
            self._select(job_id, lang)
            return
        if not self.review.dirty or session is None:
            self._open(job_id, lang)
            return
        self._select(session.record.id, session.lang)  # stay put until answered
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Unsaved edits"),
            self.tr("The edits to {file} ({language}) are not exported. Discard them?").format(
                file=session.record.spec.input.name, language=session.lang
            ),
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.button(QMessageBox.StandardButton.Save).setText(self.tr("Keep them for later"))
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _r, j=job_id, g=lang: self._on_confirm_box_finished(j, g))
        self.confirm_box = box
        box.open()

    def _on_confirm_box_finished(self, job_id: str, lang: str) -> None:
        box, self.confirm_box = self.confirm_box, None
        if box is None:
            return
        box.deleteLater()
        answer = box.standardButton(box.clickedButton())
        if answer == QMessageBox.StandardButton.Discard:
            self.review.discard()
        if answer in (QMessageBox.StandardButton.Discard, QMessageBox.StandardButton.Save):
            self._open(job_id, lang)

    def _open(self, job_id: str, lang: str) -> None:
        if self.review.open(job_id, lang):
            self._select(job_id, lang)

    def _on_review_session_opened(self, session: ReviewSession) -> None:
        self._show_message(
            self.tr(
                "These cues were read back from the subtitle file: their source text is unknown."
            )
            if session.from_file
            else "",
            "ReviewHint",
        )
        if session.notice:
            self._show_message(session.notice, "ReviewError")
        first = int(session.cues[0].start * 1000) + 1 if session.cues else 0
        self.preview.load(session.record.spec.input, first)
        self._show_details(None)
        self._on_player_position_changed(first)
        self._fill_filter()
        self._update_buttons()

    def _on_review_open_failed(self, message: str) -> None:
        self._show_message(message, "ReviewError")

    # -- editing and the preview -----------------------------------------------------------------

    def _on_review_cue_edited(self, row: int) -> None:
        self._on_review_cues_edited(row, 1)

    def _on_review_cues_edited(self, first: int, count: int) -> None:
        """Cues ``first``… (``count`` of them) changed in place: refit just those rows."""
        self._show_message("", "ReviewHint")
        if first <= self.table.currentIndex().row() < first + count:
            self._show_details(self.table.currentIndex().row())
        self._fit_rows(range(first, first + count))
        self._on_player_position_changed(self.preview.player.position())
        self._fill_filter()
        self._update_buttons()

    def _on_review_rows_changed(self, first: int) -> None:
        """Cues were added or removed from ``first`` on (the model was reset): show that row."""
        self._show_message("", "ReviewHint")
        self._fill_filter()
        session = self.review.session
        if session is not None and session.cues:
            row = min(first, len(session.cues) - 1)
            self.table.setRowHidden(row, False)
            self.table.selectRow(row)
            self.table.setCurrentIndex(self.table_model.index(row, COLUMNS.index("Translation")))
        self._on_player_position_changed(self.preview.player.position())
        self._update_buttons()

    # -- editing as in a subtitle editor -----------------------------------------------------------

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

    # -- the flag filter -------------------------------------------------------------------------

    def _fill_filter(self) -> None:
        """The filter's choices with their counts now (the choice made is kept)."""
        session = self.review.session
        chosen = self.filter_combo.currentData()
        counts = flag_counts(session) if session else {}
        flagged = sum(1 for c in session.cues if c.flags) if session else 0
        self.filter_combo.blockSignals(True)
        self.filter_combo.clear()
        self.filter_combo.addItem(self.tr("All cues"), ALL)
        self.filter_combo.addItem(self.tr("Any flag ({count})").format(count=flagged), ANY)
        for flag, count in counts.items():
            self.filter_combo.addItem(f"{flag_name(flag)} ({count})", flag)
        index = self.filter_combo.findData(chosen if chosen is not None else ALL)
        self.filter_combo.setCurrentIndex(max(0, index))
        self.filter_combo.blockSignals(False)
        self._apply_filter(keep_current=True)

    def _apply_filter(self, *_args: object, keep_current: bool = False) -> None:
        """Hide the cues the filter leaves out (after an edit the current cue stays, so an
        edit that fixes it does not whisk it away)."""
        session = self.review.session
        chosen = self.filter_combo.currentData() or ALL
        current = self.current_row() if keep_current else None
        for row, cue in enumerate(session.cues if session else []):
            shown = chosen == ALL or (bool(cue.flags) if chosen == ANY else chosen in cue.flags)
            self.table.setRowHidden(row, not shown and row != current)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Fit the rows again once a resized table has laid out its stretched columns."""
        if watched is self.table and event.type() == QEvent.Type.Resize:
            QTimer.singleShot(0, self._fit_rows)
        return super().eventFilter(watched, event)

    def _fit_rows(self, rows: object = None, *_args: object) -> None:
        """Make each row (of ``rows``, a range; all of them otherwise) tall enough for its
        wrapped text (the style sheet's item padding is not in Qt's own size hint, so it
        would cut the last line off)."""
        metrics = self.table.fontMetrics()
        header = self.table.horizontalHeader()
        across, down = CELL_PADDING
        flags = int(Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextWordWrap)
        chosen = rows if isinstance(rows, range) else range(self.table_model.row_count())
        for row in chosen:
            tallest = metrics.height()
            for column in range(len(COLUMNS)):
                width = header.sectionSize(column) - across - TEXT_MARGINS
                bounds = QRect(0, 0, max(1, width), 10_000)
                text = self.table_model.cell(row, column)
                tallest = max(tallest, metrics.boundingRect(bounds, flags, text).height())
            self.table.setRowHeight(row, tallest + down)

    def _on_review_edit_refused(self, _row: int, message: str) -> None:
        self._show_message(message, "ReviewError")

    def _on_table_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        session = self.review.session
        if session is None or not current.isValid():
            return
        position = int(session.cues[current.row()].start * 1000) + 1
        self.preview.seek(position)
        self._on_player_position_changed(position)
        self._show_details(current.row())

    def _show_details(self, row: int | None) -> None:
        """The current cue's source and the rules it breaks, under the preview."""
        session = self.review.session
        if session is None or row is None or not 0 <= row < len(session.cues):
            self.preview.details.setText("")
            return
        cue = session.cues[row]
        heard = self.tr("Cue {number}, heard: {source}")
        lines = [heard.format(number=row + 1, source=cue.source or self.tr("unknown"))]
        if tooltip := self.table_model.flag_tooltip(row):
            lines.append(tooltip.split(": ", 1)[1].capitalize())
        self.preview.details.setText("\n".join(lines))

    def _on_player_position_changed(self, position_ms: int) -> None:
        session = self.review.session
        row = session.row_at(position_ms / 1000) if session else None
        self.preview.set_caption(session.cues[row].text if session and row is not None else "")

    # -- actions -------------------------------------------------------------------------------

    def selected_rows(self) -> list[int]:
        """The rows selected in the table, in order."""
        return sorted({i.row() for i in self.table.selectionModel().selectedRows()})

    @asyncSlot()
    async def _on_retranslate_button_clicked(self) -> None:
        rows = self.selected_rows()
        self._update_buttons(busy=True)
        self._show_message(
            self.tr("Re-translating {count} line(s)…").format(count=len(rows)), "ReviewHint"
        )
        await self.review.retranslate(rows)

    def _on_review_retranslate_finished(self, result: RetranslateResult) -> None:
        self._show_message(result.message, "ReviewResult" if result.ok else "ReviewError")
        self._update_buttons()

    @asyncSlot()
    async def _on_export_button_clicked(self) -> None:
        self._update_buttons(busy=True)
        self._show_message(self.tr("Exporting…"), "ReviewHint")
        await self.review.export()

    def _on_review_export_finished(self, result: ExportResult) -> None:
        names = ", ".join(p.name for p in result.written)
        text = self.tr("Exported {count} file(s): {names}.").format(
            count=len(result.written), names=names
        )
        self._show_message(" ".join([text, *result.notes]), "ReviewResult")
        self._update_buttons()

    def _on_review_export_failed(self, message: str) -> None:
        self._show_message(message, "ReviewError")
        self._update_buttons()

    def _show_message(self, text: str, kind: str) -> None:
        self.message.setObjectName(kind)
        self.message.setText(text)
        self.message.setVisible(bool(text))
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)

    def _update_buttons(self, *_args: object, busy: bool | None = None) -> None:
        session = self.review.session
        busy = self.review.busy if busy is None else busy
        self.export_button.setEnabled(session is not None and not busy)
        for key, action in self.actions_by_key.items():
            if key not in ("undo", "redo", "play"):
                action.setEnabled(session is not None and not busy)
        self.retranslate_button.setEnabled(
            session is not None and not busy and bool(self.selected_rows())
        )
        if session is None:
            self.summary.setText("")
            return
        flagged = sum(1 for c in session.cues if c.flags)
        kinds = ", ".join(f"{flag_name(f)} {n}" for f, n in flag_counts(session).items())
        parts = [
            self.tr("Cues: {count}").format(count=len(session.cues)),
            self.tr("flagged: {count}").format(count=flagged) + (f" ({kinds})" if kinds else ""),
        ]
        if session.save_error:
            parts.append(self.tr("unsaved edits"))
        elif session.dirty:
            parts.append(self.tr("edits saved, not exported"))
        self.summary.setText("  ·  ".join(parts))
