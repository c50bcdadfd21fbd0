"""The Jobs page's options card: the shared job options form plus what only this page asks,
the target and spoken languages, transcript-only, bilingual lines and the dub."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy

from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.model import checked_targets
from vt_desktop.core.languages import UnknownLanguage, language_name, parse_language
from vt_desktop.ui.common.job_options import JobOptionsForm, field_label, select
from vt_desktop.ui.common.language_field import LanguageField, split_entries

SOURCES = ("en", "de", "es", "fr", "it", "pt", "ru", "uk", "pl", "nl", "ja", "zh", "ko", "ar")


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
    if not codes:
        raise ValueError(
            QCoreApplication.translate(
                "JobsView", "Give at least one target language, e.g. pt or de."
            )
        )
    return checked_targets(codes)


class JobOptionsCard(JobOptionsForm):
    """The options a job dropped on the Jobs page gets: the languages in the form's two free
    columns, the page's switches beside burn-in and the dub below the folder."""

    #: A translation model the user asked to download (for a target that lacks one).
    download_requested = Signal(str)

    def __init__(self, ui_language: str) -> None:
        super().__init__(leading_columns=2)
        self.setObjectName("Card")
        self.targets = LanguageField(ui_language)
        # Shown when a target cannot be translated: fetches the model that would serve it.
        self.get_model = QPushButton()
        self.get_model.setAccessibleName(self.tr("Download the model a target language needs"))
        self.get_model.hide()
        self.targets_error = QLabel()
        self.targets_error.setObjectName("FieldError")
        self.source = QComboBox()
        self.bilingual = QCheckBox(self.tr("Bilingual lines"))
        self.transcribe = QCheckBox(self.tr("Transcript only"))
        self.dub = QCheckBox(self.tr("Dubbed voice"))
        self.dub_mode = QComboBox()
        self._add_languages()
        self._add_switches()
        self._connect_own_signals()

    def _add_languages(self) -> None:
        grid = self.grid
        grid.setContentsMargins(14, 10, 14, 12)
        self.targets.setPlaceholderText(self.tr("e.g. Portuguese, de"))
        self.targets.setToolTip(
            self.tr(
                "Languages by name or code, separated by commas: type to search, or open the "
                "list. ✓ marks those the workers can translate into now."
            )
        )
        self.source.addItem(self.tr("Auto-detect"), None)
        for code in SOURCES:
            self.source.addItem(language_name(code, self.targets.ui_language), code)
        fields = (
            (self.tr("Translate into"), self.targets, self.tr("Target languages")),
            (self.tr("Spoken language"), self.source, self.tr("Spoken language")),
        )
        for column, (label, widget, name) in enumerate(fields):
            grid.addWidget(field_label(label), 0, column)
            grid.addWidget(widget, 1, column)
            widget.setAccessibleName(name)
            widget.setMinimumWidth(110)
            widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.targets_error.setWordWrap(True)
        self.targets_error.hide()
        grid.addWidget(self.targets_error, 2, 0, 1, 4)
        ways = QHBoxLayout()
        ways.setSpacing(10)
        ways.addWidget(self.targets.ways, 1)
        ways.addWidget(self.get_model, 0, Qt.AlignmentFlag.AlignTop)
        grid.addLayout(ways, 2, 0, 1, 4)
        grid.setRowMinimumHeight(2, 8)

    def _add_switches(self) -> None:
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
        self.extras.insertWidget(0, self.transcribe)
        self.extras.insertWidget(2, self.bilingual)
        voice = QHBoxLayout()
        voice.setSpacing(8)
        voice.addWidget(self.dub)
        voice.addWidget(self.dub_mode)
        voice.addStretch(1)
        self.grid.addLayout(voice, 6, 0, 1, 2)

    def _connect_own_signals(self) -> None:
        self.targets.editingFinished.connect(self._on_field_edited)
        self.targets.ways_changed.connect(self._on_targets_ways_changed)
        self.get_model.clicked.connect(self._on_get_model_clicked)
        for combo in (self.source, self.dub_mode):
            combo.currentIndexChanged.connect(self._on_field_edited)
        self.dub.toggled.connect(self.dub_mode.setEnabled)
        for box in (self.bilingual, self.dub, self.transcribe):
            box.toggled.connect(self._on_field_edited)

    def load(self, settings: AppSettings) -> None:
        """Show ``settings``' options, the languages and switches too (without telling
        ``edited``)."""
        blocked = self.blockSignals(True)
        try:
            super().load(settings)
            self.targets.setText(", ".join(settings.targets))
            select(self.source, settings.source_language)
            self.bilingual.setChecked(settings.bilingual)
            self.transcribe.setChecked(settings.transcribe)
            self.targets.setEnabled(not settings.transcribe)
            self.targets.ways.setVisible(not settings.transcribe)
            self.dub.setChecked(settings.dub)
            select(self.dub_mode, settings.dub_mode)
            self.dub_mode.setEnabled(settings.dub)
            self.targets.set_source(settings.source_language, settings.engine)
        finally:
            self.blockSignals(blocked)

    def checked_values(self, kept_targets: list[str]) -> dict[str, Any] | None:
        """The ``AppSettings`` values the card holds, or ``None`` (and the reason shown under
        the targets) when the target languages are wrong. A transcript needs no target: then
        the field is kept as typed and ``kept_targets`` stand."""
        transcribe = self.transcribe.isChecked()
        self.targets.setEnabled(not transcribe)
        self.targets.set_source(self.source.currentData(), self.engine.currentData())
        try:
            targets = parse_targets(self.targets.text(), self.targets.ui_language)
        except ValueError as exc:
            if not transcribe:
                self.targets_error.setText(str(exc))
                self.targets_error.show()
                self.targets.ways.hide()
                self.get_model.hide()
                return None
            targets = list(kept_targets)
        self.targets_error.hide()
        self.targets.ways.setVisible(not transcribe)
        self._on_targets_ways_changed()
        return {
            "targets": targets,
            "source_language": self.source.currentData(),
            **self.values(),
            "bilingual": self.bilingual.isChecked(),
            "transcribe": transcribe,
            "dub": self.dub.isChecked(),
            "dub_mode": self.dub_mode.currentData(),
        }

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
