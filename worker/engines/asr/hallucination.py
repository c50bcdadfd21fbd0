"""Hallucinations caught, not shipped: checks on what Whisper recognised in one call.

Whisper invents text where nobody speaks (music, noise, long pauses) and loops ("Thank you.
Thank you. …", one sentence over and over). Each recognised segment of a call is checked for:

* a loop: a phrase said back to back ``LOOP_MIN_REPEATS`` times or more (``LOOP_MIN_WORDS``
  words in all, across segments too), or one sentence said ``SENTENCE_MIN_REPEATS`` times
  anywhere in the call;
* a compression ratio over faster-whisper's threshold (2.4), computed on the text as it does;
* a very low average log-probability (under faster-whisper's -1.0) where the model itself
  heard no speech (no-speech probability over its 0.6);
* words with no speech under them: faster-whisper's Silero VAD (its default options) runs
  once on the call's audio, and a word lying wholly outside every speech region is suspect.

A call with a suspect segment is decoded once more (``Redecode``: sequential, with the
temperature fallback, not conditioned on earlier text) and the new decode is kept when fewer
of its segments are suspect. What is still suspect is dropped when no speech lies under it,
and kept with its reason in ``SpeechSegment.suspect`` otherwise. A call with nothing suspect
costs the VAD pass and the checks, never a decode.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

from worker.engines.asr.audio import SAMPLE_RATE, Samples
from worker.engines.asr.types import SpeechSegment

log = logging.getLogger(__name__)

#: faster-whisper's thresholds (``compression_ratio_threshold``, ``log_prob_threshold``,
#: ``no_speech_threshold``).
COMPRESSION_RATIO_MAX = 2.4
LOG_PROB_MIN = -1.0
NO_SPEECH_PROB_MAX = 0.6
#: A loop: a phrase of at most ``LOOP_MAX_PHRASE`` words said at least ``LOOP_MIN_REPEATS``
#: times back to back, ``LOOP_MIN_WORDS`` words in all ("no, no, no" is speech; "thank you"
#: three times, or one word six times, is a loop).
LOOP_MIN_REPEATS = 3
LOOP_MIN_WORDS = 6
LOOP_MAX_PHRASE = 16
#: A sentence of at least this many words said this many times in one call is a loop too.
SENTENCE_MIN_WORDS = 3
SENTENCE_MIN_REPEATS = 3

Span = tuple[float, float]
#: Decodes the call's audio afresh (see the module's doc).
Redecode = Callable[[], list[SpeechSegment]]

_WORD = re.compile(r"[\w']+")
_SENTENCE_END = re.compile(r"[.!?。！？]+")


def screened(
    segments: list[SpeechSegment], audio: Samples, redecode: Redecode, call_id: str
) -> list[SpeechSegment]:
    """``segments`` with hallucinations re-decoded, dropped or marked (see the module's doc).

    Raises:
        Exception: whatever ``redecode`` raises (Cancelled, DeadlinePassed).
    """
    regions = speech_regions(audio)
    reasons = suspicions(segments, regions)
    if not any(reasons):
        return segments
    log.info(
        "asr id=%s %d of %d segment(s) suspect (%s): decoding again",
        call_id, _count(reasons), len(segments), "; ".join(r for r in reasons if r),
    )  # fmt: skip
    again = redecode()
    again_reasons = suspicions(again, regions)
    if _count(again_reasons) < _count(reasons):
        log.info(
            "asr id=%s the new decode is kept: %d of %d segment(s) suspect",
            call_id, _count(again_reasons), len(again),
        )  # fmt: skip
        segments, reasons = again, again_reasons
    return _settled(segments, reasons, regions, call_id)


def speech_regions(audio: Samples) -> list[Span]:
    """Where faster-whisper's Silero VAD (its default options) hears speech, in seconds."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if audio.shape[0] == 0:
        return []
    stamps = get_speech_timestamps(audio, VadOptions(), sampling_rate=SAMPLE_RATE)
    return [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps]


def suspicions(segments: Sequence[SpeechSegment], regions: Sequence[Span]) -> list[str | None]:
    """Why each segment may be invented, in plain words (None: nothing found)."""
    found: list[list[str]] = [[] for _ in segments]
    for index, reason in _loops(segments):
        found[index].append(reason)
    for index, segment in enumerate(segments):
        found[index] += _faults(segment, regions)
    return ["; ".join(dict.fromkeys(reasons)) or None for reasons in found]


def _faults(segment: SpeechSegment, regions: Sequence[Span]) -> list[str]:
    from faster_whisper.transcribe import get_compression_ratio

    faults = []
    ratio = float(get_compression_ratio(segment.text))
    if ratio > COMPRESSION_RATIO_MAX:
        faults.append(f"compression ratio {ratio:.1f} (over {COMPRESSION_RATIO_MAX})")
    if segment.avg_logprob < LOG_PROB_MIN and segment.no_speech_prob > NO_SPEECH_PROB_MAX:
        faults.append(
            f"decoded with low confidence (average log-probability {segment.avg_logprob:.2f})"
            f" where the model heard no speech (no-speech probability "
            f"{segment.no_speech_prob:.2f})"
        )
    if segment.words:
        unheard = [w.word.strip() for w in segment.words if not _heard((w.start, w.end), regions)]
        if unheard:
            faults.append(
                f"{len(unheard)} of {len(segment.words)} word(s) where no speech was heard: "
                f"'{_shortened(' '.join(unheard))}'"
            )
    elif segment.text and not _heard((segment.start, segment.end), regions):
        faults.append("no speech was heard under it")
    return faults


def _loops(segments: Sequence[SpeechSegment]) -> Iterator[tuple[int, str]]:
    """(segment index, reason) for every segment holding part of a loop."""
    words: list[str] = []
    owners: list[int] = []
    for index, segment in enumerate(segments):
        found = _WORD.findall(segment.text.lower())
        words += found
        owners += [index] * len(found)
    looping: set[int] = set()
    for start, size, times in _repeats(words):
        reason = f"repeats '{_shortened(' '.join(words[start : start + size]))}' {times} times"
        for index in sorted(set(owners[start : start + size * times])):
            looping.add(index)
            yield index, reason
    yield from ((i, r) for i, r in _repeated_sentences(segments) if i not in looping)


def _repeats(words: list[str]) -> Iterator[tuple[int, int, int]]:
    """(start, phrase length, times) of each phrase said back to back often enough to be a
    loop, leftmost first, the longest run at each start."""
    i = 0
    while i < len(words):
        best: tuple[int, int] | None = None
        for size in range(1, min(LOOP_MAX_PHRASE, (len(words) - i) // 2) + 1):
            phrase, times = words[i : i + size], 1
            while words[i + times * size : i + (times + 1) * size] == phrase:
                times += 1
            is_loop = times >= LOOP_MIN_REPEATS and size * times >= LOOP_MIN_WORDS
            if is_loop and (best is None or size * times > best[0] * best[1]):
                best = (size, times)
        if best is None:
            i += 1
            continue
        yield i, best[0], best[1]
        i += best[0] * best[1]


def _repeated_sentences(segments: Sequence[SpeechSegment]) -> Iterator[tuple[int, str]]:
    said: Counter[tuple[str, ...]] = Counter()
    holders: dict[tuple[str, ...], set[int]] = {}
    for index, segment in enumerate(segments):
        for sentence in _SENTENCE_END.split(segment.text.lower()):
            words = tuple(_WORD.findall(sentence))
            if len(words) >= SENTENCE_MIN_WORDS:
                said[words] += 1
                holders.setdefault(words, set()).add(index)
    for words, times in said.items():
        if times >= SENTENCE_MIN_REPEATS:
            reason = f"says '{_shortened(' '.join(words))}' {times} times"
            for index in sorted(holders[words]):
                yield index, reason


def _settled(
    segments: list[SpeechSegment],
    reasons: list[str | None],
    regions: Sequence[Span],
    call_id: str,
) -> list[SpeechSegment]:
    """Suspect segments dropped where no speech lies under them, else marked."""
    kept = []
    for segment, reason in zip(segments, reasons, strict=True):
        if reason is None:
            kept.append(segment)
        elif not _speech_under(segment, regions):
            log.info(
                "asr id=%s dropped %.2f-%.2f s %r, no speech under it: %s",
                call_id, segment.start, segment.end, segment.text, reason,
            )  # fmt: skip
        else:
            log.info(
                "asr id=%s kept %.2f-%.2f s %r, marked suspect: %s",
                call_id, segment.start, segment.end, segment.text, reason,
            )  # fmt: skip
            kept.append(dataclasses.replace(segment, suspect=reason))
    return kept


def _speech_under(segment: SpeechSegment, regions: Sequence[Span]) -> bool:
    if segment.words:
        return any(_heard((w.start, w.end), regions) for w in segment.words)
    return _heard((segment.start, segment.end), regions)


def _heard(span: Span, regions: Sequence[Span]) -> bool:
    """True when ``span`` touches a speech region (a word of no length: lies inside one)."""
    start, end = span
    return any(start <= r_end and end >= r_start for r_start, r_end in regions)


def _count(reasons: Sequence[str | None]) -> int:
    return sum(1 for r in reasons if r)


def _shortened(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
