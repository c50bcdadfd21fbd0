"""Editing a review session as in a subtitle editor: split, merge, insert, delete, shift, undo.

Each job is stored for real (a JobStore file with the ``cues-<lang>`` artifact the pipeline
writes, and for word timings the recogniser's stored call result); every edit must be in the
store the moment it is made, and every refusal must say why and change nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.jobs.store import JobStore, call_id
from vt_desktop.core.review import EMPTY, STALE, ReviewError, ReviewSession, draft_key
from vt_desktop.core.review.edits import (
    delete_cues,
    edit_source,
    edit_text,
    insert_cue,
    merge_with_next,
    redo,
    set_time,
    shift_cues,
    shift_from,
    split_cue,
    undo,
)


def record(start: float, end: float, text: str, source: str = "", **extra: Any) -> dict[str, Any]:
    return {"start": start, "end": end, "lines": text.split("\n"), "source": source,
            "flags": [], **extra}  # fmt: skip


CUES = [
    record(
        1.0,
        3.0,
        "Bom dia a todos.",
        "Good morning everyone.",
        words=[["Good", 0.9], ["morning", 0.3], ["everyone.", 0.95]],
    ),
    record(3.5, 5.5, "Até logo.", "See you later."),
    record(8.0, 10.0, "Obrigado.", "Thank you."),
]


def stored_job(tmp_path: Path, cues: list[dict[str, Any]], duration: float = 12.0) -> JobStore:
    store = JobStore(tmp_path / "jobs.sqlite3")
    job = store.create_job(JobSpec(input=tmp_path / "a.mp4", targets=["pt"], out_dir=tmp_path))
    store.put_artifact(job, "cues-pt", {"bilingual": False, "cues": cues})
    store.put_artifact(job, "plan", {"duration_s": duration})
    store.update(job, state=JobState.DONE)
    return store


@pytest.fixture
def session(tmp_path: Path) -> ReviewSession:
    store = stored_job(tmp_path, CUES)
    return ReviewSession.open(store, store.jobs()[0].id, "pt")


def reopened(session: ReviewSession) -> ReviewSession:
    """The session as a new window opens it from the store (no export in between)."""
    return ReviewSession.open(session.store, session.record.id, "pt")


def test_split_divides_text_and_time_by_characters_and_is_saved_at_once(
    session: ReviewSession,
) -> None:
    at = session.cues[0].text.index("a todos")
    edit = split_cue(session, 0, at)
    first, second = session.cues[0], session.cues[1]
    assert (first.text, second.text) == ("Bom dia", "a todos.")
    assert first.start == 1.0 and second.end == 3.0 and first.end == second.start
    assert first.end == pytest.approx(1.0 + 2.0 * 6 / 13)  # 6 of 13 letters before the cursor
    assert first.source == "Good morning" and second.source == "everyone."
    assert [w for w, _ in first.words] == ["Good", "morning"]
    assert len(session.cues) == 4 and edit.first == 0 and len(edit.after) == 2
    again = reopened(session)
    assert [c.text for c in again.cues] == ["Bom dia", "a todos.", "Até logo.", "Obrigado."]
    assert again.dirty, "opened from the draft: not exported yet"


def test_split_moves_to_the_pause_between_recognised_words(tmp_path: Path) -> None:
    store = stored_job(tmp_path, [record(0.0, 4.0, "Um dois três quatro", "one two three four")])
    job = store.jobs()[0].id
    words = [("one", 0.0, 0.5), ("two", 0.6, 1.0), ("three", 2.6, 3.0), ("four", 3.1, 3.9)]
    store.save_result(call_id(job, "asr", 0), {
        "language": "en", "language_probability": 1.0, "duration": 4.0, "model": "tiny.en",
        "device": "cpu", "compute_s": 0.1,
        "segments": [{"start": 0.0, "end": 4.0, "text": "one two three four",
                      "words": [{"start": s, "end": e, "word": f" {w}", "probability": 0.9}
                                for w, s, e in words]}],
    })  # fmt: skip
    session = ReviewSession.open(store, job, "pt")
    split_cue(session, 0, len("Um dois"))  # 7 of 16 letters: 1.75 s by characters
    assert session.cues[0].end == pytest.approx((1.0 + 2.6) / 2), "the pause after 'two'"
    assert (session.cues[0].source, session.cues[1].source) == ("one two", "three four")


def test_split_refusals_say_why_and_change_nothing(session: ReviewSession) -> None:
    before = list(session.cues)
    with pytest.raises(ReviewError, match="Cue 1: put the cursor between two words to split it; "
                       "there is no text before the cursor"):  # fmt: skip
        split_cue(session, 0, 0)
    with pytest.raises(ReviewError, match="no text after the cursor"):
        split_cue(session, 1, len("Até logo."))
    with pytest.raises(ReviewError, match="There is no cue 9 \\(the job has 3\\)"):
        split_cue(session, 8, 1)
    session.edit_times(1, 3.5, 3.65)
    before[1] = session.cues[1]
    with pytest.raises(ReviewError, match=r"Cue 2 is on screen for 0\.150 s: too short to split"):
        split_cue(session, 1, 3)
    assert session.cues == before


def test_merge_joins_text_source_and_times_and_undo_restores_both(
    session: ReviewSession,
) -> None:
    before = list(session.cues)
    edit = merge_with_next(session, 0)
    merged = session.cues[0]
    assert (merged.start, merged.end) == (1.0, 5.5) and len(session.cues) == 2
    assert merged.text.replace("\n", " ") == "Bom dia a todos. Até logo."
    assert merged.source == "Good morning everyone. See you later."
    undo(session, edit)
    assert session.cues == before
    assert reopened(session).cues == before, "the undo is saved too"
    redo(session, edit)
    assert session.cues[0] == merged and reopened(session).cues[0] == merged
    with pytest.raises(ReviewError, match="Cue 2 is the last one: there is no next cue"):
        merge_with_next(session, 1)


def test_insert_puts_an_empty_flagged_cue_in_the_gap_and_export_leaves_it_out(
    session: ReviewSession,
) -> None:
    insert_cue(session, 1)  # 5.5 .. 8.0: 2 s fit
    new = session.cues[2]
    assert (new.start, new.end, new.text) == (5.5, 7.5, "") and EMPTY in new.flags
    assert len(session.written()) == 3, "no empty cue in the files"
    edited = session.edit_text(2, "Nova linha")
    assert EMPTY not in edited.flags and len(session.written()) == 4
    insert_cue(session, -1)
    assert (session.cues[0].start, session.cues[0].end) == (0.0, 1.0)
    with pytest.raises(ReviewError, match=r"There is no room for a new cue after cue 3, which "
                       r"ends at 00:05\.500: cue 4 starts at 00:05\.500"):  # fmt: skip
        insert_cue(session, 2)
    assert [c.text for c in reopened(session).cues][:3] == ["", "Bom dia a todos.", "Até logo."]


def test_delete_removes_the_rows_and_refuses_to_empty_the_track(session: ReviewSession) -> None:
    before = list(session.cues)
    edit = delete_cues(session, [0, 2])
    assert session.cues == [before[1]]
    assert reopened(session).cues == [before[1]]
    with pytest.raises(ReviewError, match="The job's 1 cue\\(s\\) cannot all be deleted"):
        delete_cues(session, [0])
    with pytest.raises(ReviewError, match="Select the cues to delete first"):
        delete_cues(session, [])
    undo(session, edit)
    assert session.cues == before


def test_shift_moves_selected_cues_and_refuses_overlaps_with_how_far_they_can_go(
    session: ReviewSession,
) -> None:
    before = list(session.cues)
    shift_cues(session, [1], 1.25)
    assert (session.cues[1].start, session.cues[1].end) == (4.75, 6.75)
    with pytest.raises(ReviewError, match=r"Shifting by \+2.000 s: cue 2 would overlap cue 3, "
                       r"which starts at 00:08.000. The selected cues can move forward by "
                       r"1.250 s at most"):  # fmt: skip
        shift_cues(session, [1], 2.0)
    with pytest.raises(ReviewError, match=r"cue 1 would start before the video does. The "
                       r"selected cues can move back by 1.000 s at most"):  # fmt: skip
        shift_cues(session, [0, 1], -1.5)
    with pytest.raises(ReviewError, match=r"cue 3 would end past the end of the video "
                       r"\(00:12.000\)"):  # fmt: skip
        shift_from(session, 2, 2.5)
    with pytest.raises(ReviewError, match="Give an offset other than 0"):
        shift_cues(session, [0], 0.0)
    assert session.cues[0] == before[0] and session.cues[2] == before[2]
    shift_from(session, 0, -1.0)
    assert [c.start for c in session.cues] == [0.0, 3.75, 7.0]
    assert [c.start for c in reopened(session).cues] == [0.0, 3.75, 7.0]


def test_text_and_player_time_edits_undo_and_export_drops_the_draft(
    session: ReviewSession,
) -> None:
    edit = edit_text(session, 0, "Olá")
    assert edit is not None and session.cues[0].text == "Olá"
    assert edit_text(session, 0, "Olá") is None, "nothing changed, nothing to undo"
    moved = set_time(session, 1, "end", 6.0)
    assert moved is not None and session.cues[1].end == 6.0
    with pytest.raises(ReviewError, match="Cue 2 would overlap cue 3"):
        set_time(session, 1, "end", 9.0)
    undo(session, moved)
    undo(session, edit)
    assert session.cues[0].text == "Bom dia a todos." and session.cues[1].end == 5.5
    with pytest.raises(ReviewError, match="changed since this edit"):
        undo(session, edit)
    session.save()
    assert session.store.artifact(session.record.id, draft_key("pt")) is None
    assert not reopened(session).dirty
    session.edit_text(2, "Valeu.")
    session.discard_draft()
    assert reopened(session).cues[2].text == "Obrigado."


def test_an_edit_the_store_cannot_keep_stays_in_the_session_with_the_reason(
    session: ReviewSession,
) -> None:
    session.store.close()  # the file went away under the window
    edit = split_cue(session, 1, len("Até"))
    assert [c.text for c in session.cues][1:3] == ["Até", "logo."], "the edit is kept"
    assert session.save_error is not None
    assert session.save_error.startswith("The edits could not be saved in the job store: ")
    undo(session, edit)
    assert len(session.cues) == 3 and session.save_error is not None


def test_edits_made_before_the_job_ran_again_are_set_aside_with_a_notice(
    session: ReviewSession,
) -> None:
    session.edit_text(0, "Antes de refazer")
    store, job = session.store, session.record.id
    assert reopened(session).notice is None and reopened(session).dirty
    rerun = [*CUES[:2], record(8.0, 10.5, "Muito obrigado.", "Thank you very much.")]
    store.put_artifact(job, "cues-pt", {"bilingual": False, "cues": rerun})  # the job ran again
    fresh = reopened(session)
    assert [c.text for c in fresh.cues] == ["Bom dia a todos.", "Até logo.", "Muito obrigado."]
    assert not fresh.dirty
    assert fresh.notice == (
        f"Job {job} was run again after the last pt edits, so these are its new cues; the "
        "edits were set aside, and editing now replaces them."
    )
    fresh.edit_text(2, "Valeu.")
    again = reopened(fresh)
    assert again.notice is None and [c.text for c in again.cues][2] == "Valeu."


def test_an_edited_source_marks_its_translation_stale_until_it_is_translated_again(
    session: ReviewSession,
) -> None:
    edit = edit_source(session, 1, "  See you   tomorrow. ")
    assert edit is not None
    cue = session.cues[1]
    assert cue.source == "See you tomorrow." and cue.text == "Até logo.", "translation kept"
    assert STALE in cue.flags and cue.words == ()
    assert STALE in reopened(session).cues[1].flags, "saved in the draft at once"
    assert edit_source(session, 1, "See you tomorrow.") is None, "nothing changed"
    undo(session, edit)
    assert session.cues[1] == edit.before[0] and STALE not in session.cues[1].flags
    redo(session, edit)
    session.edit_text(1, "Até logo.")  # the same words, retyped: the reviewer settled it
    assert STALE not in session.cues[1].flags and session.cues[1].text == "Até logo."
    assert [c.source for c in session.cues] == [
        "Good morning everyone.", "See you tomorrow.", "Thank you."
    ], "the other lines untouched"  # fmt: skip


def test_an_untranslated_cue_shows_its_edited_source_and_is_not_stale(tmp_path: Path) -> None:
    store = stored_job(
        tmp_path, [record(1.0, 3.0, "Hello there.", "Hello there.", flags=["untranslated"])]
    )
    session = ReviewSession.open(store, store.jobs()[0].id, "pt")
    session.edit_source(0, "Hello, everyone.")
    cue = session.cues[0]
    assert (cue.source, cue.text) == ("Hello, everyone.", "Hello, everyone.")
    assert STALE not in cue.flags and "untranslated" in cue.flags
    with pytest.raises(ReviewError, match="Cue 1 needs source text"):
        session.edit_source(0, "   ")
