"""Lines translated through English (the worker's pivot, no direct model for the pair) reach
the cues flagged ``pivoted`` and stay flagged in Review until someone retypes them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.pipeline.write import cue_records
from vt_desktop.core.review import ReviewSession, describe_flag
from vt_desktop.core.subtitles import PIVOTED, TimedWord, build_sentences, layout_cues, rules_for


def test_pivoted_sentences_are_flagged_until_retyped(tmp_path: Path) -> None:
    words = [TimedWord(" Bom", 0.0, 0.4), TimedWord(" dia.", 0.4, 0.9),
             TimedWord(" Até", 3.0, 3.4), TimedWord(" logo.", 3.4, 3.9)]  # fmt: skip
    first, second = build_sentences(words, "pt")
    sentences = [
        replace(first, translation="Guten Tag.", pivoted=True),
        replace(second, translation="Bis bald."),
    ]
    cues = layout_cues(sentences, rules_for("de"))
    assert [PIVOTED in c.flags for c in cues] == [True, False]

    store = JobStore(tmp_path / "jobs.sqlite3")
    job = store.create_job(JobSpec(input=tmp_path / "a.mp4", targets=["de"], out_dir=tmp_path))
    store.put_artifact(job, "cues-de", cue_records(cues, bilingual=False))
    store.update(job, state=JobState.DONE)
    session = ReviewSession.open(store, job, "de")
    assert PIVOTED in session.cues[0].flags
    assert "through English" in describe_flag(PIVOTED, session.rules)
    moved = session.edit_times(0, 0.05, session.cues[0].end)
    assert PIVOTED in moved.flags, "moving a line settles nothing"
    assert PIVOTED not in session.edit_text(0, "Guten Morgen.").flags, "retyped: settled"
