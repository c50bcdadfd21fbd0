"""Doubtful words: the recogniser's confidence in each word travels from the recognised words
to the stored cues, flags a line under review and is counted for the CLI's summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.pipeline.write import cue_records
from vt_desktop.core.review import ReviewSession, doubtful_lines, doubtful_spans
from vt_desktop.core.subtitles import DOUBTFUL, TimedWord, build_sentences, layout_cues, rules_for

HEARD = [("And", 0.98), ("so,", 0.91), ("my", 0.97), ("fellow", 0.32), ("Americans,", 0.88),
         ("ask", 0.99), ("not", 0.45)]  # fmt: skip


def _words() -> list[TimedWord]:
    return [TimedWord(f" {w}", i * 0.4, i * 0.4 + 0.35, p) for i, (w, p) in enumerate(HEARD)]


def _done_job(tmp_path: Path) -> tuple[JobStore, str]:
    store = JobStore(tmp_path / "jobs.sqlite3")
    job = store.create_job(JobSpec(input=tmp_path / "talk.mp4", targets=["en"], out_dir=tmp_path))
    cues = layout_cues(build_sentences(_words(), "en"), rules_for("en"))
    store.put_artifact(job, "cues-en", cue_records(cues, bilingual=False))
    store.update(job, state=JobState.DONE)
    return store, job


def test_each_cue_keeps_its_words_confidence_from_recognition_to_the_store() -> None:
    cues = layout_cues(build_sentences(_words(), "en"), rules_for("en"))
    assert [w for c in cues for w in c.source_words] == HEARD
    stored = cue_records(cues, bilingual=False)["cues"]
    assert [tuple(w) for c in stored for w in c["words"]] == HEARD


def test_review_flags_lines_with_words_under_the_threshold_and_marks_them(tmp_path: Path) -> None:
    store, job = _done_job(tmp_path)
    session = ReviewSession.open(store, job, "en", doubt_threshold=0.5)
    assert [DOUBTFUL in c.flags for c in session.cues] == [True]
    cue = session.cues[0]
    marked = [cue.source[a:b] for a, b in doubtful_spans(cue.source, cue.words, 0.5)]
    assert marked == ["fellow", "not"]
    strict = ReviewSession.open(store, job, "en", doubt_threshold=0.3)
    assert not any(DOUBTFUL in c.flags for c in strict.cues)
    assert doubtful_lines(store, job, "en", 0.5) == (1, 1)
    assert doubtful_lines(store, job, "en", 0.3) == (0, 1)


def test_a_retyped_line_is_no_longer_doubtful_and_stays_so_after_saving(tmp_path: Path) -> None:
    store, job = _done_job(tmp_path)
    session = ReviewSession.open(store, job, "en", doubt_threshold=0.5)
    moved = session.edit_times(0, 0.1, session.cues[0].end)
    assert DOUBTFUL in moved.flags, "moving a line settles nothing"
    edited = session.edit_text(0, "And so, my fellow Americans, ask not what")
    assert DOUBTFUL not in edited.flags and edited.words == ()
    session.save()
    again = ReviewSession.open(store, job, "en", doubt_threshold=0.5)
    assert DOUBTFUL not in again.cues[0].flags


@pytest.mark.parametrize(
    ("text", "words", "spans"),
    [
        ("a b a", (("a", 0.9), ("b", 0.9), ("a", 0.1)), [(4, 5)]),
        ("x y", (("x", 0.1), ("gone", 0.1), ("y", 0.9)), [(0, 1)]),
        ("", (("x", 0.1),), []),
    ],
)
def test_doubtful_spans_follow_the_words_in_order(
    text: str, words: tuple[tuple[str, float], ...], spans: list[tuple[int, int]]
) -> None:
    assert doubtful_spans(text, words, 0.5) == spans
