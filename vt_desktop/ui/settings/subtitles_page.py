"""The Settings dialog's Subtitles tab: the layout rules (line length, lines, reading speed;
each may follow the language's default) and the doubt threshold Review highlights words under."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDoubleSpinBox, QSpinBox

from vt_desktop.core.config import AppSettings
from vt_desktop.ui.settings.fields import FieldErrors
from vt_desktop.ui.settings.pages import FormPage, default_spin, note, spin_value


class SubtitlesPage(FormPage):
    """How subtitles are laid out, and which words Review calls doubtful."""

    def __init__(self, settings: AppSettings, errors: FieldErrors, index: int) -> None:
        super().__init__(errors, index)
        s = settings
        form = self.form
        self.line_length = default_spin(
            4, 200, s.subtitle_max_chars_per_line, self.tr(" characters")
        )
        self.max_lines = default_spin(1, 6, s.subtitle_max_lines, self.tr(" lines"))
        self.max_cps = QDoubleSpinBox()
        self.max_cps.setRange(0.0, 100.0)
        self.max_cps.setDecimals(1)
        self.max_cps.setSingleStep(0.5)
        self.max_cps.setSpecialValueText(self.tr("Language default"))
        self.max_cps.setSuffix(self.tr(" characters/s"))
        self.max_cps.setValue(s.subtitle_max_chars_per_second or 0.0)
        add = self.add
        add(self.tr("Line length:"), self.line_length, "subtitle_max_chars_per_line")
        add(self.tr("Lines per subtitle:"), self.max_lines, "subtitle_max_lines")
        add(self.tr("Reading speed:"), self.max_cps, "subtitle_max_chars_per_second")
        form.addRow(
            "",
            note(
                self.tr(
                    "Language defaults follow broadcast style guides: 42 characters per line (16 "
                    "for Chinese, Japanese and Korean), 2 lines, 17 characters per second (20 for "
                    "English)."
                )
            ),
        )
        self.doubt = QSpinBox()
        self.doubt.setRange(1, 99)
        self.doubt.setSuffix(self.tr(" % sure"))
        self.doubt.setValue(round(s.review_doubt_threshold * 100))
        add(self.tr("Doubtful words under:"), self.doubt, "review_doubt_threshold")
        form.addRow(
            "",
            note(
                self.tr(
                    "Review highlights each word the recogniser was less sure of than this, "
                    "and flags its line."
                )
            ),
        )
        for wide in (self.line_length, self.max_lines, self.max_cps):
            wide.setMaximumWidth(260)
        self.doubt.setMaximumWidth(160)

    def values(self) -> dict[str, Any]:
        """The layout rules and the doubt threshold the page holds."""
        return {
            "subtitle_max_chars_per_line": spin_value(self.line_length),
            "subtitle_max_lines": spin_value(self.max_lines),
            "subtitle_max_chars_per_second": round(self.max_cps.value(), 1) or None,
            "review_doubt_threshold": self.doubt.value() / 100,
        }
