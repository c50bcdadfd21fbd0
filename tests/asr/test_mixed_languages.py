"""Several spoken languages in one recording: each part transcribed in its own language.

Real speech (tests/data/speech: LibriSpeech English, FLEURS German; see SOURCES.md) through
the worker's engine with the multilingual base model. The client says which language it
expects (the recording's first segment) and asks the worker to check each segment; the check
reads the language off the batch's own encoder output, so a monolingual recording pays no
second pass over its audio.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest

from tests.support.media import SPEECH, decode_mono
from tests.support.wer import norm_words, wer
from worker.engines.asr import WhisperEngine
from worker.engines.asr.loaded_model import SWITCH_P
from worker.engines.asr.types import TranscribeRequest, Transcript

pytestmark = pytest.mark.slow


def _clips(lang: str, count: int) -> list[tuple[np.ndarray, str]]:
    with (SPEECH / "MANIFEST.tsv").open(newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["lang"] == lang][:count]
    return [(decode_mono(SPEECH / r["file"]), r["reference_text"]) for r in rows]


def _text(t: Transcript) -> str:
    return " ".join(s.text for s in t.segments)


def _results(engine: WhisperEngine, requests: list[TranscribeRequest]) -> list[Transcript]:
    out = engine.transcribe_batch(requests, "base")
    for o in out:
        assert not isinstance(o, Exception), o
    return [o for o in out if isinstance(o, Transcript)]


def test_german_segments_of_an_english_recording_are_transcribed_in_german(engine):
    english, german = _clips("en", 2), _clips("de", 2)
    clips = [english[0], german[0], english[1], german[1]]
    checked = _results(
        engine, [TranscribeRequest(audio=a, language="en", check_language=True) for a, _ in clips]
    )
    assert [t.language for t in checked] == ["en", "de", "en", "de"]
    assert all(t.language_probability >= SWITCH_P for t in checked[1::2])
    for part in (slice(0, None, 2), slice(1, None, 2)):  # the English, then the German
        said = [w for _, reference in clips[part] for w in norm_words(reference)]
        heard = [w for t in checked[part] for w in norm_words(_text(t))]
        assert wer(said, heard) < 0.3, (said, heard)
    # Forced to English without the check, the German speech comes out as English words:
    # what the recording gave before each segment's language was checked.
    forced = _results(engine, [TranscribeRequest(audio=a, language="en") for a, _ in german])
    for t, (_, reference) in zip(forced, german, strict=True):
        assert t.language == "en"
        assert wer(norm_words(reference), norm_words(_text(t))) > 0.8, _text(t)


def test_a_segment_alone_is_checked_too(engine):
    """A batch of one goes through the sequential decode; the check holds there as well."""
    ((audio, reference),) = _clips("de", 1)
    (alone,) = _results(engine, [TranscribeRequest(audio=audio, language="en",
                                                   check_language=True)])  # fmt: skip
    assert alone.language == "de"
    assert wer(norm_words(reference), norm_words(_text(alone))) < 0.35


def test_english_segments_stay_english_when_checked(engine):
    """No part of a monolingual recording is moved to another language."""
    clips = _clips("en", 6)
    checked = _results(
        engine, [TranscribeRequest(audio=a, language="en", check_language=True) for a, _ in clips]
    )
    plain = _results(engine, [TranscribeRequest(audio=a, language="en") for a, _ in clips])
    assert [t.language for t in checked] == ["en"] * len(clips)
    assert [_text(t) for t in checked] == [_text(t) for t in plain]
