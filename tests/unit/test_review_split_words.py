"""A split follows the cue's words as they are now, not the job's first recognition.

The job's recognition heard "one two three four" in 0-4 s with a pause after "two". A split
of an untouched cue (or one whose translation was retyped: its source is unchanged) moves to
that pause and cuts the source there. Once the source is retyped, those pauses belong to a text
the cue no longer has: the split stays where the characters put it. Once the line is
recognised again (*Recognise again*, here through a stand-in worker on the job's real audio),
the split moves to the pauses of the words that model heard, also after a restart.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, cast

import pytest

from tests.support.media import make_video
from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.jobs.store import JobStore, call_id
from vt_desktop.core.review import ReviewSession, rerecognise
from vt_desktop.core.review.edits import edit_source, edit_text, split_cue
from worker.protocol.asr import TranscribeParams, TranscribeResult
from worker.transport.client import RpcClient

HEARD = [("one", 0.0, 0.5), ("two", 0.6, 1.0), ("three", 2.6, 3.0), ("four", 3.1, 3.9)]
PAUSE_AFTER_TWO = (1.0 + 2.6) / 2
REDONE = [("one", 0.1, 0.4), ("two", 0.5, 0.8), ("three,", 0.9, 1.3), ("four.", 3.3, 3.8)]
PAUSE_AFTER_THREE = (1.3 + 3.3) / 2


def result(words: list[tuple[str, float, float]], model: str) -> dict[str, Any]:
    text = " ".join(w for w, _, _ in words)
    return {
        "language": "en", "language_probability": 1.0, "duration": 4.0, "model": model,
        "device": "cpu", "compute_s": 0.1,
        "segments": [{"start": 0.0, "end": 4.0, "text": text,
                      "words": [{"start": s, "end": e, "word": f" {w}", "probability": 0.9}
                                for w, s, e in words]}],
    }  # fmt: skip


def open_job(tmp_path: Path, video: Path | None = None) -> ReviewSession:
    store = JobStore(tmp_path / "jobs.sqlite3")
    spec = JobSpec(input=video or tmp_path / "a.mp4", targets=["pt"], out_dir=tmp_path)
    job = store.create_job(spec)
    cue = {"start": 0.0, "end": 4.0, "lines": ["Um dois três quatro"],
           "source": "one two three four", "flags": [],
           "words": [[w, 0.9] for w, _, _ in HEARD]}  # fmt: skip
    store.put_artifact(job, "cues-pt", {"bilingual": False, "cues": [cue]})
    store.put_artifact(job, "plan", {"duration_s": 11.0})
    store.save_result(call_id(job, "asr", 0), result(HEARD, "tiny.en"))
    store.update(job, state=JobState.DONE)
    return ReviewSession.open(store, job, "pt")


def parts(session: ReviewSession) -> list[tuple[float, float, str]]:
    return [(c.start, c.end, c.source) for c in session.cues]


def test_an_untouched_or_retranslated_cue_splits_at_the_pause_of_its_words(
    tmp_path: Path,
) -> None:
    session = open_job(tmp_path)
    edit_text(session, 0, "Um, dois, três, quatro")  # the translation retyped: same source
    split_cue(session, 0, len("Um, dois,"))
    assert parts(session) == [
        (0.0, pytest.approx(PAUSE_AFTER_TWO), "one two"),
        (pytest.approx(PAUSE_AFTER_TWO), 4.0, "three four"),
    ]


def test_a_retyped_source_splits_by_its_text_with_times_in_proportion(tmp_path: Path) -> None:
    session = open_job(tmp_path)
    edit_source(session, 0, "uno dos tres cuatro")  # no longer the words heard
    assert session.cues[0].words == ()
    split_cue(session, 0, len("Um dois"))  # 6 of 16 letters: 1.5 s, not the old pause (1.8)
    first, second = session.cues
    assert first.end == pytest.approx(4.0 * 6 / 16) == second.start
    assert (first.source, second.source) == ("uno dos", "tres cuatro")


class Worker:
    """Stands in for a worker with the ``base`` model: it hears ``REDONE`` in the audio."""

    def __init__(self) -> None:
        self.calls: list[TranscribeParams] = []

    async def call(self, _method: object, params: TranscribeParams, **_kw: Any) -> Any:
        self.calls.append(params)
        assert params.audio, "the line's real audio is sent"
        return TranscribeResult.model_validate(result(REDONE, "base"))


def test_a_line_recognised_again_splits_at_the_pause_of_the_words_it_heard(
    tmp_path: Path,
) -> None:
    session = open_job(tmp_path, make_video(tmp_path / "jfk talk.mp4"))
    worker = Worker()
    done = asyncio.run(rerecognise(session, cast(RpcClient, worker), [0], "base"))
    assert done.ok and len(worker.calls) == 1, done.message
    assert session.cues[0].source == "one two three, four."
    for each in (ReviewSession.open(session.store, session.record.id, "pt"), session):
        split_cue(each, 0, len("Um dois três"))  # 2.5 s by letters: the new pause (2.3 s)
        assert parts(each) == [
            (0.0, pytest.approx(PAUSE_AFTER_THREE), "one two three,"),
            (pytest.approx(PAUSE_AFTER_THREE), 4.0, "four."),
        ]
        assert [w for w, _ in each.cues[1].words] == ["four."]
