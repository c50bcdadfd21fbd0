"""What a job is: one input file, its target languages and the outputs wanted."""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from vt_desktop.core.jobs.options import DEFAULT_FORMATS, OutputFormat

__all__ = [
    "DEFAULT_FORMATS",
    "MAX_TARGETS",
    "JobRecord",
    "JobSpec",
    "JobState",
    "OutputFormat",
    "checked_targets",
    "validation_message",
]
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


#: The most target languages one job takes.
MAX_TARGETS = 20


def checked_targets(codes: Iterable[str]) -> list[str]:
    """Target languages as a job keeps them: trimmed, each once, in the order given.

    Raises:
        ValueError: one is not a language code (the message names it), or more than
            ``MAX_TARGETS`` languages.
    """
    out: list[str] = []
    for lang in codes:
        code = lang.strip()
        if not _LANG.match(code):
            raise ValueError(f"'{lang}' is not a language code (use e.g. de, pt, pt-BR)")
        if code not in out:
            out.append(code)
    if len(out) > MAX_TARGETS:
        raise ValueError(f"{len(out)} target languages; one job takes at most {MAX_TARGETS}")
    return out


def validation_message(exc: ValidationError) -> str:
    """The first error of a pydantic validation (of a job, of settings) as one plain sentence."""
    first = exc.errors()[0]
    return str(first.get("msg", exc)).removeprefix("Value error, ")


class JobState(StrEnum):
    """Where a job is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """True for states a job does not leave by itself."""
        return self in {JobState.DONE, JobState.FAILED, JobState.CANCELLED}


class JobSpec(BaseModel):
    """Everything the pipeline needs to know to run one job."""

    model_config = ConfigDict(extra="forbid")

    input: Path
    #: The languages to write subtitles in. Empty for a transcript-only job until its spoken
    #: language is known (the runner then sets it: see ``JobStore.set_targets``).
    targets: list[str] = Field(default_factory=list)
    out_dir: Path
    source_language: str | None = None
    model: str | None = None
    engine: str | None = None
    formats: list[OutputFormat] = Field(default_factory=lambda: list(DEFAULT_FORMATS))
    burn_in: bool = False
    bilingual: bool = False
    audio_stream: int | None = None
    #: FLAC by default: lossless, where Opus at speech bit rates costs the recogniser words
    #: (README, Benchmarks); a FLAC segment too big for one call falls back to Opus.
    segment_codec: Literal["opus", "flac"] = "flac"
    #: Subtitle rules chosen in the settings; ``None`` keeps the target language's default
    #: (jobs stored before these fields existed load with ``None``).
    max_chars_per_line: int | None = Field(default=None, ge=4, le=200)
    max_lines: int | None = Field(default=None, ge=1, le=6)
    max_chars_per_second: float | None = Field(default=None, gt=0, le=100)
    #: Dubbing: a translated voice track per target language (``duck`` keeps the original
    #: 12 dB lower under the voice, ``replace`` drops it). ``dub_voices`` maps ``"pt"`` or
    #: ``"pt:SPEAKER"`` to ``"engine"`` or ``"engine:voice"`` (vt_desktop.core.dubbing.voices).
    dub: bool = False
    dub_mode: Literal["duck", "replace"] = "duck"
    dub_voices: dict[str, str] = Field(default_factory=dict, max_length=100)
    #: A transcript only: subtitles in the spoken language, nothing translated.
    transcribe: bool = False

    @field_validator("targets")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        return checked_targets(value)

    @model_validator(mode="after")
    def _something_to_write(self) -> JobSpec:
        if not self.transcribe and not self.targets:
            raise ValueError("give at least one target language, or ask for a transcript only")
        return self

    def rule_overrides(self) -> dict[str, int | float]:
        """The subtitle rules this job overrides, as ``rules_for`` keyword arguments."""
        values = {
            "max_chars_per_line": self.max_chars_per_line,
            "max_lines": self.max_lines,
            "max_chars_per_second": self.max_chars_per_second,
        }
        return {name: value for name, value in values.items() if value is not None}


class JobRecord(BaseModel):
    """A job as the store keeps it."""

    id: str
    spec: JobSpec
    state: JobState
    stage: str = ""
    progress: float = 0.0
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)
    outputs: list[str] = Field(default_factory=list)
    created: float
    updated: float
