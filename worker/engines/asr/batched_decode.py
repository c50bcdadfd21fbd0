"""Run several waiting segments through one batched faster-whisper call.

The segments' audio is laid end to end and ``clip_timestamps`` marks each as one chunk of
the batch (VAD off), so each chunk is decoded exactly as that segment alone would be in its
first window, with timestamps on; the results are split back per segment by each chunk's
start. Each request's segments are then checked for hallucinations (``hallucination``), a
suspect one decoded again alone on the same copy. Only segments with the same options
(language, task, prompt, beam, word timing) can share a call: the batch has one tokenizer and
one prompt. A segment whose language is to be detected gets its own detection first.
"""

from __future__ import annotations

import bisect
import dataclasses
import logging
import time
from collections import defaultdict
from collections.abc import Hashable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from functools import partial
from typing import Any, Protocol

import numpy as np

from worker.engines.asr.audio import SAMPLE_RATE
from worker.engines.asr.decode_hooks import languages_heard, stops_recorded, words_timed_per_chunk
from worker.engines.asr.hallucination import screened
from worker.engines.asr.loaded_model import (
    BATCHABLE_MAX_S,
    SWITCH_P,
    LoadedWhisper,
    Replica,
    redecode,
    segment_from_whisper,
)
from worker.engines.asr.types import LanguageGuess, SpeechSegment, TranscribeRequest, Transcript

log = logging.getLogger(__name__)

Outcome = Transcript | Exception


class SegmentEngine(Protocol):
    """What a batch asks of the engine (``whisper.WhisperEngine``): its language rules and
    its one-segment path, for segments that cannot share a call."""

    def language_for(self, loaded: LoadedWhisper, language: str | None) -> str | None:
        """The language to force for ``loaded`` (None: detect it)."""

    def detect_language(self, audio: Any, model: str | None = None) -> LanguageGuess:
        """The language spoken in the first 30 s of ``audio``."""

    def transcribe(self, request: TranscribeRequest, model: str | None = None) -> Transcript:
        """Transcribe one segment alone."""


def run_batch(
    engine: SegmentEngine, loaded: LoadedWhisper, requests: list[TranscribeRequest]
) -> list[Outcome]:
    """Transcribe ``requests``; one entry per request, a transcript or the error it met."""
    outcomes: list[Outcome | None] = [None] * len(requests)
    languages: dict[int, tuple[str, float]] = {}
    for i, request in enumerate(requests):
        try:
            if request.checkpoint is not None:
                request.checkpoint()
            languages[i] = _language_of(engine, loaded, request)
        except Exception as exc:  # cancelled, or a bad language for this model
            outcomes[i] = exc
    for indices in _groups(requests, languages).values():
        if len(indices) == 1 or requests[indices[0]].duration > BATCHABLE_MAX_S:
            for i in indices:
                outcomes[i] = _alone(engine, loaded, requests[i], languages[i])
            continue
        try:
            group = [requests[i] for i in indices]
            done = _run_split(loaded, group, [languages[i] for i in indices])
        except Exception as exc:  # one failing model call fails its whole group alike
            log.warning("batched transcription of %d segments failed: %s", len(indices), exc)
            done = [exc] * len(indices)
        for i, outcome in zip(indices, done, strict=True):
            outcomes[i] = outcome
    return [o if o is not None else RuntimeError("segment was not transcribed") for o in outcomes]


def _language_of(
    engine: SegmentEngine, loaded: LoadedWhisper, request: TranscribeRequest
) -> tuple[str, float]:
    if request.language is not None or not loaded.multilingual:
        code = engine.language_for(loaded, request.language)
        return (code or "en", 1.0)
    guess = engine.detect_language(request.audio, loaded.name)
    return (guess.language, guess.probability)


def _groups(
    requests: list[TranscribeRequest], languages: dict[int, tuple[str, float]]
) -> dict[Hashable, list[int]]:
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for i, (code, _) in languages.items():
        r = requests[i]
        long = r.duration > BATCHABLE_MAX_S
        key = (code, r.task, r.initial_prompt, r.word_timestamps, r.beam_size, long and i)
        groups[key].append(i)
    return groups


def _alone(
    engine: SegmentEngine,
    loaded: LoadedWhisper,
    request: TranscribeRequest,
    lang: tuple[str, float],
) -> Outcome:
    try:
        fixed = dataclasses.replace(request, language=lang[0])
        result = engine.transcribe(fixed, loaded.name)  # checks the language when asked
    except Exception as exc:  # handed back for this request only
        return exc
    if request.language is None:  # keep the detection's probability, not the forced 1.0
        return dataclasses.replace(result, language_probability=lang[1])
    return result


def _switched(
    expected: tuple[str, float], heard: tuple[str, float] | None
) -> tuple[str, float] | None:
    """The language a part is heard in when that is confidently another than expected."""
    if heard is None or heard[0] == expected[0] or heard[1] < SWITCH_P:
        return None
    return heard


def _run_split(
    loaded: LoadedWhisper, requests: list[TranscribeRequest], languages: list[tuple[str, float]]
) -> list[Outcome]:
    """The batch, split over the copies of the model that run side by side; outcomes in
    request order. Each outcome reports the whole batch's size and its share of the wall
    time."""
    started = time.perf_counter()
    copies = loaded.replicas[: len(requests)]
    if len(copies) == 1:
        per_request = _run_checked(copies[0], requests, languages)
    else:
        size = -(-len(requests) // len(copies))  # ceil: the first parts take the remainder
        parts = [range(i, min(i + size, len(requests))) for i in range(0, len(requests), size)]
        with ThreadPoolExecutor(len(parts), thread_name_prefix="asr-copy") as pool:
            futures = [
                pool.submit(
                    _run_checked, copy, [requests[i] for i in part], [languages[i] for i in part]
                )
                for copy, part in zip(copies, parts, strict=False)
            ]
            per_request = [segs for fut in futures for segs in fut.result()]
    share = (time.perf_counter() - started) / len(requests)
    log.debug("batched %d segments on %d copies in %.2fs", len(requests), len(copies),
              share * len(requests))  # fmt: skip
    together = zip(requests, per_request, strict=True)
    return [
        _finish(r, lang, segs, loaded=loaded, compute_s=share, batch_size=len(requests))
        for r, (segs, lang) in together
    ]


def _run_checked(
    copy: Replica, requests: list[TranscribeRequest], languages: list[tuple[str, float]]
) -> list[tuple[list[SpeechSegment], tuple[str, float]]]:
    """``_run_group``, then each request's segments screened for hallucinations on the same
    copy; with them the language each was transcribed in. A re-decode checks no
    cancellation: a cancelled request must not fail the others of its part (``_finish``
    drops its result)."""
    languages = list(languages)
    heard: list[tuple[str, float] | None] = []
    per_request = _run_group(copy, requests, languages, heard)
    # A part of a recording in another language than expected (checked on the encoder's
    # output of the batch's first call, nearly free) is decoded again in its own language.
    again: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(requests):
        other = _switched(languages[i], heard[i]) if r.check_language else None
        if other is not None and copy.model.model.is_multilingual:
            languages[i] = other
            again[other[0]].append(i)
    for indices in again.values():
        redone = _run_group(
            copy, [requests[i] for i in indices], [languages[i] for i in indices], []
        )
        for i, segs in zip(indices, redone, strict=True):
            per_request[i] = segs
    return [
        (
            screened(segs, r.audio, partial(redecode, copy.model, r, lang[0]), r.call_id)
            if r.check_hallucinations
            else segs,
            lang,
        )
        for r, lang, segs in zip(requests, languages, per_request, strict=True)
    ]


def _run_group(
    copy: Replica,
    requests: list[TranscribeRequest],
    languages: list[tuple[str, float]],
    heard: list[tuple[str, float] | None],
) -> list[list[SpeechSegment]]:
    """Batched model calls on ``copy``: each request's segments, its own times. ``heard``
    receives, per request, the language its first window sounds like most and the model's
    probability for it.

    A window's decode can stop at a timestamp before the chunk's end ("seek to the last
    timestamp"): the sequential decode then reads on from there in its next window, and a
    batch must too, or the chunk's last sentence is lost (one chunk in six on real speech).
    So the chunks that stopped early go round again, from where each stopped, until all are
    read to their end (at most ``TAIL_ROUNDS`` more calls, each batching every such tail).
    """
    per_request: list[list[SpeechSegment]] = [[] for _ in requests]
    read_s = [0.0] * len(requests)  # how far each request's audio has been decoded
    pending = list(range(len(requests)))
    for round_ in range(TAIL_ROUNDS + 1):
        tails = [requests[i].audio[round(read_s[i] * SAMPLE_RATE) :] for i in pending]
        decoded = _decode_once(
            copy, requests[0], languages[0][0], tails, heard if round_ == 0 else None
        )
        still: list[int] = []
        for i, (segments, stopped_s) in zip(pending, decoded, strict=True):
            for seg in segments:
                if round_ == 0 or not _silence(seg):
                    per_request[i].append(_shifted(seg, read_s[i]))
            if stopped_s is not None and requests[i].duration - read_s[i] - stopped_s > TAIL_MIN_S:
                read_s[i] += stopped_s
                still.append(i)
        pending = still
        if not pending:
            break
    return per_request


#: The most extra batched calls that read on from where windows stopped early.
TAIL_ROUNDS = 2
#: A window that stopped less than this before its chunk's end is done (the chunks end in a
#: pause: what is left is the silence the plan cut in).
TAIL_MIN_S = 0.4


def _decode_once(
    copy: Replica,
    options: TranscribeRequest,
    language: str,
    audios: list[np.ndarray],
    heard: list[tuple[str, float] | None] | None = None,
) -> list[tuple[list[Any], float | None]]:
    """One batched model call: each audio's raw faster-whisper segments (its own times) and
    where its window's decode stopped, in seconds (None: it read to the end). ``heard``
    (when given) receives each audio's most likely language, from the same encoder output."""
    starts_s: list[float] = []
    clips: list[dict[str, float]] = []
    position = 0
    for samples in audios:
        starts_s.append(position / SAMPLE_RATE)
        position += len(samples)
        clips.append({"start": starts_s[-1], "end": position / SAMPLE_RATE})
    raw_by_chunk: list[list[Any]] = [[] for _ in audios]
    stops: dict[int, float | None] = {}
    fps = copy.model.frames_per_second
    guesses: list[tuple[str, float]] = []
    listening = languages_heard(copy.model, guesses) if heard is not None else nullcontext()
    with stops_recorded(copy.model, stops), words_timed_per_chunk(copy.model), listening:
        raw_segments, _ = copy.pipeline.transcribe(
            np.concatenate(audios),
            language=language,
            task=options.task,
            beam_size=options.beam_size,
            word_timestamps=options.word_timestamps,
            initial_prompt=options.initial_prompt,
            vad_filter=False,
            clip_timestamps=clips,
            without_timestamps=False,
            batch_size=len(audios),
        )
        for raw in raw_segments:  # decoding happens lazily, here
            index = _chunk_index(starts_s, raw.seek / fps)
            raw_by_chunk[index].append(dataclasses.replace(
                raw, start=raw.start - starts_s[index], end=raw.end - starts_s[index],
                words=[dataclasses.replace(w, start=w.start - starts_s[index],
                                           end=w.end - starts_s[index]) for w in raw.words or []]
                if raw.words is not None else None,
            ))  # fmt: skip
    if heard is not None:
        heard.extend(guesses[k] if k < len(guesses) else None for k in range(len(audios)))
    return [(raw_by_chunk[k], stops.get(round(starts_s[k] * fps))) for k in range(len(audios))]


def _shifted(raw: Any, by_s: float) -> SpeechSegment:
    return segment_from_whisper(raw, -by_s)


def _silence(raw: Any) -> bool:
    """faster-whisper's own test for a window with no speech (its defaults), for the tails
    read on: the batched pipeline does not apply it, the sequential decode does."""
    return bool(raw.no_speech_prob > NO_SPEECH_PROB and raw.avg_logprob < LOW_LOGPROB)


NO_SPEECH_PROB = 0.6
LOW_LOGPROB = -1.0


def _chunk_index(starts_s: list[float], chunk_start_s: float) -> int:
    """The request whose chunk starts at ``chunk_start_s`` (seek is rounded down to 10 ms)."""
    return max(0, bisect.bisect_right(starts_s, chunk_start_s + 0.02) - 1)


def _finish(
    request: TranscribeRequest,
    language: tuple[str, float],
    segments: list[SpeechSegment],
    *,
    loaded: LoadedWhisper,
    compute_s: float,
    batch_size: int,
) -> Outcome:
    try:
        if request.checkpoint is not None:
            request.checkpoint()  # cancelled while the batch ran: drop its result
    except Exception as exc:  # Cancelled / DeadlinePassed for this request only
        return exc
    if request.progress is not None:
        request.progress(1.0)
    return Transcript(
        language=language[0],
        language_probability=language[1],
        duration=request.duration,
        segments=segments,
        model=loaded.name,
        device=loaded.device,
        compute_s=compute_s,
        batch_size=batch_size,
    )
