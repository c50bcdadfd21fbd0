"""Run several waiting segments through one batched faster-whisper call.

The segments' audio is laid end to end and ``clip_timestamps`` marks each as one chunk of
the batch (VAD off), so each chunk is decoded exactly as that segment alone would be in its
first window, with timestamps on; the results are split back per segment by each chunk's
start. Only segments with the same options (language, task, prompt, beam, word timing) can
share a call: the batch has one tokenizer and one prompt. A segment whose language is to be
detected gets its own detection first.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import logging
import time
from collections import defaultdict
from collections.abc import Hashable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np

from worker.engines.asr.audio import SAMPLE_RATE
from worker.engines.asr.types import SpeechSegment, TranscribeRequest, Transcript
from worker.engines.asr.whisper import (
    BATCHABLE_MAX_S,
    LoadedWhisper,
    Replica,
    segment_from_whisper,
)

if TYPE_CHECKING:
    from worker.engines.asr.whisper import WhisperEngine

log = logging.getLogger(__name__)

Outcome = Transcript | Exception


def run_batch(
    engine: WhisperEngine, loaded: LoadedWhisper, requests: list[TranscribeRequest]
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
    engine: WhisperEngine, loaded: LoadedWhisper, request: TranscribeRequest
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
    engine: WhisperEngine,
    loaded: LoadedWhisper,
    request: TranscribeRequest,
    lang: tuple[str, float],
) -> Outcome:
    try:
        fixed = TranscribeRequest(
            audio=request.audio,
            language=lang[0],
            task=request.task,
            word_timestamps=request.word_timestamps,
            initial_prompt=request.initial_prompt,
            beam_size=request.beam_size,
            checkpoint=request.checkpoint,
            progress=request.progress,
        )
        result = engine.transcribe(fixed, loaded.name)
    except Exception as exc:  # handed back for this request only
        return exc
    if request.language is None:  # keep the detection's probability, not the forced 1.0
        return dataclasses.replace(result, language_probability=lang[1])
    return result


def _run_split(
    loaded: LoadedWhisper, requests: list[TranscribeRequest], languages: list[tuple[str, float]]
) -> list[Outcome]:
    """The batch, split over the copies of the model that run side by side; outcomes in
    request order. Each outcome reports the whole batch's size and its share of the wall
    time."""
    started = time.perf_counter()
    copies = loaded.replicas[: len(requests)]
    if len(copies) == 1:
        per_request = _run_group(copies[0], requests, languages)
    else:
        size = -(-len(requests) // len(copies))  # ceil: the first parts take the remainder
        parts = [range(i, min(i + size, len(requests))) for i in range(0, len(requests), size)]
        with ThreadPoolExecutor(len(parts), thread_name_prefix="asr-copy") as pool:
            futures = [
                pool.submit(
                    _run_group, copy, [requests[i] for i in part], [languages[i] for i in part]
                )
                for copy, part in zip(copies, parts, strict=False)
            ]
            per_request = [segs for fut in futures for segs in fut.result()]
    share = (time.perf_counter() - started) / len(requests)
    log.debug("batched %d segments on %d copies in %.2fs", len(requests), len(copies),
              share * len(requests))  # fmt: skip
    together = zip(requests, languages, per_request, strict=True)
    return [
        _finish(r, lang, segs, loaded=loaded, compute_s=share, batch_size=len(requests))
        for r, lang, segs in together
    ]


def _run_group(
    copy: Replica, requests: list[TranscribeRequest], languages: list[tuple[str, float]]
) -> list[list[SpeechSegment]]:
    """One batched model call on ``copy``: each request's segments, its own times."""
    first = requests[0]
    starts_s: list[float] = []
    clips: list[dict[str, float]] = []
    position = 0
    for r in requests:
        starts_s.append(position / SAMPLE_RATE)
        position += len(r.audio)
        clips.append({"start": starts_s[-1], "end": position / SAMPLE_RATE})
    audio = np.concatenate([r.audio for r in requests])
    per_request: list[list[SpeechSegment]] = [[] for _ in requests]
    with copy.lock, _words_timed_per_chunk(copy.model):
        raw_segments, _ = copy.pipeline.transcribe(
            audio,
            language=languages[0][0],
            task=first.task,
            beam_size=first.beam_size,
            word_timestamps=first.word_timestamps,
            initial_prompt=first.initial_prompt,
            vad_filter=False,
            clip_timestamps=clips,
            without_timestamps=False,
            batch_size=len(requests),
        )
        for raw in raw_segments:  # decoding happens lazily, here
            index = _chunk_index(starts_s, raw.seek / copy.model.frames_per_second)
            per_request[index].append(segment_from_whisper(raw, starts_s[index]))
    return per_request


@contextlib.contextmanager
def _words_timed_per_chunk(model: Any) -> Iterator[None]:
    """Time each chunk's words as if it were transcribed alone.

    faster-whisper's batched word timing carries "the last speech" from one chunk into the
    next, and then shortens a chunk's first word as if it followed a pause. Transcribed alone,
    a segment starts with no earlier speech. This runs the (batched) alignment once for all
    chunks, then the per-word rules chunk by chunk, each starting from its own start.
    """
    add_words, find_alignment = model.add_word_timestamps, model.find_alignment

    def add_word_timestamps(  # noqa: PLR0917 (faster-whisper calls it positionally)
        segments: list[Any],
        tokenizer: Any,
        encoder_output: Any,
        num_frames: Any,
        prepend: str,
        append: str,
        _last: float,
    ) -> float:
        eot = tokenizer.eot
        text_tokens = [[t for sub in chunk for t in sub["tokens"] if t < eot] for chunk in segments]
        alignments = find_alignment(tokenizer, text_tokens, encoder_output, num_frames)
        last = 0.0
        for i, chunk in enumerate(segments):
            if not chunk:
                continue
            model.find_alignment = lambda *_args, _i=i: [alignments[_i]]
            start = chunk[0]["seek"] / model.frames_per_second
            last = add_words(
                [chunk], tokenizer, encoder_output, [num_frames[i]], prepend, append, start
            )
        return last

    model.add_word_timestamps = add_word_timestamps
    try:
        yield
    finally:  # back to the class's own methods
        vars(model).pop("add_word_timestamps", None)
        vars(model).pop("find_alignment", None)


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
