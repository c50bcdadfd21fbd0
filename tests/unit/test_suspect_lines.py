"""Text the recogniser's checks think may be invented (a segment marked ``suspect`` by the
worker) reaches the cues flagged, and stays flagged in Review until someone retypes it."""

from __future__ import annotations

from pathlib import Path

from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.pipeline.recognise import words_of
from vt_desktop.core.pipeline.write import cue_records
from vt_desktop.core.review import ReviewSession, describe_flag
from vt_desktop.core.subtitles import SUSPECT, build_sentences, layout_cues, rules_for
from worker.protocol.asr import Segment, TranscribeResult, Word

LOOP = "repeats 'thank you' 3 times"


def _result() -> TranscribeResult:
    said = [("And", 0.0), ("so", 0.4), ("my", 0.8), ("friends.", 1.2)]
    looped = [("Thank", 6.0), ("you.", 6.4), ("Thank", 7.0), ("you.", 7.4), ("Thank", 8.0),
              ("you.", 8.4)]  # fmt: skip

    def seg(words: list[tuple[str, float]], suspect: str | None) -> Segment:
        return Segment(
            start=words[0][1], end=words[-1][1] + 0.3, text=" ".join(w for w, _ in words),
            words=[Word(start=t, end=t + 0.3, word=f" {w}", probability=0.9) for w, t in words],
            suspect=suspect,
        )  # fmt: skip

    return TranscribeResult(
        language="en", language_probability=1.0, duration=10.0, model="tiny.en", device="cpu",
        compute_s=0.1, segments=[seg(said, None), seg(looped, LOOP)],
    )  # fmt: skip


def test_a_suspect_segments_lines_are_flagged_and_the_others_are_not(tmp_path: Path) -> None:
    cues = layout_cues(build_sentences(words_of([_result()]), "en"), rules_for("en"))
    flagged = [c.text for c in cues if SUSPECT in c.flags]
    assert flagged and all("Thank you" in t for t in flagged)
    assert not any(SUSPECT in c.flags for c in cues if "friends" in c.text)

    store = JobStore(tmp_path / "jobs.sqlite3")
    job = store.create_job(JobSpec(input=tmp_path / "a.mp4", targets=["en"], out_dir=tmp_path))
    store.put_artifact(job, "cues-en", cue_records(cues, bilingual=False))
    store.update(job, state=JobState.DONE)
    session = ReviewSession.open(store, job, "en")
    row = next(i for i, c in enumerate(session.cues) if SUSPECT in c.flags)
    assert "may be invented" in describe_flag(SUSPECT, session.rules)
    moved = session.edit_times(row, session.cues[row].start + 0.1, session.cues[row].end)
    assert SUSPECT in moved.flags, "moving a line settles nothing"
    assert SUSPECT not in session.edit_text(row, "Thanks.").flags, "retyped: settled"
