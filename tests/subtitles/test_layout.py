"""Laying translated sentences out as cues within the subtitle rules."""

from __future__ import annotations

import dataclasses
import itertools

import pydantic
import pytest

from vt_desktop.core.subtitles import (
    Sentence,
    SubtitleRules,
    TimedWord,
    build_sentences,
    layout_cues,
    rules_for,
)
from vt_desktop.core.subtitles.text import text_width

JFK_WORDS = [
    "And",
    "so,",
    "my",
    "fellow",
    "Americans,",
    "ask",
    "not",
    "what",
    "your",
    "country",
    "can",
    "do",
    "for",
    "you,",
    "ask",
    "what",
    "you",
    "can",
    "do",
    "for",
    "your",
    "country.",
]
JFK_PT = (
    "E assim, meus caros americanos, não perguntem o que o seu país pode fazer por vocês, "
    "perguntem o que vocês podem fazer pelo seu país."
)


def timed(
    words: list[str], start: float = 0.5, step: float = 0.45, pause_after: set[int] | None = None
) -> list[TimedWord]:
    result, moment = [], start
    for position, word in enumerate(words):
        result.append(TimedWord(" " + word, moment, moment + step * 0.8))
        moment += step + (1.0 if position in (pause_after or set()) else 0.0)
    return result


def sentence_of(words: list[TimedWord], translation: str | None, index: int = 0) -> Sentence:
    text = " ".join(w.text.strip() for w in words)
    return Sentence(index, text, words[0].start, words[-1].end, tuple(words), translation)


def test_a_long_translation_splits_into_cues_that_all_meet_the_rules():
    sentence = sentence_of(timed(JFK_WORDS, pause_after={4}), JFK_PT)
    rules = rules_for("pt")
    cues = layout_cues([sentence], rules)
    assert len(cues) >= 2
    assert " ".join(line for cue in cues for line in cue.lines).split() == JFK_PT.split()
    for cue in cues:
        assert cue.flags == frozenset(), cue
        assert len(cue.lines) <= 2
        assert all(len(line) <= 42 for line in cue.lines)
    assert [cue.index for cue in cues] == list(range(1, len(cues) + 1))


def test_cue_boundaries_snap_to_a_pause_between_source_words():
    words = timed(JFK_WORDS, pause_after={4})  # a one-second pause after "Americans,"
    translation = "E assim, meus caros americanos. Não perguntem o que o seu país pode fazer."
    cues = layout_cues([sentence_of(words, translation)], rules_for("pt"))
    assert len(cues) == 2
    assert cues[0].end == pytest.approx(words[4].end, abs=0.001)
    assert cues[1].start == pytest.approx(words[5].start, abs=0.001)
    assert cues[0].lines == ("E assim, meus caros americanos.",)
    assert cues[0].source_text == "And so, my fellow Americans,"


def test_lines_break_after_a_comma_rather_than_mid_phrase():
    words = timed(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"],
        step=0.5,
    )
    translation = "I wanted to go to the market early, but the little shop was closed today"
    (cue,) = layout_cues([sentence_of(words, translation)], rules_for("en"))
    assert cue.lines == (
        "I wanted to go to the market early,",
        "but the little shop was closed today",
    )


def test_chinese_lines_count_wide_characters_against_the_cjk_limit():
    words = timed(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"], step=0.6)
    translation = "这是一个很长的句子，说话的人一直说下去，没有任何真正的理由停下来。"
    rules = rules_for("zh")
    cues = layout_cues([sentence_of(words, translation)], rules)
    assert "".join("".join(cue.lines) for cue in cues) == translation
    for cue in cues:
        assert all(len(line) <= 16 for line in cue.lines), cue.lines
        assert not cue.lines[-1].startswith(("，", "。")), "punctuation never starts a line"
    assert max(len(line) for cue in cues for line in cue.lines) > 8, "lines are filled"


def test_width_counts_wide_characters_once_in_cjk_units_and_twice_otherwise():
    assert text_width("中文ab", wide_units=True) == 3.0
    assert text_width("中文ab", wide_units=False) == 6.0


def test_an_untranslated_sentence_shows_its_source_text_and_is_flagged():
    sentence = sentence_of(timed(["Thank", "you", "very", "much", "everyone."]), None)
    (cue,) = layout_cues([sentence], rules_for("pt"))
    assert cue.lines == ("Thank you very much everyone.",)
    assert "untranslated" in cue.flags


def test_bilingual_cues_show_the_source_above_the_translation():
    words = timed(["Thank", "you", "very", "much."])
    (cue,) = layout_cues([sentence_of(words, "Muito obrigado.")], rules_for("pt"), bilingual=True)
    assert cue.lines == ("Thank you very much.", "Muito obrigado.")


def test_a_short_cue_is_extended_into_free_time_to_the_minimum_duration():
    words = [TimedWord(" Yes.", 1.0, 1.2)]
    later = [TimedWord(" Later.", 10.0, 10.9)]
    cues = layout_cues(
        [sentence_of(words, "Sim."), sentence_of(later, "Depois.", 1)], rules_for("pt")
    )
    assert cues[0].start == pytest.approx(1.0)
    assert cues[0].duration == pytest.approx(0.833, abs=0.001)
    assert "too_short" not in cues[0].flags


def test_a_cue_with_no_room_to_grow_is_flagged_too_short_not_dropped():
    first = [TimedWord(" Yes.", 1.0, 1.2)]
    second = [TimedWord(" No.", 1.3, 1.5)]
    third = [TimedWord(" Maybe.", 1.6, 2.6)]
    sentences = [
        sentence_of(first, "Sim."),
        sentence_of(second, "Não.", 1),
        sentence_of(third, "Talvez.", 2),
    ]
    cues = layout_cues(sentences, rules_for("pt"))
    assert [cue.lines for cue in cues] == [("Sim.",), ("Não.",), ("Talvez.",)]
    assert "too_short" in cues[1].flags
    for before, after in itertools.pairwise(cues):
        assert after.start - before.end >= 0.083 - 1e-9


def test_a_fast_cue_is_flagged_for_reading_speed():
    words = [TimedWord(" Go!", 3.0, 3.3)]
    crowded = [TimedWord(" Next.", 3.5, 4.2)]
    translation = "Vai, vai, vai, corre o mais depressa que puderes agora!"
    cues = layout_cues(
        [sentence_of(words, translation), sentence_of(crowded, "Próximo.", 1)], rules_for("pt")
    )
    assert "cps" in cues[0].flags


def test_overlapping_sentences_never_give_overlapping_cues():
    a = sentence_of([TimedWord(" one", 0.0, 2.0)], "um")
    b = sentence_of([TimedWord(" two", 1.0, 3.0)], "dois", 1)
    first, second = layout_cues([a, b], rules_for("pt"))
    assert second.start - first.end >= 0.083 - 1e-9
    assert first.lines == ("um",)
    assert second.lines == ("dois",)


def test_a_word_longer_than_a_line_is_split_across_lines_not_lost():
    word = "Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherung"
    (cue,) = layout_cues([sentence_of(timed(["x"] * 8), word)], rules_for("de"))
    assert "".join(cue.lines) == word
    assert all(len(line) <= 42 for line in cue.lines)


def test_a_long_sentence_is_split_so_no_cue_stays_over_seven_seconds():
    words = timed([f"w{n}" for n in range(30)], step=0.6)  # 18 s of speech
    cues = layout_cues([sentence_of(words, "palavra " * 30)], rules_for("pt"))
    assert len(cues) >= 3
    assert all(cue.duration <= 7.0 for cue in cues)


def test_rules_have_per_language_presets_and_refuse_bad_values():
    assert rules_for("en").max_chars_per_second == 20
    assert rules_for("pt-BR").max_chars_per_second == 17
    zh = rules_for("zh")
    assert (zh.max_chars_per_line, zh.wide_units, zh.spaceless) == (16, True, True)
    assert rules_for("pt", max_lines=1).max_lines == 1
    with pytest.raises(pydantic.ValidationError, match="max_lines"):
        rules_for("pt", max_lines=0)
    with pytest.raises(pydantic.ValidationError, match="min_duration_s"):
        SubtitleRules(min_duration_s=8, max_duration_s=7)


def test_sentences_merged_then_laid_out_keep_every_word():
    words = timed([*JFK_WORDS, "Thank", "you."])
    sentences = build_sentences(words, "en")
    translated = [dataclasses.replace(s, translation=s.text.upper()) for s in sentences]
    cues = layout_cues(translated, rules_for("en"))
    shown = " ".join(line for cue in cues for line in cue.lines).split()
    assert shown == [w.upper() for w in [*JFK_WORDS, "Thank", "you."]]
    assert " ".join(cue.source_text for cue in cues).split() == [*JFK_WORDS, "Thank", "you."]
