"""Subtitle rules: how much text a cue may hold and how long it stays on screen.

The defaults follow broadcast and streaming style guides (BBC, Netflix): 42 characters per
line (16 full-width characters for Chinese, Japanese and Korean), at most two lines, between
0.833 s and 7 s on screen, at most 17 characters per second (20 for English) and at least two
frames (83 ms) between cues.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vt_desktop.core.subtitles.text import base_language, is_spaceless

__all__ = ["SubtitleRules", "rules_for"]


class SubtitleRules(BaseModel):
    """Limits that every cue should meet; a cue that cannot is flagged, never dropped.

    Attributes:
        language: The language of the text laid out under these rules (informational).
        max_chars_per_line: Line width limit, in characters (full-width units when
            ``wide_units``).
        max_lines: Lines per cue.
        min_duration_s: Shortest time on screen.
        max_duration_s: Longest time on screen.
        max_chars_per_second: Reading speed limit; counts every character of the lines,
            spaces included, line breaks excluded.
        min_gap_s: Shortest pause between one cue and the next.
        wide_units: Measure line width in full-width units: a CJK character counts 1 and a
            narrow (Latin) character 0.5. Otherwise a wide character counts 2.
        spaceless: The language is written without spaces, so lines may break between any
            two characters (zh, ja, th).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    language: str = ""
    max_chars_per_line: int = Field(42, ge=4, le=200)
    max_lines: int = Field(2, ge=1, le=6)
    min_duration_s: float = Field(0.833, gt=0, le=60)
    max_duration_s: float = Field(7.0, gt=0, le=600)
    max_chars_per_second: float = Field(17.0, gt=0)
    min_gap_s: float = Field(0.083, ge=0, le=5)
    wide_units: bool = False
    spaceless: bool = False

    @model_validator(mode="after")
    def _durations_are_ordered(self) -> SubtitleRules:
        if self.min_duration_s > self.max_duration_s:
            raise ValueError(
                f"min_duration_s ({self.min_duration_s}) is longer than "
                f"max_duration_s ({self.max_duration_s})"
            )
        return self


_PRESETS: dict[str, dict[str, Any]] = {
    "en": {"max_chars_per_second": 20.0},
    # Netflix timed-text guides: 16 full-width characters per line; reading speeds per language.
    "zh": {"max_chars_per_line": 16, "wide_units": True, "max_chars_per_second": 9.0},
    "yue": {"max_chars_per_line": 16, "wide_units": True, "max_chars_per_second": 9.0},
    "ja": {"max_chars_per_line": 16, "wide_units": True, "max_chars_per_second": 4.0},
    "ko": {"max_chars_per_line": 16, "wide_units": True, "max_chars_per_second": 12.0},
}


def rules_for(language: str | None, **overrides: Any) -> SubtitleRules:
    """The subtitle rules for a language, with optional per-field overrides.

    Args:
        language: A language code such as ``"en"``, ``"pt-BR"`` or ``"zh"``; ``None`` or an
            unknown code gives the defaults.
        **overrides: Fields of :class:`SubtitleRules` to replace (``max_lines=1``).

    Returns:
        The rules.

    Raises:
        pydantic.ValidationError: An override has a bad name or value.
    """
    base = base_language(language)
    fields: dict[str, Any] = {"language": base, "spaceless": is_spaceless(base)}
    fields.update(_PRESETS.get(base, {}))
    fields.update(overrides)
    return SubtitleRules(**fields)
