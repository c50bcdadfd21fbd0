"""The Jobs page's table: one row per job with its stage, a progress bar, ETA and status.

Rows are updated in place (never a model reset), so the buttons the page puts in each row,
the selection and the scroll position survive every progress event.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from vt_desktop.core.jobs.model import JobRecord, JobState
from vt_desktop.ui import theme
from vt_desktop.ui.common.table_model import ColumnsTableModel
from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP

COLUMNS = (
    QT_TRANSLATE_NOOP("JobsTableModel", "File"),
    QT_TRANSLATE_NOOP("JobsTableModel", "Languages"),
    QT_TRANSLATE_NOOP("JobsTableModel", "Stage"),
    QT_TRANSLATE_NOOP("JobsTableModel", "Progress"),
    QT_TRANSLATE_NOOP("JobsTableModel", "ETA"),
    QT_TRANSLATE_NOOP("JobsTableModel", "Status"),
    QT_TRANSLATE_NOOP("JobsTableModel", "Actions"),
)
COLUMN_WIDTHS = (0, 96, 100, 116, 56, 120, 262)  # File takes the rest
STAGE_NAMES = {
    "intake": QT_TRANSLATE_NOOP("JobsTableModel", "Checking"),
    "plan": QT_TRANSLATE_NOOP("JobsTableModel", "Finding speech"),
    "recognise": QT_TRANSLATE_NOOP("JobsTableModel", "Recognising"),
    "translate": QT_TRANSLATE_NOOP("JobsTableModel", "Translating"),
    "write": QT_TRANSLATE_NOOP("JobsTableModel", "Writing"),
}
#: A job's state in the Status cell.
STATE_NAMES = {
    JobState.QUEUED: QT_TRANSLATE_NOOP("JobsTableModel", "Queued"),
    JobState.RUNNING: QT_TRANSLATE_NOOP("JobsTableModel", "Running"),
    JobState.PAUSED: QT_TRANSLATE_NOOP("JobsTableModel", "Paused"),
    JobState.DONE: QT_TRANSLATE_NOOP("JobsTableModel", "Done"),
    JobState.FAILED: QT_TRANSLATE_NOOP("JobsTableModel", "Failed"),
    JobState.CANCELLED: QT_TRANSLATE_NOOP("JobsTableModel", "Cancelled"),
}
STATE_COLOURS = {
    JobState.DONE: "#15803d",
    JobState.FAILED: "#b91c1c",
    JobState.CANCELLED: "#6b7280",
    JobState.PAUSED: "#b45309",
    JobState.RUNNING: "#2563eb",
    JobState.QUEUED: "#6b7280",
}
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2
_Index = QModelIndex | QPersistentModelIndex


def _tr(text: str) -> str:
    """A text marked for the ``JobsTableModel`` context, in the window's language."""
    return QCoreApplication.translate("JobsTableModel", text)


def format_eta(seconds: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss``) left, or an em dash when unknown."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


@dataclass(frozen=True)
class JobRow:
    """One row of the jobs table."""

    job_id: str
    file: str
    languages: str
    stage: str
    progress: float
    eta_s: float | None
    state: JobState
    error: str | None
    out_dir: Path
    message: str = ""
    warnings: tuple[str, ...] = ()

    @classmethod
    def of(cls, rec: JobRecord) -> JobRow:
        """The row for a stored job."""
        return cls(
            rec.id,
            rec.spec.input.name,
            ", ".join(rec.spec.targets) if not rec.spec.transcribe else transcript_label(rec),
            rec.stage,
            rec.progress,
            None,
            rec.state,
            rec.error,
            rec.spec.out_dir,
            warnings=tuple(rec.warnings),
        )

    def status(self, queue_running: bool) -> str:
        """The Status cell."""
        if self.state is JobState.QUEUED and not queue_running:
            return QCoreApplication.translate("JobsTableModel", "Waiting for workers")
        if self.state is JobState.DONE and len(self.warnings) == 1:
            return QCoreApplication.translate("JobsTableModel", "Done (1 warning)")
        if self.state is JobState.DONE and self.warnings:
            done = QCoreApplication.translate("JobsTableModel", "Done ({count} warnings)")
            return done.format(count=len(self.warnings))
        return _tr(STATE_NAMES[self.state])

    def cells(self, queue_running: bool) -> tuple[str, ...]:
        """The row's cells in ``COLUMNS`` order (the Actions cell holds buttons, not text)."""
        hide_stage = self.state in {JobState.QUEUED, JobState.DONE} or not self.stage
        return (
            self.file,
            self.languages,
            "—" if hide_stage else _tr(STAGE_NAMES.get(self.stage, self.stage)),
            f"{self.progress * 100:.0f} %",
            format_eta(self.eta_s if self.state is JobState.RUNNING else None),
            self.status(queue_running),
            "",
        )

    def tooltip(self) -> str:
        """What the Status cell explains when hovered: the error, the warnings, the last step."""
        if self.state is JobState.FAILED and self.error:
            return self.error
        if self.warnings:
            return "\n".join(self.warnings)
        return self.message or _tr(STATE_NAMES[self.state]).lower()


class JobsTableModel(ColumnsTableModel):
    """The queue, one row per job, updated in place so buttons and selection survive."""

    columns = COLUMNS
    title_context = "JobsTableModel"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[JobRow] = []
        self.queue_running = False

    def row_count(self) -> int:
        """One row per job."""
        return len(self._rows)

    def number(self, job_id: str) -> int | None:
        """Where a job's row is, or None."""
        return next((i for i, r in enumerate(self._rows) if r.job_id == job_id), None)

    def row(self, job_id: str) -> JobRow | None:
        """A job's row, or None."""
        number = self.number(job_id)
        return None if number is None else self._rows[number]

    def put(self, row: JobRow) -> None:
        """Add the row, or replace the one of the same job."""
        number = self.number(row.job_id)
        if number is None:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
            self._rows.append(row)
            self.endInsertRows()
        elif row != self._rows[number]:
            self._rows[number] = row
            self.dataChanged.emit(self.index(number, 0), self.index(number, len(COLUMNS) - 1))

    def drop(self, job_id: str) -> None:
        """Remove a job's row."""
        if (number := self.number(job_id)) is not None:
            self.beginRemoveRows(QModelIndex(), number, number)
            del self._rows[number]
            self.endRemoveRows()

    def set_queue_running(self, running: bool) -> None:
        """Queued jobs say "Waiting for workers" until the queue runs."""
        self.queue_running = running
        if self._rows:
            status = COLUMNS.index("Status")
            self.dataChanged.emit(self.index(0, status), self.index(len(self._rows) - 1, status))

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Qt override: text, progress for the delegate, state colours and tooltips."""
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.cells(self.queue_running)[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and column in {"Status", "Stage"}:
            return row.tooltip()
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.cells(self.queue_running)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and column == "Status":
            return theme.colour(STATE_COLOURS[row.state])
        return {PROGRESS_ROLE: row.progress, STATE_ROLE: row.state}.get(role)


class ProgressDelegate(QStyledItemDelegate):
    """Draws the Progress cell as a slim bar with the percentage beside it."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        """Qt override."""
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        fraction = max(0.0, min(1.0, float(index.data(PROGRESS_ROLE) or 0.0)))
        state = index.data(STATE_ROLE)
        rect = QRectF(opt.rect).adjusted(8, 0, -8, 0)
        bar = QRectF(rect.left(), rect.center().y() - 3, rect.width() - 44, 6)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.colour("#e5e7eb"))
        painter.drawRoundedRect(bar, 3, 3)
        painter.setBrush(theme.colour(STATE_COLOURS.get(state, "#2563eb")))
        painter.drawRoundedRect(QRectF(bar.left(), bar.top(), bar.width() * fraction, 6), 3, 3)
        painter.setPen(theme.colour("#4b5563"))
        text = QRectF(bar.right() + 6, opt.rect.top(), 38, opt.rect.height())
        painter.drawText(text, Qt.AlignmentFlag.AlignVCenter, f"{fraction * 100:.0f}%")
        painter.restore()


def transcript_label(rec: JobRecord) -> str:
    """What a transcript-only job writes: its spoken language once known."""
    into = QCoreApplication.translate("JobsTableModel", "transcript")
    return f"{into} ({', '.join(rec.spec.targets)})" if rec.spec.targets else into
