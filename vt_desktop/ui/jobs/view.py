"""The Jobs page: drop or pick files, choose a new job's options, watch and steer the queue.

A drop (or "Add files…") checks every file off the event loop; a refused one is named with
its reason in a banner on the page and queues nothing. The options card is remembered in the
settings file the moment it changes. Each job is a row with its stage, a progress bar, an
ETA and buttons for what can be done to it now; a finished job says so in the page and, where
the desktop has a tray, in a desktop notification.

The page's pieces live beside it: ``drop_zone``, ``options_card`` (the shared job options form
plus this page's languages), ``queue_table`` (rows and their buttons) and ``notices``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDragLeaveEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QWidget

from vt_desktop.core.jobs.model import JobState
from vt_desktop.core.pipeline import PipelineEvent
from vt_desktop.ui import i18n
from vt_desktop.ui.common.slots import asyncSlot
from vt_desktop.ui.common.widgets import page_layout
from vt_desktop.ui.jobs.drop_zone import DropZone
from vt_desktop.ui.jobs.notices import JobNotices
from vt_desktop.ui.jobs.options_card import JobOptionsCard
from vt_desktop.ui.jobs.queue_table import JobsTable, actions_for
from vt_desktop.ui.jobs.view_model import JobsViewModel, QueueState


class JobsView(QWidget):
    """The Jobs page."""

    review_requested = Signal(str)  # job_id: the user asked to review a finished job
    download_requested = Signal(str)  # a translation model the user asked to download

    def __init__(self, view_model: JobsViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self.setAcceptDrops(True)
        self._vm = view_model
        self.notices = JobNotices(self)
        self.banner = self.notices.banner
        self.notice = self.notices.notice
        self.drop_zone = DropZone()
        self.queue_label = QLabel()
        self.queue_label.setObjectName("Muted")
        self.options = JobOptionsCard(i18n.resolve(view_model.settings.ui_language))
        self._name_option_fields()
        self.table = JobsTable()
        self.table_model = self.table.table_model
        self._build()
        self.options.load(view_model.settings)
        self._connect_signals()
        for record in view_model.jobs():
            self._show_job(record.id)
        self._on_view_model_queue_state_changed(view_model.queue_state)

    def _name_option_fields(self) -> None:
        """The options card's fields, by the names the page has always given them."""
        card = self.options
        self.targets = card.targets
        self.targets_error = card.targets_error
        self.get_model = card.get_model
        self.source = card.source
        self.engine = card.engine
        self.model = card.model
        self.output = card.folder.line
        self.formats = card.formats
        self.burn_in = card.burn_in
        self.bilingual = card.bilingual
        self.transcribe = card.transcribe
        self.dub = card.dub
        self.dub_mode = card.dub_mode

    def _build(self) -> None:
        layout = page_layout(
            self,
            self.tr("Jobs"),
            self.tr(
                "Drop videos to get translated subtitles. Jobs run in order and resume "
                "where they stopped after a restart."
            ),
            spacing=12,
        )
        layout.addWidget(self.banner)
        layout.addWidget(self.notice)
        layout.addWidget(self.drop_zone)
        layout.addWidget(self.options)
        queue_row = QHBoxLayout()
        title = QLabel(self.tr("Queue"))
        title.setObjectName("SectionTitle")
        queue_row.addWidget(title, 0, Qt.AlignmentFlag.AlignBottom)
        queue_row.addStretch(1)
        queue_row.addWidget(self.queue_label, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(queue_row)
        layout.addWidget(self.table, 1)

    def _connect_signals(self) -> None:
        vm = self._vm
        vm.job_added.connect(self._on_view_model_job_added)
        vm.job_changed.connect(self._on_view_model_job_changed)
        vm.job_progressed.connect(self._on_view_model_job_progressed)
        vm.job_finished.connect(self._on_view_model_job_finished)
        vm.job_removed.connect(self._on_view_model_job_removed)
        vm.drop_refused.connect(self._on_view_model_drop_refused)
        vm.action_failed.connect(self._on_view_model_action_failed)
        vm.queue_state_changed.connect(self._on_view_model_queue_state_changed)
        self.drop_zone.add_button.clicked.connect(self._on_add_button_clicked)
        self.options.edited.connect(self._on_options_edited)
        self.options.download_requested.connect(self.download_requested)
        self.targets.refresh_wanted.connect(self._on_targets_refresh_wanted)
        self.table.action_requested.connect(self._on_table_action_requested)

    # -- options ------------------------------------------------------------------------------

    def _save_options(self) -> bool:
        """Check the options and remember them; False (and the reason shown) when invalid."""
        values = self.options.checked_values(list(self._vm.settings.targets))
        return values is not None and self._vm.save_options(**values)

    def _on_options_edited(self) -> None:
        self._save_options()

    def _on_output_reset_clicked(self) -> None:
        self.options.folder.clear()

    @asyncSlot()
    async def _on_targets_refresh_wanted(self) -> None:
        """Mark the target languages by what the live workers translate (asked again)."""
        engines = await self._vm.translation_engines()
        if engines is not None:
            self.targets.set_engines(engines)

    # -- intake -------------------------------------------------------------------------------

    def _on_add_button_clicked(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self,
            self.tr("Add files to translate"),
            "",
            self.tr("Video and audio")
            + " (*.mp4 *.mkv *.mov *.webm *.avi *.m4v *.mp3 *.wav *.flac *.m4a"
            + " *.ogg *.opus *.aac);;"
            + self.tr("All files")
            + " (*)",
        )
        if files:
            self.add_paths([Path(f) for f in files])

    @asyncSlot()
    async def add_paths(self, paths: list[Path]) -> None:
        """Queue ``paths`` with the options shown (refused ones are named in the banner)."""
        self.banner.clear()
        if not self._save_options():
            self.notices.refused_all(self.targets_error.text())
            return
        if (reason := await self._vm.untranslatable()) is not None:
            self.notices.refused_all(f"{reason}.")
            return
        await self._vm.add_files(paths)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 (Qt override)
        """Accept local files being dragged in, and highlight the drop zone."""
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
            self.drop_zone.set_hovered(True)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:  # noqa: N802 (Qt override)
        """The drag went elsewhere."""
        self.drop_zone.set_hovered(False)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 (Qt override)
        """Queue the dropped files (each is checked; folders and other types are refused)."""
        self.drop_zone.set_hovered(False)
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    # -- the queue ----------------------------------------------------------------------------

    def _show_job(self, job_id: str) -> None:
        record = self._vm.record(job_id)
        if record is not None and self.table.put(record):
            gaps = record.state is JobState.DONE and self._vm.has_gaps(job_id)
            self.table.set_actions(job_id, actions_for(record.state, has_gaps=gaps))

    def row_buttons(self, job_id: str) -> dict[str, QPushButton]:
        """The buttons now in a job's row, by action (their English label)."""
        return self.table.row_buttons(job_id)

    def _on_table_action_requested(self, action: str, job_id: str) -> None:
        if action == "Open folder":
            self.open_output_folder(job_id)
            return
        if action == "Review":
            self.review_requested.emit(job_id)
            return
        method = {
            "Cancel": self._vm.cancel,
            "Pause": self._vm.pause,
            "Resume": self._vm.unpause,
            "Retry": self._vm.retry,
            "Retry gaps": self._vm.retry,
            "Remove": self._vm.remove,
        }[action]
        method(job_id)

    def open_output_folder(self, job_id: str) -> bool:
        """Show a job's output folder in the file manager; False (and why) when it cannot."""
        row = self.table_model.row(job_id)
        if row is None:
            return False
        if not row.out_dir.is_dir():
            self.notices.problem(
                self.tr("The output folder {folder} does not exist any more.").format(
                    folder=row.out_dir
                )
            )
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(row.out_dir)))

    def _on_view_model_job_added(self, job_id: str) -> None:
        self._show_job(job_id)
        self.table.scroll_to_job(job_id)

    def _on_view_model_job_changed(self, job_id: str) -> None:
        self._show_job(job_id)

    def _on_view_model_job_progressed(
        self, job_id: str, progress: float, event: PipelineEvent
    ) -> None:
        self.table.progress(job_id, progress, event)

    def _on_view_model_job_finished(self, job_id: str, state: str) -> None:
        row = self.table_model.row(job_id)
        if row is None:
            return
        record = self._vm.record(job_id)
        files = len(record.outputs) if record is not None else 0
        self.notices.job_finished(row, state, files)

    def _on_view_model_job_removed(self, job_id: str) -> None:
        self.table.drop(job_id)

    def _on_view_model_drop_refused(self, _path: str, reason: str) -> None:
        self.notices.refused(reason)

    def _on_view_model_action_failed(self, message: str) -> None:
        self.notices.problem(message)

    def _on_view_model_queue_state_changed(self, state: str) -> None:
        self.table_model.set_queue_running(state == QueueState.RUNNING)
        if state == QueueState.RUNNING:
            self._on_targets_refresh_wanted()
        elif state != QueueState.STARTING:
            self.targets.set_engines(None)
        self.queue_label.setText(
            {
                QueueState.OFFLINE: self.tr("Workers are not running: new jobs wait here."),
                QueueState.STARTING: self.tr(
                    "Starting workers… queued jobs start when they are ready."
                ),
                QueueState.RUNNING: self.tr("Running: one job at a time, in order."),
                QueueState.FAILED: self.tr("Workers did not start (see Workers): jobs wait here."),
            }.get(state, state)
        )
