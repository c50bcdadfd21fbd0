"""A recording in two languages: real English speech, then real German speech, through ``vt``
(real broker, workers and the multilingual base model).

The speech is LibriSpeech (English) and FLEURS (German) from tests/data/speech (SOURCES.md).
The job detects English on the first segment; each later segment is checked on the worker,
and the German part is transcribed in German, not decoded as invented English (what it gave
before: loose, partly repeated English sentences, and no warning).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pysubs2
import pytest

from tests.support.cli import vt, vt_env
from tests.support.media import make_video, real_talk, write_wav
from tests.support.wer import norm_words, wer

pytestmark = pytest.mark.slow
RATE = 16000
#: A pause longer than the plan's 2 s: the languages fall in different segments (a switch
#: inside one segment is heard in the language most of that segment is in).
SWITCH_PAUSE_S = 2.5


@dataclass(frozen=True)
class Mixed:
    video: Path
    english: list[str]  # the reference texts, in order
    german: list[str]
    switch_s: float  # where the German part starts


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Mixed:
    folder = tmp_path_factory.mktemp("mixed")
    en, de = real_talk("en"), real_talk("de")
    pause = np.zeros(round(0.8 * RATE), dtype=np.float32)
    parts = [np.zeros(RATE // 2, dtype=np.float32)]
    for clip in en.clips[:4]:
        parts += [clip, pause]
    parts.append(np.zeros(round(SWITCH_PAUSE_S * RATE), dtype=np.float32))
    switch_s = sum(p.size for p in parts) / RATE
    for clip in de.clips[:2]:
        parts += [clip, pause]
    wav = write_wav(folder / "mixed.wav", np.concatenate(parts))
    video = make_video(folder / "interview.mp4", wav, size=(96, 64), fps=5)
    return Mixed(video, en.texts[:4], de.texts[:2], switch_s)


def _cue_text(path: Path, before_s: float | None = None, after_s: float | None = None) -> str:
    events = pysubs2.load(str(path))
    return " ".join(
        e.plaintext.replace("\n", " ")
        for e in events
        if (before_s is None or e.start / 1000 < before_s)
        and (after_s is None or e.start / 1000 >= after_s)
    )


def _words(texts: list[str]) -> list[str]:
    return [w for t in texts for w in norm_words(t)]


def test_each_part_is_transcribed_in_its_own_language(mixed: Mixed, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = vt("translate", str(mixed.video), "--transcribe", "--model", "base",
              "--formats", "srt", "--out", str(out), env=vt_env(tmp_path))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"spoken languages: en \(\d+ sentences\), de \(\d+ sentences\)", done.stderr)
    srt = out / "interview.en.srt"  # the transcript is named after the first language
    english = _cue_text(srt, before_s=mixed.switch_s)
    german = _cue_text(srt, after_s=mixed.switch_s)
    assert wer(_words(mixed.english), norm_words(english)) < 0.3, english
    assert wer(_words(mixed.german), norm_words(german)) < 0.35, german
    # German words, not English made up over German speech.
    heard = set(norm_words(german))
    assert {"und", "die", "der"} & heard, german
    assert not {"the", "and", "of"} & heard, german


def test_a_translation_into_english_holds_both_parts(mixed: Mixed, tmp_path: Path) -> None:
    """Whisper's own translation: the English part as spoken, the German part in English."""
    out = tmp_path / "out"
    done = vt("translate", str(mixed.video), "--to", "en", "--engine", "whisper", "--model",
              "base", "--formats", "srt", "--out", str(out), env=vt_env(tmp_path))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    srt = out / "interview.en.srt"
    english = _cue_text(srt, before_s=mixed.switch_s)
    translated = _cue_text(srt, after_s=mixed.switch_s)
    assert wer(_words(mixed.english), norm_words(english)) < 0.3, english
    words = norm_words(translated)
    assert len(words) >= 0.6 * len(_words(mixed.german)), translated  # the part is there
    assert {"the", "of", "and", "in", "is"} & set(words), translated  # in English
    assert not {"und", "die", "der", "ist"} & set(words), translated


def test_a_target_one_part_cannot_be_translated_into_is_refused_naming_the_pair(
    mixed: Mixed, tmp_path: Path
) -> None:
    """Out of the box English translates into Portuguese and German does not: the job stops
    after recognition, naming de → pt, and writes no file that would hold German under .pt."""
    out = tmp_path / "out"
    done = vt("translate", str(mixed.video), "--to", "pt", "--model", "base",
              "--formats", "srt", "--out", str(out), env=vt_env(tmp_path))  # fmt: skip
    assert done.returncode != 0
    assert "no translation model for de → pt (" in done.stderr, done.stderr[-3000:]
    assert not out.exists() or not list(out.iterdir())
