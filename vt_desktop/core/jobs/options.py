"""The job vocabulary, in one place: output formats, translation engines, speech models.

Every list of these in the app (the CLI's checks, the Jobs page, the Settings dialog, the
pipeline, Review's export) reads from here; the speech models come from the workers' own
catalogue. ``tests/unit/test_vocabulary.py`` fails when a copy appears elsewhere.
"""

from __future__ import annotations

from typing import Literal, get_args

from worker.catalogue.speech import CATALOGUE
from worker.protocol.mt import ENGINE_NAMES  # the workers' own list

__all__ = [
    "DEFAULT_FORMATS",
    "ENGINE_NAMES",
    "OUTPUT_FORMATS",
    "SPEECH_MODELS",
    "SUBTITLE_FORMATS",
    "VIDEO_FORMATS",
    "WHISPER_ENGINE",
    "OutputFormat",
    "translates_speech",
]

OutputFormat = Literal["srt", "vtt", "ass", "mkv", "mp4"]
#: Everything a job can write, in the order the lists show it.
OUTPUT_FORMATS: tuple[OutputFormat, ...] = get_args(OutputFormat)
#: The subtitle files among them, and the videos carrying soft subtitles.
SUBTITLE_FORMATS: tuple[OutputFormat, ...] = ("srt", "vtt", "ass")
VIDEO_FORMATS: tuple[OutputFormat, ...] = ("mkv", "mp4")
#: What a new job writes unless told otherwise.
DEFAULT_FORMATS: tuple[OutputFormat, ...] = ("srt", "vtt", "mkv")

#: Whisper's own translation into English: done at recognition, by the speech model (one
#: of ``ENGINE_NAMES``, the engines a job may name; none named: the workers choose).
WHISPER_ENGINE = "whisper"

#: The speech models the lists offer: the workers' catalogue, in its order (any other name,
#: a Hub repo id or a folder may still be typed).
SPEECH_MODELS: tuple[str, ...] = tuple(CATALOGUE)


def translates_speech(engine: str | None) -> bool:
    """True when ``engine`` is Whisper's own translation (English only, at recognition),
    not a text engine."""
    return engine == WHISPER_ENGINE
