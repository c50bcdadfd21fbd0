"""Property tests: over random word streams and translations, the layout keeps its promises.

Every cue obeys every rule or names the rule it breaks; cues never overlap and keep the gap;
no text is lost, duplicated or reordered.
"""

from __future__ import annotations

import dataclasses
import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vt_desktop.core.subtitles import (
    Cue,
    SubtitleRules,
    TimedWord,
    build_sentences,
    layout_cues,
    reading_chars,
    rules_for,
)
from vt_desktop.core.subtitles.text import text_width

LATIN_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzçãéü", min_size=1, max_size=12)
LONG_WORD = st.text(alphabet="abcdefghij", min_size=43, max_size=60)
PUNCTUATION = st.sampled_from(["", "", "", "", ",", ".", "?", "!", "…", ";"])
CJK_TEXT = st.text(alphabet="我们今天去学校的人很好，。！？「」", min_size=1, max_size=80)


@st.composite
def word_streams(draw):
    """Timed words as recognised speech: random words, pauses, punctuation."""
    words, moment = [], draw(st.floats(0, 5))
    for _ in range(draw(st.integers(1, 60))):
        text = draw(LATIN_WORD) + draw(PUNCTUATION)
        length = draw(st.floats(0.0, 1.2))
        words.append(TimedWord(" " + text, moment, moment + length))
        moment += length + draw(st.sampled_from([0.0, 0.05, 0.2, 0.6, 2.0]))
    return words


@st.composite
def translations(draw, target):
    if draw(st.integers(0, 9)) == 0:
        return None
    if target in ("zh", "ja"):
        return draw(CJK_TEXT)
    words = draw(st.lists(st.one_of(LATIN_WORD, LATIN_WORD, LATIN_WORD, LONG_WORD), max_size=70))
    return " ".join(word + draw(PUNCTUATION) for word in words) or "x"


def shown_text(text: str) -> str:
    return "".join(text.split())


def check_cue_obeys_rules_or_is_flagged(
    cue: Cue, rules: SubtitleRules, source_rules: SubtitleRules
) -> None:
    text_rules = source_rules if "untranslated" in cue.flags else rules
    if any(
        text_width(line, wide_units=text_rules.wide_units) > text_rules.max_chars_per_line
        for line in cue.lines
    ):
        assert "too_long_line" in cue.flags, cue
    if len(cue.lines) > text_rules.max_lines:
        assert "too_many_lines" in cue.flags, cue
    if cue.duration < rules.min_duration_s - 1e-6:
        assert "too_short" in cue.flags, cue
    if cue.duration > rules.max_duration_s + 1e-6:
        assert "too_long" in cue.flags, cue
    if reading_chars(cue.lines) > text_rules.max_chars_per_second * cue.duration + 1e-6:
        assert "cps" in cue.flags, cue


@settings(max_examples=90, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), target=st.sampled_from(["pt", "en", "zh", "ja"]))
def test_every_cue_obeys_the_rules_or_is_flagged_and_no_text_is_lost(data, target):
    words = data.draw(word_streams())
    sentences = build_sentences(words, "en")
    sentences = [
        dataclasses.replace(s, translation=data.draw(translations(target))) for s in sentences
    ]
    rules, source_rules = rules_for(target), SubtitleRules()
    cues = layout_cues(sentences, rules, source_rules=source_rules)

    assert [cue.index for cue in cues] == list(range(1, len(cues) + 1))
    for cue in cues:
        assert cue.end > cue.start >= 0
        check_cue_obeys_rules_or_is_flagged(cue, rules, source_rules)
    for before, after in itertools.pairwise(cues):
        assert after.start - before.end >= rules.min_gap_s - 1e-6, (before, after)

    expected = [s.translation if s.translation else s.text for s in sentences]
    shown = "".join(shown_text(line) for cue in cues for line in cue.lines)
    assert shown == "".join(shown_text(text) for text in expected)
    if target in ("pt", "en") and all(
        len(word) <= rules.max_chars_per_line for text in expected for word in text.split()
    ):
        shown_words = " ".join(line for cue in cues for line in cue.lines).split()
        assert shown_words == [word for text in expected for word in text.split()]
    heard = " ".join(cue.source_text for cue in cues).split()
    assert heard == [w.text.strip() for w in words if w.text.strip()]


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_bilingual_cues_keep_the_gap_and_show_source_above_translation(data):
    words = data.draw(word_streams())
    sentences = [
        dataclasses.replace(s, translation=data.draw(translations("pt")))
        for s in build_sentences(words, "en")
    ]
    cues = layout_cues(sentences, rules_for("pt"), bilingual=True)
    for before, after in itertools.pairwise(cues):
        assert after.start - before.end >= 0.083 - 1e-6
    for cue in cues:
        if "untranslated" not in cue.flags and cue.source_text:
            top = " ".join(cue.lines).split()
            source = cue.source_text.split()
            assert top[: len(source)] == source
