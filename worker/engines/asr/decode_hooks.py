"""What a batched decode hears from inside faster-whisper's model while it runs.

Each context manager replaces one of the model's methods on the instance for one call (the
class's own method is back when it ends): where each chunk's window stopped, each chunk's
language from the batch's own encoder output, and word timing per chunk as a segment alone
would get it. They lean on faster-whisper's private methods.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def _instead(model: Any, **methods: Any) -> Iterator[None]:
    """Give ``model`` these methods of its own for a while; the class's are back after."""
    for name, method in methods.items():
        setattr(model, name, method)
    try:
        yield
    finally:
        for name in methods:
            vars(model).pop(name, None)


@contextlib.contextmanager
def stops_recorded(model: Any, stops: dict[int, float | None]) -> Iterator[None]:
    """Record, per chunk (keyed by its start in frames), where its window's decode stopped:
    None when it read to the end, else the last timestamp it closed (seconds from its
    start), where the sequential decode would start its next window."""
    split = model._split_segments_by_timestamps

    def split_recording(  # noqa: PLR0917 (faster-whisper's signature)
        tokenizer: Any,
        tokens: list[int],
        time_offset: float,
        segment_size: int,
        segment_duration: float,
        seek: int,
    ) -> tuple[list[dict[str, Any]], int, bool]:
        result: tuple[list[dict[str, Any]], int, bool] = split(
            tokenizer, tokens, time_offset, segment_size, segment_duration, seek
        )
        end_seek = result[1]
        key = round(time_offset * model.frames_per_second)
        stops[key] = (
            None
            if end_seek - seek >= segment_size
            else (end_seek - seek) / (model.frames_per_second)
        )
        return result

    with _instead(model, _split_segments_by_timestamps=split_recording):
        yield


@contextlib.contextmanager
def languages_heard(model: Any, guesses: list[tuple[str, float]]) -> Iterator[None]:
    """Record each chunk's most likely language from the batch's own encoder output (one
    decoder step: no second pass over the audio, as ``detect_language`` on the audio is)."""
    encode = model.encode

    def encode_listening(features: Any) -> Any:
        output = encode(features)
        if model.model.is_multilingual:
            for ranked in model.model.detect_language(output):
                token, probability = ranked[0]
                guesses.append((str(token)[2:-2], float(probability)))  # "<|de|>" -> "de"
        return output

    with _instead(model, encode=encode_listening):
        yield


@contextlib.contextmanager
def words_timed_per_chunk(model: Any) -> Iterator[None]:
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

    with _instead(model, add_word_timestamps=add_word_timestamps, find_alignment=find_alignment):
        yield
