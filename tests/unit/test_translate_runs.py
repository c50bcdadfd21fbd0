"""Which sentences are translated from which language (a recording may hold several)."""

from __future__ import annotations

from vt_desktop.core.pipeline.translate import runs_to_translate
from vt_desktop.core.subtitles import Sentence


def _sentence(index: int, language: str | None) -> Sentence:
    return Sentence(index, f"s{index}", index, index + 0.5, (), language=language)


def test_each_sentence_is_translated_from_its_own_language_and_the_target_kept():
    sentences = [_sentence(0, "en"), _sentence(1, "de"), _sentence(2, None), _sentence(3, "de")]
    assert runs_to_translate(sentences, "en", "pt") == {"en": [0, 2], "de": [1, 3]}
    assert runs_to_translate(sentences, "en", "de-AT") == {"en": [0, 2]}  # German kept
    assert runs_to_translate(sentences, "en", "en") == {"de": [1, 3]}
