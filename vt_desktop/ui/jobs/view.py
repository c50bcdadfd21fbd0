"""The Jobs page: drop or pick files, choose a new job's options, watch and steer the queue.

A drop (or "Add files…") checks every file off the event loop; a refused one is named with
its reason in a banner on the page and queues nothing. The options row is remembered in the
settings file the moment it changes. Each job is a row with its stage, a progress bar, an
ETA and buttons for what can be done to it now; a finished job says so in the page and, where
the desktop has a tray, in a desktop notification.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pydantic import ValidationError
from PySide6.QtCore import QCoreApplication, Qt, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDropEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSystemTrayIcon,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from vt_desktop.core.jobs.model import JobSpec, JobState, OutputFormat
from vt_desktop.core.jobs.options import ENGINE_NAMES, OUTPUT_FORMATS, SPEECH_MODELS
from vt_desktop.core.languages import UnknownLanguage, language_name, parse_language
from vt_desktop.core.pipeline import PipelineEvent
from vt_desktop.ui import i18n, resources
from vt_desktop.ui.common.language_field import LanguageField, split_entries
from vt_desktop.ui.common.slots import asyncSlot
from vt_desktop.ui.common.widgets import Banner, PageHeader, prepare_table
from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP
from vt_desktop.ui.jobs.table import (
    COLUMN_WIDTHS,
    COLUMNS,
    JobRow,
    JobsTableModel,
    ProgressDelegate,
)
from vt_desktop.ui.jobs.view_model import JobsViewModel, QueueState, validation_message

ACTIONS: dict[JobState, tuple[str, ...]] = {
    JobState.QUEUED: ("Cancel",),
    JobState.RUNNING: ("Pause", "Cancel"),
    JobState.PAUSED: ("Resume", "Cancel"),
    JobState.DONE: ("Review", "Open folder", "Remove"),
    JobState.FAILED: ("Retry", "Remove"),
    JobState.CANCELLED: ("Retry", "Remove"),
}
#: What the page calls each engine of ``ENGINE_NAMES``.
ENGINE_LABELS = {
    "bergamot": QT_TRANSLATE_NOOP("JobsView", "Bergamot (en↔pt)"),
    "ct2": QT_TRANSLATE_NOOP("JobsView", "CTranslate2"),
    "llm": QT_TRANSLATE_NOOP("JobsView", "LLM endpoint"),
    "whisper": QT_TRANSLATE_NOOP("JobsView", "Whisper (to English)"),
}
ENGINES = (
    (QT_TRANSLATE_NOOP("JobsView", "Automatic"), None),
    *((ENGINE_LABELS[name], name) for name in ENGINE_NAMES),
)
SOURCES = ("en", "de", "es", "fr", "it", "pt", "ru", "uk", "pl", "nl", "ja", "zh", "ko", "ar")
FORMATS: tuple[OutputFormat, ...] = OUTPUT_FORMATS


def parse_targets(text: str, ui_language: str = "en") -> list[str]:
    """Language tags from ``"pt, de"`` or names ("German, Brazilian Portuguese", "Немецкий"),
    separated by commas (tags by spaces too), checked by the job's own rules.

    Raises:
        ValueError: empty, or a word that is no language (the message says which).
    """
    codes: list[str] = []
    for entry in split_entries(text):
        try:
            codes.append(parse_language(entry, ui_language))
        except UnknownLanguage:
            raise ValueError(
                QCoreApplication.translate(
                    "JobsView", "{entry} is not a language code or a language name known here."
                ).format(entry=repr(entry))
            ) from None
    try:
        return JobSpec(input=Path("x"), targets=codes, out_dir=Path(".")).targets
    except ValidationError as exc:
        if not codes:
            raise ValueError(
                QCoreApplication.translate(
                    "JobsView", "Give at least one target language, e.g. pt or de."
                )
            ) from exc
        raise ValueError(validation_message(exc)) from exc


class DropZone(QFrame):
    """The dashed box that invites a drop, with the "Add files…" button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DropZone")
        self.setProperty("hovered", False)
        row = QHBoxLayout(self)
        row.setContentsMargins(18, 12, 14, 12)
        row.setSpacing(12)
        icon = QLabel()
        icon.setPixmap(resources.icon("jobs").pixmap(26, 26))
        text = QVBoxLayout()
        text.setSpacing(0)
        self.title = QLabel(self.tr("Drop videos or audio files here"))
        self.title.setObjectName("DropTitle")
        self.hint = QLabel(
            self.tr("MP4, MKV, MOV, WebM, MP3, WAV, FLAC… Each file becomes one job.")
        )
        self.hint.setObjectName("Muted")
        text.addWidget(self.title)
        text.addWidget(self.hint)
        self.add_button = QPushButton(self.tr("Add files…"))
        self.add_button.setObjectName("PrimaryButton")
        self.add_button.setAccessibleName(self.tr("Add files"))
        row.addWidget(icon)
        row.addLayout(text, 1)
        row.addWidget(self.add_button)

    def set_hovered(self, hovered: bool) -> None:
        """Highlight while files are dragged over the page."""
        self.setProperty("hovered", hovered)
        self.style().unpolish(self)
        self.style().polish(self)


class JobsView(QWidget):
    """The Jobs page."""

    review_requested = Signal(str)  # job_id: the user asked to review a finished job
    download_requested = Signal(str)  # a translation model the user asked to download

    def __init__(self, view_model: JobsViewModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Page")
        self.setAcceptDrops(True)
        self._vm = view_model
        self.banner = Banner(self.tr("Dismiss"))
        self.notice = Banner(self.tr("Dismiss"))
        self.notice.setObjectName("Notice")
        self.drop_zone = DropZone()
        self.queue_label = QLabel()
        self.queue_label.setObjectName("Muted")
        self.targets = LanguageField(i18n.resolve(view_model.settings.ui_language))
        #: Shown when a target cannot be translated: fetches the model that would serve it.
        self.get_model = QPushButton()
        self.get_model.setAccessibleName(self.tr("Download the model a target language needs"))
        self.get_model.hide()
        self.targets_error = QLabel()
        self.targets_error.setObjectName("FieldError")
        self.source = QComboBox()
        self.engine = QComboBox()
        self.model = QComboBox()
        self.output = QLineEdit()
        self.output_button = QPushButton(self.tr("Choose…"))
        self.output_reset = QPushButton("✕")
        self.formats = {fmt: QCheckBox(fmt.upper()) for fmt in FORMATS}
        self.burn_in = QCheckBox(self.tr("Burn into a video copy"))
        self.bilingual = QCheckBox(self.tr("Bilingual lines"))
        self.transcribe = QCheckBox(self.tr("Transcript only"))
        self.dub = QCheckBox(self.tr("Dubbed voice"))
        self.dub_mode = QComboBox()
        self.table_model = JobsTableModel(self)
        self.table = QTableView()
        self.tray: QSystemTrayIcon | None = None
        self._row_states: dict[str, JobState] = {}
        self._build()
        self._load_options()
        self._connect_signals()
        for record in view_model.jobs():
            self._show_job(record.id)
        self._on_view_model_queue_state_changed(view_model.queue_state)

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 24, 28, 20)
        layout.setSpacing(12)
        layout.addWidget(
            PageHeader(
                self.tr("Jobs"),
                self.tr(
                    "Drop videos to get translated subtitles. Jobs run in order and resume "
                    "where they stopped after a restart."
                ),
            )
        )
        layout.addWidget(self.banner)
        layout.addWidget(self.notice)
        layout.addWidget(self.drop_zone)
        layout.addWidget(self._options_card())
        queue_row = QHBoxLayout()
        title = QLabel(self.tr("Queue"))
        title.setObjectName("SectionTitle")
        queue_row.addWidget(title, 0, Qt.AlignmentFlag.AlignBottom)
        queue_row.addStretch(1)
        queue_row.addWidget(self.queue_label, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(queue_row)
        self._build_table()
        layout.addWidget(self.table, 1)

    def _options_card(self) -> QFrame:
        card = QFrame()
        card.setObjectName("Card")
        grid = QGridLayout(card)
        grid.setContentsMargins(14, 10, 14, 12)
        grid.setHorizontalSpacing(14)
        grid.setVerticalSpacing(4)
        self.targets.setPlaceholderText(self.tr("e.g. Portuguese, de"))
        self.targets.setAccessibleName(self.tr("Target languages"))
        self.targets.setToolTip(
            self.tr(
                "Languages by name or code, separated by commas: type to search, or open the "
                "list. ✓ marks those the workers can translate into now."
            )
        )
        self.source.addItem(self.tr("Auto-detect"), None)
        for code in SOURCES:
            self.source.addItem(language_name(code, self.targets.ui_language), code)
        for text, engine in ENGINES:
            self.engine.addItem(QCoreApplication.translate("JobsView", text), engine)
        self.model.addItem(self.tr("Automatic"), None)
        for name in SPEECH_MODELS:
            self.model.addItem(name, name)
        self.output.setReadOnly(True)
        self.output.setPlaceholderText(self.tr("Beside each input file"))
        fields = (
            (self.tr("Translate into"), self.targets, self.tr("Target languages")),
            (self.tr("Spoken language"), self.source, self.tr("Spoken language")),
            (self.tr("Engine"), self.engine, self.tr("Translation engine")),
            (self.tr("Speech model"), self.model, self.tr("Speech model")),
        )
        for column, (label, widget, name) in enumerate(fields):
            grid.addWidget(self._field_label(label), 0, column)
            grid.addWidget(widget, 1, column)
            widget.setAccessibleName(name)
            widget.setMinimumWidth(110)
            widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
            grid.setColumnStretch(column, 1)
        self.targets_error.setWordWrap(True)
        self.targets_error.hide()
        grid.addWidget(self.targets_error, 2, 0, 1, 4)
        ways = QHBoxLayout()
        ways.setSpacing(10)
        ways.addWidget(self.targets.ways, 1)
        ways.addWidget(self.get_model, 0, Qt.AlignmentFlag.AlignTop)
        grid.addLayout(ways, 2, 0, 1, 4)
        grid.setRowMinimumHeight(2, 8)
        grid.addWidget(self._field_label(self.tr("Save to")), 3, 0, 1, 2)
        grid.addWidget(self._field_label(self.tr("Write")), 3, 2, 1, 2)
        grid.addLayout(self._output_row(), 4, 0, 1, 2)
        grid.addLayout(self._formats_row(), 4, 2, 1, 2)
        extras = QHBoxLayout()
        extras.setSpacing(14)
        extras.addWidget(self.transcribe)
        extras.addWidget(self.burn_in)
        extras.addWidget(self.bilingual)
        extras.addStretch(1)
        grid.addLayout(extras, 5, 2, 1, 2)
        voice = QHBoxLayout()
        voice.setSpacing(8)
        voice.addWidget(self.dub)
        voice.addWidget(self.dub_mode)
        voice.addStretch(1)
        grid.addLayout(voice, 5, 0, 1, 2)
        for column in range(4):
            grid.setColumnMinimumWidth(column, 150)
        return card

    @staticmethod
    def _field_label(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("FieldLabel")
        return label

    def _output_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)
        self.output.setAccessibleName(self.tr("Output folder"))
        self.output.setMinimumWidth(120)
        self.output_button.setAccessibleName(self.tr("Choose output folder"))
        self.output_reset.setAccessibleName(self.tr("Write beside the input"))
        self.output_reset.setToolTip(
            self.tr("Write each job's outputs beside its input file again")
        )
        self.output_reset.setObjectName("RowButton")
        row.addWidget(self.output, 1)
        row.addWidget(self.output_button)
        row.addWidget(self.output_reset)
        return row

    def _formats_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(10)
        for fmt, box in self.formats.items():
            box.setAccessibleName(self.tr("Write {format}").format(format=fmt))
            row.addWidget(box)
        self.burn_in.setToolTip(
            self.tr("Also write a copy of the video with the first language burned in")
        )
        self.bilingual.setToolTip(self.tr("Show the original line above each translated one"))
        self.transcribe.setToolTip(
            self.tr("Subtitles in the spoken language only; nothing is translated")
        )
        self.dub.setToolTip(
            self.tr("Also speak each translated line: a voice track per language, in sync")
        )
        self.dub_mode.addItem(self.tr("over the original"), "duck")
        self.dub_mode.addItem(self.tr("voice only"), "replace")
        self.dub_mode.setAccessibleName(self.tr("Dub mode"))
        self.dub_mode.setToolTip(
            self.tr(
                "Over the original: it plays 12 dB lower under the voice. "
                "Voice only: it is left out."
            )
        )
        row.addStretch(1)
        return row

    def _build_table(self) -> None:
        table = self.table
        table.setModel(self.table_model)
        prepare_table(
            table,
            self.tr("Jobs table"),
            row_height=40,
            widths=COLUMN_WIDTHS,
            stretch=COLUMNS.index("File"),
            min_section=56,
        )
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setItemDelegateForColumn(COLUMNS.index("Progress"), ProgressDelegate(table))

    # -- options ------------------------------------------------------------------------------

    def _load_options(self) -> None:
        s = self._vm.settings
        self.targets.setText(", ".join(s.targets))
        _select(self.source, s.source_language)
        _select(self.engine, s.engine)
        _select(self.model, s.asr_model)
        self.output.setText(str(s.output_dir) if s.output_dir else "")
        self.output_reset.setVisible(s.output_dir is not None)
        for fmt, box in self.formats.items():
            box.setChecked(fmt in s.output_formats)
        self.burn_in.setChecked(s.burn_in)
        self.bilingual.setChecked(s.bilingual)
        self.transcribe.setChecked(s.transcribe)
        self.targets.setEnabled(not s.transcribe)
        self.targets.ways.setVisible(not s.transcribe)
        self.dub.setChecked(s.dub)
        _select(self.dub_mode, s.dub_mode)
        self.dub_mode.setEnabled(s.dub)
        self.targets.set_source(s.source_language, s.engine)

    def _save_options(self) -> bool:
        """Check the options and remember them; False (and the reason shown) when invalid."""
        transcribe = self.transcribe.isChecked()
        self.targets.setEnabled(not transcribe)
        self.targets.set_source(self.source.currentData(), self.engine.currentData())
        try:
            targets = parse_targets(self.targets.text(), self.targets.ui_language)
        except ValueError as exc:
            if not transcribe:  # a transcript needs no target: the field is kept as typed
                self.targets_error.setText(str(exc))
                self.targets_error.show()
                self.targets.ways.hide()
                self.get_model.hide()
                return False
            targets = list(self._vm.settings.targets)
        self.targets_error.hide()
        self.targets.ways.setVisible(not transcribe)
        self._on_targets_ways_changed()
        formats = [fmt for fmt, box in self.formats.items() if box.isChecked()]
        output = self.output.text().strip()
        self.output_reset.setVisible(bool(output))
        return self._vm.save_options(
            targets=targets,
            source_language=self.source.currentData(),
            engine=self.engine.currentData(),
            asr_model=self.model.currentData(),
            output_dir=Path(output) if output else None,
            output_formats=formats,
            burn_in=self.burn_in.isChecked(),
            bilingual=self.bilingual.isChecked(),
            transcribe=transcribe,
            dub=self.dub.isChecked(),
            dub_mode=self.dub_mode.currentData(),
        )

    def _on_targets_ways_changed(self) -> None:
        entry = self.targets.wanted_download()
        self.get_model.setVisible(entry is not None and not self.transcribe.isChecked())
        if entry is not None:
            self.get_model.setText(
                self.tr("Download {name} (≈ {size} MB)").format(
                    name=entry.name, size=entry.download_mb
                )
            )
            self.get_model.setProperty("model", entry.name)

    def _on_get_model_clicked(self) -> None:
        if (name := self.get_model.property("model")) is not None:
            self.download_requested.emit(str(name))

    def _on_option_changed(self, *_args: object) -> None:
        self._save_options()

    def _on_output_button_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, self.tr("Save outputs to"), self.output.text()
        )
        if folder:
            self.output.setText(folder)
            self._save_options()

    def _on_output_reset_clicked(self) -> None:
        self.output.clear()
        self._save_options()

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
            self._refuse_all(self.targets_error.text())
            return
        if (reason := await self._vm.untranslatable()) is not None:
            self._refuse_all(f"{reason}.")
            return
        await self._vm.add_files(paths)

    def _refuse_all(self, reason: str) -> None:
        """Say in the banner that nothing was queued, and why."""
        self.banner.show_message(
            self.tr(
                "Nothing was queued: {reason} Fix the target languages and drop the files again."
            ).format(reason=reason)
        )

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
        self.banner.action_clicked.connect(self.banner.clear)
        self.notice.action_clicked.connect(self.notice.clear)
        self.targets.editingFinished.connect(self._on_option_changed)
        self.targets.refresh_wanted.connect(self._on_targets_refresh_wanted)
        self.targets.ways_changed.connect(self._on_targets_ways_changed)
        self.get_model.clicked.connect(self._on_get_model_clicked)
        for combo in (self.source, self.engine, self.model, self.dub_mode):
            combo.currentIndexChanged.connect(self._on_option_changed)
        self.dub.toggled.connect(self.dub_mode.setEnabled)
        for box in (*self.formats.values(), self.burn_in, self.bilingual, self.dub,
                    self.transcribe):  # fmt: skip
            box.toggled.connect(self._on_option_changed)
        self.output_button.clicked.connect(self._on_output_button_clicked)
        self.output_reset.clicked.connect(self._on_output_reset_clicked)

    def _show_job(self, job_id: str) -> None:
        record = self._vm.record(job_id)
        if record is None:
            return
        old = self.table_model.row(job_id)
        row = JobRow.of(record)
        if old is not None and not record.state.finished:
            row = replace(row, eta_s=old.eta_s, message=old.message)
        self.table_model.put(row)
        if self._row_states.get(job_id) is not record.state:
            self._row_states[job_id] = record.state
            self._set_row_actions(job_id, record.state)

    def _set_row_actions(self, job_id: str, state: JobState) -> None:
        number = self.table_model.number(job_id)
        if number is None:
            return
        box = QWidget()
        box.setObjectName("RowActions")
        row = QHBoxLayout(box)
        row.setContentsMargins(4, 4, 4, 4)
        row.setSpacing(6)
        for label in self._actions_for(job_id, state):
            text, name = self._action_texts()[label]
            button = QPushButton(text)
            button.setObjectName("RowButton")
            button.setProperty("action", label)
            button.setAccessibleName(name)
            button.clicked.connect(lambda _c=False, a=label, j=job_id: self._on_row_action(a, j))
            row.addWidget(button)
        row.addStretch(1)
        self.table.setIndexWidget(self.table_model.index(number, COLUMNS.index("Actions")), box)

    def _actions_for(self, job_id: str, state: JobState) -> tuple[str, ...]:
        """A row's actions; a done job that left gaps offers to recognise them again."""
        if state is JobState.DONE and self._vm.has_gaps(job_id):
            return ("Review", "Retry gaps", "Open folder", "Remove")
        return ACTIONS[state]

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
        box = self.table.indexWidget(self.table_model.index(number, COLUMNS.index("Actions")))
        if box is None:
            return {}
        return {str(b.property("action")): b for b in box.findChildren(QPushButton)}

    def _on_row_action(self, action: str, job_id: str) -> None:
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
            self.banner.show_message(
                self.tr("The output folder {folder} does not exist any more.").format(
                    folder=row.out_dir
                )
            )
            return False
        return QDesktopServices.openUrl(QUrl.fromLocalFile(str(row.out_dir)))

    def _on_view_model_job_added(self, job_id: str) -> None:
        self._show_job(job_id)
        if (number := self.table_model.number(job_id)) is not None:
            self.table.scrollTo(self.table_model.index(number, 0))

    def _on_view_model_job_changed(self, job_id: str) -> None:
        self._show_job(job_id)

    def _on_view_model_job_progressed(
        self, job_id: str, progress: float, event: PipelineEvent
    ) -> None:
        row = self.table_model.row(job_id)
        if row is None or row.state.finished:
            return
        message = event.message or row.message
        self.table_model.put(
            replace(row, stage=event.stage, progress=progress, eta_s=event.eta_s, message=message)
        )

    def _on_view_model_job_finished(self, job_id: str, state: str) -> None:
        row = self.table_model.row(job_id)
        if row is None:
            return
        if state == JobState.FAILED.value:
            text = self.tr("{file} failed: {reason}").format(
                file=row.file, reason=row.error or self.tr("no reason was given")
            )
            self.banner.show_message(text)
        elif state == JobState.DONE.value:
            record = self._vm.record(job_id)
            files = len(record.outputs) if record is not None else 0
            text = self.tr(
                "{file} is translated ({languages}): {count} file(s) in {folder}"
            ).format(file=row.file, languages=row.languages, count=files, folder=row.out_dir)
            self.notice.show_message(text)
        else:
            text = self.tr("{file} was cancelled; its partial outputs were removed.").format(
                file=row.file
            )
            self.notice.show_message(text)
        self._notify(state, text)

    def _notify(self, state: str, text: str) -> None:
        """A desktop notification where the desktop has a tray (the page shows it anyway)."""
        if state == JobState.CANCELLED.value or not QSystemTrayIcon.isSystemTrayAvailable():
            return
        if self.tray is None:
            self.tray = QSystemTrayIcon(resources.app_icon(), self)
            self.tray.show()
        icon = (
            QSystemTrayIcon.MessageIcon.Critical
            if state == JobState.FAILED.value
            else QSystemTrayIcon.MessageIcon.Information
        )
        title = self.tr("Job failed") if state == JobState.FAILED.value else self.tr("Job done")
        self.tray.showMessage(title, text, icon, 8000)

    def _on_view_model_job_removed(self, job_id: str) -> None:
        self._row_states.pop(job_id, None)
        self.table_model.drop(job_id)

    def _on_view_model_drop_refused(self, path: str, reason: str) -> None:
        shown = self.banner.message.text() if self.banner.isVisible() else ""
        lines = [line for line in shown.split("\n") if line]
        self.banner.show_message("\n".join([*lines, reason]))

    def _on_view_model_action_failed(self, message: str) -> None:
        self.banner.show_message(message)

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

    @asyncSlot()
    async def _on_targets_refresh_wanted(self) -> None:
        """Mark the target languages by what the live workers translate (asked again)."""
        engines = await self._vm.translation_engines()
        if engines is not None:
            self.targets.set_engines(engines)


def _select(combo: QComboBox, value: str | None) -> None:
    """Show ``value`` in ``combo``, adding it when it is not one of the choices."""
    index = combo.findData(value)
    if index < 0:
        combo.addItem(str(value), value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)
