"""The Review page: a finished job's subtitles in an editable table beside a video preview.

Pick a done job and one of its languages; flagged cues are tinted, with the broken rules in
their tooltip. Source, translation, start and end are edited in place (a refused edit says why
above the table and changes nothing; a translation whose source was edited is flagged stale).
The preview (:mod:`.preview`) shows the source video with the current cue over it; clicking a
row seeks to its cue. Export writes the job's subtitle files, soft-subtitle video and dub from
the edits. Switching job or language with unsaved edits asks first. Editing as in a subtitle
editor (:mod:`.editing`, shortcuts in :mod:`vt_desktop.ui.shortcuts`): each change is saved in
the job store as it is made, so nothing is lost if the window closes before Export. The Flags
column names what may be wrong with each cue, the filter shows only the cues with a given flag,
the status line counts each kind. Lines are redone one by one (:mod:`.redo_bar`).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QToolButton,
    QWidget,
)

from vt_desktop.core.jobs.model import JobRecord
from vt_desktop.core.review import ReviewSession
from vt_desktop.ui.common.slots import asyncSlot
from vt_desktop.ui.common.widgets import page_layout
from vt_desktop.ui.review.columns import COLUMNS, flag_counts, flag_name
from vt_desktop.ui.review.cues_model import CuesTableModel
from vt_desktop.ui.review.picking import ReviewPicking
from vt_desktop.ui.review.preview import VideoPreview
from vt_desktop.ui.review.redo_bar import RedoBar
from vt_desktop.ui.review.table import ALL, ANY, CuesTable
from vt_desktop.ui.review.view_model import ReviewViewModel
from vt_desktop.ui.review.waveform_link import WaveformLink
from vt_desktop.ui.view_model import RuntimeViewModel

if TYPE_CHECKING:  # the export's PyAV loads on first use
    from vt_desktop.core.review import ExportResult, RetranslateResult

log = logging.getLogger(__name__)
TABLE_SHARE = 0.66  # of the splitter, at first: both text columns show their headers


class ReviewView(ReviewPicking):
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
        self.table = CuesTable(self.table_model)
        self.preview = VideoPreview()
        self.retranslate_button = QPushButton(self.tr("Re-translate selected"))
        self.export_button = QPushButton(self.tr("Export"))
        self.redo_bar = RedoBar()
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
        layout = page_layout(
            self,
            self.tr("Review"),
            self.tr(
                "Check a finished job's subtitles beside its video: edit what was said, its "
                "translation or a time in place, redo single lines, then export."
            ),
            spacing=12,
        )
        layout.addLayout(self._picker_row())
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Review message"))
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        layout.addWidget(self.message)
        layout.addWidget(self._edit_row())
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([round(1000 * TABLE_SHARE), round(1000 * (1 - TABLE_SHARE))])
        self.splitter = splitter
        layout.addWidget(splitter, 1)
        layout.addWidget(self.redo_bar)
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
        self.redo_bar.lead_with(self.retranslate_button)
        row.addWidget(self.summary, 1)
        row.addWidget(self.export_button)
        return row

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
        r.redo_finished.connect(self._on_review_redo_finished)
        r.export_finished.connect(self._on_review_export_finished)
        r.export_failed.connect(self._on_review_export_failed)
        self.job_combo.currentIndexChanged.connect(self._on_job_combo_current_index_changed)
        self.lang_combo.currentIndexChanged.connect(self._on_lang_combo_current_index_changed)
        self.refresh_button.clicked.connect(self.refresh)
        self.retranslate_button.clicked.connect(self._on_retranslate_button_clicked)
        self.redo_bar.stale_button.clicked.connect(self._on_stale_button_clicked)
        self.redo_bar.recognise_button.clicked.connect(self._on_recognise_button_clicked)
        self.redo_bar.redub_button.clicked.connect(self._on_redub_button_clicked)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        # Queued, as in the preview: a slot run inside the player's own stop()/pause() could
        # deadlock Qt's FFmpeg playback thread (seen as a hung window in tests).
        self.preview.player.positionChanged.connect(
            self._on_player_position_changed, Qt.ConnectionType.QueuedConnection
        )
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
        self.table.fit_rows(range(first, first + count))
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
        chosen = self.filter_combo.currentData() or ALL
        keep = self.current_row() if keep_current else None
        self.table.apply_filter(self.review.session, chosen, keep)

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

    def _busy_with(self, text: str) -> None:
        self._update_buttons(busy=True)
        self._show_message(text, "ReviewHint")

    @asyncSlot()
    async def _on_retranslate_button_clicked(self) -> None:
        rows = self.selected_rows()
        self._busy_with(self.tr("Re-translating {count} line(s)…").format(count=len(rows)))
        await self.review.retranslate(rows)

    @asyncSlot()
    async def _on_stale_button_clicked(self) -> None:
        rows = self.review.stale_rows()
        self._busy_with(self.tr("Re-translating {count} line(s)…").format(count=len(rows)))
        await self.review.retranslate(rows)

    @asyncSlot()
    async def _on_recognise_button_clicked(self) -> None:
        rows, model = self.selected_rows(), self.redo_bar.model()
        text = self.tr("Recognising {count} line(s) again with {model}…")
        self._busy_with(text.format(count=len(rows), model=model))
        await self.review.rerecognise(rows, model)

    @asyncSlot()
    async def _on_redub_button_clicked(self) -> None:
        rows = self.selected_rows()
        self._busy_with(self.tr("Speaking {count} line(s) again…").format(count=len(rows)))
        await self.review.redub(rows)

    def _on_review_redo_finished(self, result: RetranslateResult) -> None:
        self._show_message(result.message, "ReviewResult" if result.ok else "ReviewError")
        self._update_buttons()

    @asyncSlot()
    async def _on_export_button_clicked(self) -> None:
        self._busy_with(self.tr("Exporting…"))
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

    def _update_buttons(self, *_args: object, busy: bool | None = None) -> None:
        session = self.review.session
        busy = self.review.busy if busy is None else busy
        self.export_button.setEnabled(session is not None and not busy)
        for key, action in self.actions_by_key.items():
            if key not in ("undo", "redo", "play"):
                action.setEnabled(session is not None and not busy)
        selected = bool(self.selected_rows())
        self.retranslate_button.setEnabled(session is not None and not busy and selected)
        stale = len(self.review.stale_rows())
        self.redo_bar.set_stale(stale)
        self.redo_bar.stale_button.setEnabled(not busy and stale > 0)
        self.redo_bar.update_for(session, busy, selected)
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
