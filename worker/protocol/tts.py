"""Declarations of the ``tts`` service: speak one line of dubbing, fitted to its time slot.

A ``tts.synthesize`` call carries one line of text and its slot: ``target_s`` (how long the
line should last: its cue) and ``max_s`` (the hard limit: up to just before the next cue). The
worker speaks it, measures the real audio, speeds it up (pitch kept: the engine speaks faster)
by at most ``max_rate``, and if it still runs past ``max_s`` shortens the pauses inside it.
The audio comes back as base64 of a FLAC file with leading and trailing silence trimmed, so
its first sample is the onset of speech and the caller can place it exactly at the cue.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from worker.protocol.methods import Method
from worker.protocol.mt import EngineName, LanguageCode

#: Longest line (characters) one call may speak; a subtitle cue holds far less.
MAX_TEXT_CHARS = 400
#: Longest slot (seconds) a line may be fitted to.
MAX_SLOT_S = 60.0
#: The most a line may be sped up (the default keeps speech natural).
DEFAULT_MAX_RATE = 1.3

VoiceName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class SynthesizeParams(BaseModel):
    """Speak ``text`` in ``language``, fitted into ``target_s`` (at most ``max_s``) seconds.

    ``engine`` absent means the worker's choice for the language (Hibari for English when it
    is installed, else espeak-ng). ``voice`` empty means the engine's voice for the language.
    Without ``target_s`` the line is spoken at its natural pace.
    """

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_CHARS)]
    language: LanguageCode
    engine: EngineName | None = None
    voice: VoiceName = ""
    target_s: float | None = Field(default=None, gt=0.0, le=MAX_SLOT_S)
    max_s: float | None = Field(default=None, gt=0.0, le=MAX_SLOT_S)
    max_rate: float = Field(default=DEFAULT_MAX_RATE, ge=1.0, le=2.0)

    @model_validator(mode="after")
    def _slot_is_ordered(self) -> SynthesizeParams:
        if not self.text.strip():
            raise ValueError("text is blank: there is nothing to speak")
        if self.max_s is not None and self.target_s is not None and self.max_s < self.target_s:
            raise ValueError(f"max_s {self.max_s} is shorter than target_s {self.target_s}")
        return self


class SynthesizeResult(BaseModel):
    """One spoken line, trimmed to its speech, and how it was fitted.

    ``rate`` is the speed-up measured on the audio (natural duration over final duration, not
    the engine's nominal setting); ``fitted`` is False when the line is still longer than
    ``max_s`` (or ``target_s`` when no ``max_s`` was given): the caller flags it.
    """

    audio: str = Field(description="base64 of a mono FLAC file")
    sample_rate: int
    duration_s: float
    natural_s: float
    rate: float = 1.0
    pauses_removed_s: float = 0.0
    fitted: bool = True
    engine: str
    voice: str


class VoicesParams(BaseModel):
    """Which voices can speak ``language`` (all voices when absent)."""

    model_config = ConfigDict(extra="forbid")

    language: LanguageCode | None = None


class VoiceInfo(BaseModel):
    """One voice of one engine and the languages it speaks (``"*"``: any)."""

    engine: str
    voice: str
    languages: list[str]


class EngineInfo(BaseModel):
    """One engine, whether it runs on this worker, and why not."""

    engine: str
    available: bool
    notice: str | None = None


class VoicesResult(BaseModel):
    """Every engine this worker knows and the voices of those that run."""

    engines: list[EngineInfo]
    voices: list[VoiceInfo]


SYNTHESIZE = Method("tts.synthesize", SynthesizeParams, SynthesizeResult)
VOICES = Method("tts.voices", VoicesParams, VoicesResult)
