"""Subtitles: sentences from recognised words, cue layout within the rules, and file writers.

Qt-free; the pipeline calls :func:`build_sentences`, sends the sentences for translation,
then :func:`layout_cues` and a writer.
"""

from vt_desktop.core.subtitles.atomic import atomic_output, write_text_atomic
from vt_desktop.core.subtitles.layout import layout_cues, reading_chars
from vt_desktop.core.subtitles.model import (
    DOUBT_THRESHOLD,
    DOUBTFUL,
    PIVOTED,
    SUSPECT,
    UNRECOGNISED,
    Cue,
    Sentence,
    TimedWord,
    WordConfidence,
    doubtful,
    writable,
)
from vt_desktop.core.subtitles.rules import SubtitleRules, rules_for
from vt_desktop.core.subtitles.sentences import SentenceLimits, build_sentences, join_words
from vt_desktop.core.subtitles.writers import (
    AssStyle,
    ass_header,
    cues_to_ssafile,
    write_ass,
    write_srt,
    write_subtitles,
    write_vtt,
)

__all__ = [
    "DOUBTFUL",
    "DOUBT_THRESHOLD",
    "PIVOTED",
    "SUSPECT",
    "UNRECOGNISED",
    "AssStyle",
    "Cue",
    "Sentence",
    "SentenceLimits",
    "SubtitleRules",
    "TimedWord",
    "WordConfidence",
    "ass_header",
    "atomic_output",
    "build_sentences",
    "cues_to_ssafile",
    "doubtful",
    "join_words",
    "layout_cues",
    "reading_chars",
    "rules_for",
    "writable",
    "write_ass",
    "write_srt",
    "write_subtitles",
    "write_text_atomic",
    "write_vtt",
]
