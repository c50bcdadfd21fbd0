"""What a job heard: its recognised words with their times, and lines recognised again.

Re-recognition sends one ``asr.transcribe`` call per chosen cue, carrying just that cue's
audio (decoded from the job's source, the span of the cue), to the model the reviewer picks
(e.g. the multilingual ``base`` instead of ``tiny.en``). Each result is stored in the job
store like any call of the job (kind ``asr-redo-<model>``, keyed by the span), so asking
again sends nothing; the cue's source text becomes what the model heard. The models used are
listed in the job's ``asr-redo-models`` artifact, so a split finds a redone line's word times
(:func:`word_times`) after the app is restarted too.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import sqlite3
import weakref

from pydantic import ValidationError

from vt_desktop.core.jobs.store import call_id
from vt_desktop.core.review.cues import ReviewCue
from vt_desktop.core.review.retranslate import RetranslateResult
from vt_desktop.core.review.session import ReviewSession
from vt_desktop.core.subtitles import TimedWord, join_words
from worker.protocol.asr import TRANSCRIBE, TranscribeParams, TranscribeResult
from worker.protocol.errors import RpcError
from worker.transport.client import RpcClient

__all__ = [
    "MIN_PIECE_S",
    "RECOGNISE_TIMEOUT_S",
    "audio_stream",
    "letters",
    "rerecognise",
    "word_times",
]

log = logging.getLogger(__name__)
#: The shortest piece a split leaves on either side, in seconds.
MIN_PIECE_S = 0.1
#: One line's call: a model may have to be loaded first.
RECOGNISE_TIMEOUT_S = 300.0
_EPS = 0.0005
_ASR_KINDS = ("asr", "asr-en")
#: The artifact listing the models lines were recognised again with (their calls' kinds).
REDO_MODELS = "asr-redo-models"
#: Each open session's recognised words with their times, read from the store once.
_WORDS: weakref.WeakKeyDictionary[ReviewSession, list[TimedWord]] = weakref.WeakKeyDictionary()
_NO_SIZE_LIMIT = 1 << 62


def letters(text: str) -> str:
    """``text``'s letters and digits, case-folded: what a cue's source and the words the
    recogniser heard in it are compared by (spacing and punctuation aside)."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def word_times(session: ReviewSession, cue: ReviewCue) -> list[TimedWord]:
    """The timed words that spell ``cue``'s source as it is now, inside its span (by their
    middles): a line's recognition again (the latest model first), else the job's own; empty
    when none does (the source was retyped, the job has no word times, or the cue was moved
    off them)."""
    target = letters(cue.source)
    if not target:
        return []
    for words in (*_redone(session), _timed_words(session)):
        # A word's middle: the layout may end a cue a little before its last word does.
        inside = [w for w in words if cue.start - _EPS <= (w.start + w.end) / 2 <= cue.end + _EPS]
        if inside and letters("".join(w.text for w in inside)) == target:
            return inside
    return []


def _results(session: ReviewSession, kind: str) -> list[TranscribeResult]:
    """The job's stored results of calls of ``kind``, in key order.

    Raises:
        sqlite3.Error, OSError: the store cannot be read now.
    """
    results = []
    store, job_id = session.store, session.record.id
    for key in sorted(store.stored_keys(job_id, kind), key=lambda k: (len(k), k)):
        try:
            results.append(
                TranscribeResult.model_validate(store.result(call_id(job_id, kind, key)))
            )
        except ValidationError:
            continue
    return results


def _redone(session: ReviewSession) -> list[list[TimedWord]]:
    """The words of each line recognised again, one list per call (latest model first)."""
    from vt_desktop.core.pipeline.recognise import words_of  # numpy: not before first paint

    try:
        models = session.store.artifact(session.record.id, REDO_MODELS) or []
        return [
            words_of([result])
            for model in reversed(models)
            for result in _results(session, f"asr-redo-{model}")
        ]
    except (sqlite3.Error, OSError):
        return []


def _timed_words(session: ReviewSession) -> list[TimedWord]:
    """The job's own recognised words with their times (read from the store once)."""
    if (known := _WORDS.get(session)) is not None:
        return known
    try:
        results = [r for kind in _ASR_KINDS for r in _results(session, kind)]
    except (sqlite3.Error, OSError):
        return []  # the store cannot be read now: the time is divided by characters
    from vt_desktop.core.pipeline.recognise import words_of  # numpy: not before first paint

    _WORDS[session] = words = words_of(results)
    return words


def audio_stream(session: ReviewSession) -> int:
    """The container index of the audio stream the job recognised.

    Raises:
        IntakeError: the source cannot be opened.
    """
    spec = session.record.spec
    if spec.audio_stream is not None:
        return spec.audio_stream
    from vt_desktop.core.media.intake import pick_audio_stream, probe

    info = probe(spec.input, max_size=_NO_SIZE_LIMIT)
    return pick_audio_stream(info, [spec.source_language or ""]).index


def _span_audio(session: ReviewSession, stream: int, start: float, end: float) -> str:
    from vt_desktop.core.media.audio import read_pcm
    from vt_desktop.core.media.encode import encode_pcm

    pcm = read_pcm(session.record.spec.input, stream, start, end)
    return base64.b64encode(encode_pcm(pcm, codec="flac")).decode("ascii")


async def _heard(
    session: ReviewSession, rpc: RpcClient, stream: int, row: int, model: str
) -> TranscribeResult:
    """Cue ``row``'s audio recognised by ``model`` (the stored result when there is one)."""
    cue = session.cues[row]
    job_id = session.record.id
    cid = call_id(job_id, f"asr-redo-{model}", f"{round(cue.start * 1000)}-{round(cue.end * 1000)}")
    if (stored := session.store.result(cid)) is not None:
        return TranscribeResult.model_validate(stored)
    audio = await asyncio.to_thread(_span_audio, session, stream, cue.start, cue.end)
    params = TranscribeParams(
        audio=audio, offset_s=cue.start, language=session.source_language(), model=model,
        word_timestamps=True,
    )  # fmt: skip
    result = await rpc.call(TRANSCRIBE, params, timeout=RECOGNISE_TIMEOUT_S, job_id=job_id)
    models = session.store.artifact(job_id, REDO_MODELS) or []
    if model not in models:  # for word_times: which kinds of calls hold redone lines
        session.store.put_artifact(job_id, REDO_MODELS, [*models, model])
    session.store.save_result(cid, result.model_dump(mode="json"))
    return result


async def rerecognise(
    session: ReviewSession, rpc: RpcClient | None, rows: list[int], model: str
) -> RetranslateResult:
    """Recognise the audio of ``rows`` again with ``model``; each cue's source text becomes
    what it heard (a translated cue is then flagged stale: see
    :meth:`ReviewSession.edit_source`). A failed call keeps the old text, and the message
    says why; never raises for a failed call."""
    rows = sorted({r for r in rows if 0 <= r < len(session.cues)})
    if not rows:
        return RetranslateResult([], "Select the lines to recognise again first.", False)
    if rpc is None:
        return RetranslateResult(
            [], "The workers are not running, so nothing can be recognised now.", False
        )
    try:
        stream = await asyncio.to_thread(audio_stream, session)
    except (OSError, ValueError) as exc:
        return RetranslateResult([], f"The job's audio cannot be read: {exc}", False)
    changed: list[int] = []
    problems: list[str] = []
    for row in rows:
        try:
            result = await _heard(session, rpc, stream, row, model)
        except RpcError as exc:
            log.warning("review %s: cue %d not recognised again: %s", session.record.id, row, exc)
            problems.append(f"Cue {row + 1} kept its text: {exc.message}.")
            continue
        from vt_desktop.core.pipeline.recognise import words_of

        words = words_of([result])
        text = join_words(words, result.language)
        if not text.strip():
            problems.append(f"Cue {row + 1} kept its text: {model} heard no words in it.")
            continue
        confidences = tuple((w.text.strip(), round(w.probability, 3)) for w in words)
        before = session.cues[row]
        if session.edit_source(row, text, confidences) != before:
            changed.append(row)
    done = f"{len(changed)} of {len(rows)} line(s) recognised again with {model}."
    return RetranslateResult(changed, " ".join([done, *problems]), not problems)
