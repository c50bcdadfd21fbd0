"""The Jobs page's queue: the jobs table with, in each row, buttons for what can be done to that
job now (cancel, pause, review, retry…)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QPushButton, QTableView, QWidget

from vt_desktop.core.jobs.model import JobRecord, JobState
from vt_desktop.core.pipeline import PipelineEvent
from vt_desktop.ui.common.widgets import prepare_table
from vt_desktop.ui.jobs.table import (
    COLUMN_WIDTHS,
    COLUMNS,
    JobRow,
    JobsTableModel,
    ProgressDelegate,
)

ACTIONS: dict[JobState, tuple[str, ...]] = {
    JobState.QUEUED: ("Cancel",),
    JobState.RUNNING: ("Pause", "Cancel"),
    JobState.PAUSED: ("Resume", "Cancel"),
    JobState.DONE: ("Review", "Open folder", "Remove"),
    JobState.FAILED: ("Retry", "Remove"),
    JobState.CANCELLED: ("Retry", "Remove"),
}


def actions_for(state: JobState, *, has_gaps: bool = False) -> tuple[str, ...]:
    """A row's actions; a done job that left gaps offers to recognise them again."""
    if state is JobState.DONE and has_gaps:
        return ("Review", "Retry gaps", "Open folder", "Remove")
    return ACTIONS[state]


class JobsTable(QTableView):
    """One row per job (``table_model``); its Actions cell holds a button per action."""

    #: A row's button was pressed: the action (its English label), the job's id.
    action_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table_model = JobsTableModel(self)
        self.setModel(self.table_model)
        prepare_table(
            self,
            self.tr("Jobs table"),
            row_height=40,
            widths=COLUMN_WIDTHS,
            stretch=COLUMNS.index("File"),
            min_section=56,
        )
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setItemDelegateForColumn(COLUMNS.index("Progress"), ProgressDelegate(self))
        self._row_states: dict[str, JobState] = {}

    def put(self, record: JobRecord) -> bool:
        """Show ``record`` (a running job keeps its last ETA and message); True when its state
        is new to the table, so its buttons must change."""
        old = self.table_model.row(record.id)
        row = JobRow.of(record)
        if old is not None and not record.state.finished:
            row = replace(row, eta_s=old.eta_s, message=old.message)
        self.table_model.put(row)
        if self._row_states.get(record.id) is record.state:
            return False
        self._row_states[record.id] = record.state
        return True

    def progress(self, job_id: str, progress: float, event: PipelineEvent) -> None:
        """Move a running job's row on (a finished one stays as it is)."""
        row = self.table_model.row(job_id)
        if row is None or row.state.finished:
            return
        message = event.message or row.message
        self.table_model.put(
            replace(row, stage=event.stage, progress=progress, eta_s=event.eta_s, message=message)
        )

    def drop(self, job_id: str) -> None:
        """Remove a job's row."""
        self._row_states.pop(job_id, None)
        self.table_model.drop(job_id)

    def scroll_to_job(self, job_id: str) -> None:
        """Bring a job's row into view."""
        if (number := self.table_model.number(job_id)) is not None:
            self.scrollTo(self.table_model.index(number, 0))

    def set_actions(self, job_id: str, actions: tuple[str, ...]) -> None:
        """Put a button for each of ``actions`` (English labels) in a job's row."""
        number = self.table_model.number(job_id)
        if number is None:
            return
        box = QWidget()
        box.setObjectName("RowActions")
        row = QHBoxLayout(box)
        row.setContentsMargins(4, 4, 4, 4)
        row.setSpacing(6)
        texts = self._action_texts()
        for label in actions:
            text, name = texts[label]
            button = QPushButton(text)
            button.setObjectName("RowButton")
            button.setProperty("action", label)
            button.setAccessibleName(name)
            button.clicked.connect(
                lambda _c=False, a=label, j=job_id: self.action_requested.emit(a, j)
            )
            row.addWidget(button)
        row.addStretch(1)
        self.setIndexWidget(self.table_model.index(number, COLUMNS.index("Actions")), box)

    def _action_texts(self) -> dict[str, tuple[str, str]]:
        """Each row action's button text and accessible name, in the window's language."""
        return {
            "Cancel": (self.tr("Cancel"), self.tr("Cancel job")),
            "Pause": (self.tr("Pause"), self.tr("Pause job")),
            "Resume": (self.tr("Resume"), self.tr("Resume job")),
            "Review": (self.tr("Review"), self.tr("Review job")),
            "Open folder": (self.tr("Open folder"), self.tr("Open folder job")),
            "Retry": (self.tr("Retry"), self.tr("Retry job")),
            "Retry gaps": (self.tr("Retry gaps"), self.tr("Recognise the job's gaps again")),
            "Remove": (self.tr("Remove"), self.tr("Remove job")),
        }

    def row_buttons(self, job_id: str) -> dict[str, QPushButton]:
        """The buttons now in a job's row, by action (their English label)."""
        number = self.table_model.number(job_id)
        if number is None:
            return {}
        box = self.indexWidget(self.table_model.index(number, COLUMNS.index("Actions")))
        if box is None:
            return {}
        return {str(b.property("action")): b for b in box.findChildren(QPushButton)}
