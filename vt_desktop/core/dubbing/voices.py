"""Which engine and voice speak a language, or one speaker of it.

The job's ``dub_voices`` maps ``"pt"`` or ``"pt:SPEAKER_01"`` to ``"engine"`` or
``"engine:voice"`` (``"espeak-ng:pt-br"``, ``"hibari:heart"``, ``"piper:pt_BR-faber-medium"``).
A speaker's entry wins over its language's; neither means the worker's choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class VoiceChoice:
    """An engine (None: the worker's choice for the language) and a voice ("" its default)."""

    engine: str | None = None
    voice: str = ""


def parse_voice(value: str) -> VoiceChoice:
    """``"espeak-ng:pt-br"`` → engine and voice; ``"hibari"`` → engine only.

    Raises:
        ValueError: the value is blank.
    """
    engine, _, voice = value.strip().partition(":")
    if not engine:
        raise ValueError(f"voice {value!r} must be ENGINE or ENGINE:VOICE, e.g. espeak-ng:pt-br")
    return VoiceChoice(engine.strip().lower(), voice.strip())


def voice_for(voices: Mapping[str, str], language: str, speaker: str | None = None) -> VoiceChoice:
    """The voice for ``speaker`` of ``language`` (then the language's, then the worker's)."""
    keys = [f"{language}:{speaker}"] if speaker else []
    primary = language.split("-", 1)[0].lower()
    keys += [language, primary]
    if speaker:
        keys.insert(1, f"{primary}:{speaker}")
    for key in keys:
        if key in voices:
            return parse_voice(voices[key])
    return VoiceChoice()
