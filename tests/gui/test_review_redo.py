"""Redo one line, not the job (issue 20 parts 4 and 5), on a real finished, dubbed job.

A private broker and one real worker (tiny.en, Bergamot en→pt, espeak-ng) run the JFK clip
into Portuguese with a dub. On the Review page a line's source text is edited (its
translation is flagged stale and re-translated in one click), a line is recognised again with
the multilingual ``base`` (from its packages) and a line is spoken again and exported: each
sends only that line's calls, and the rest of the dub stays the same to the sample.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit

from tests.gui.conftest import close_review_page, finished_job, pump_until
from tests.support.media import make_video
from vt_desktop.core.dubbing import GUARD_S, RATE
from vt_desktop.core.jobs.model import JobSpec
from vt_desktop.core.jobs.naming import dub_track
from vt_desktop.core.jobs.store import call_id
from vt_desktop.core.pipeline.recognise import words_of
from vt_desktop.core.review import STALE, ReviewSession
from vt_desktop.core.subtitles import join_words
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.review.columns import COLUMNS
from vt_desktop.ui.review.view import ReviewView
from vt_desktop.ui.view_model import RuntimeViewModel
from worker.protocol.asr import TranscribeResult

pytestmark = pytest.mark.slow
Window = tuple[MainWindow, RuntimeViewModel]
SOURCE = COLUMNS.index("Source")


@pytest.fixture(scope="module")
def job(running_window: Window, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The JFK clip run into Portuguese with a dub by the window's own queue; its id."""
    _, view_model = running_window
    home = tmp_path_factory.mktemp("redo-job")
    spec = JobSpec(
        input=make_video(home / "jfk talk.mp4", size=(320, 180)), targets=["pt"],
        out_dir=home / "out", model="tiny.en", formats=["srt", "mkv"], dub=True,
        dub_voices={"pt": "espeak-ng:pt"},
    )  # fmt: skip
    return finished_job(view_model, spec)


@pytest.fixture(scope="module")
def page(running_window: Window, job: str) -> Iterator[ReviewView]:
    _, view_model = running_window
    view = ReviewView(view_model)
    view.resize(1100, 680)
    view.show()
    view.open_job(job, "pt")
    pump_until(lambda: view.review.session is not None, 10, "the job's cues")
    yield view
    close_review_page(view)


def session_of(page: ReviewView) -> ReviewSession:
    session = page.review.session
    assert session is not None
    return session


def finished(page: ReviewView, words: str, timeout: float = 120) -> str:
    """Wait for the redo's message (it contains ``words``) and return it."""
    pump_until(lambda: words in page.message.text() and not page.review.busy, timeout, words)
    return page.message.text()


def samples(path: Path) -> npt.NDArray[np.float32]:
    with av.open(str(path)) as container:
        frames = [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]
    return np.concatenate(frames).astype(np.float32)


def test_an_edited_source_is_flagged_stale_and_retranslated_in_one_click(
    page: ReviewView,
) -> None:
    session = session_of(page)
    before = list(session.cues)
    index = page.table_model.index(0, SOURCE)
    page.table.setCurrentIndex(index)
    page.table.edit(index)
    editor = page.table.findChild(QLineEdit)
    assert editor is not None and editor.isVisible()
    editor.setText("And so, my friends, ask what you can do.")
    QTest.keyClick(editor, Qt.Key.Key_Return)
    pump_until(lambda: session.cues[0].source != before[0].source, 5, "the source edit")
    cue = session.cues[0]
    assert cue.source == "And so, my friends, ask what you can do."
    assert cue.text == before[0].text and STALE in cue.flags, "the translation is now stale"
    assert "source changed" in page.table_model.cell(0, COLUMNS.index("Flags"))
    assert page.filter_combo.findData(STALE) >= 0, "a filter for the stale lines"
    button = page.redo_bar.stale_button
    assert button.isEnabled() and button.text() == "Re-translate changed sources (1)"
    reopened = ReviewSession.open(page.review.store, session.record.id, "pt")
    assert reopened.cues[0].source == cue.source, "saved as a draft at once"
    if shots := os.environ.get("VT_SCREENSHOT_DIR"):
        page.grab().save(str(Path(shots) / "review-redo.png"))

    button.click()
    message = finished(page, "re-translated")
    assert message == "1 of 1 line(s) re-translated.", message
    cue = session.cues[0]
    assert STALE not in cue.flags and cue.text.strip() and cue.text != before[0].text
    assert not button.isEnabled()
    assert session.cues[1:] == before[1:], "the other lines untouched"
    stack = page.review.undo_stack
    assert stack.undoText() == "Re-translate 1 line(s)"
    stack.undo()
    assert session.cues[0].text == before[0].text and STALE in session.cues[0].flags
    stack.redo()
    assert session.cues[0] == cue


def test_a_line_recognised_again_with_base_reads_as_that_model_heard_it(
    page: ReviewView,
) -> None:
    session = session_of(page)
    row = len(session.cues) - 1
    before = list(session.cues)
    job = session.record.id
    page.table.selectRow(row)
    page.redo_bar.model_combo.setCurrentIndex(page.redo_bar.model_combo.findData("base"))
    assert page.redo_bar.model() == "base"
    page.redo_bar.recognise_button.click()
    message = finished(page, "recognised again", 300)
    assert message == "1 of 1 line(s) recognised again with base.", message
    keys = session.store.stored_keys(job, "asr-redo-base")
    assert len(keys) == 1, "one call, for this line only"
    stored = TranscribeResult.model_validate(
        session.store.result(call_id(job, "asr-redo-base", keys.pop()))
    )
    cue = before[row]
    assert stored.duration == pytest.approx(cue.end - cue.start, abs=0.05), "just its audio"
    assert "base" in stored.model and "tiny" not in stored.model, stored.model
    heard = join_words(words_of([stored]), stored.language)
    assert session.cues[row].source == heard
    # The line reads as base heard it: its words and base's confidence in each. (The text
    # alone no longer shows it: on 2026-12-04's pinned stack tiny.en and base hear this line
    # alike, word for word; their confidences differ.)
    confidences = [(w.word.strip(), round(w.probability, 3)) for s in stored.segments
                   for w in s.words]  # fmt: skip
    assert list(session.cues[row].words) == confidences
    assert list(session.cues[row].words) != list(cue.words), "still tiny.en's words"
    # Its translation is stale exactly when the words changed: the same words in other
    # confidences leave the translation as it was.
    assert (STALE in session.cues[row].flags) == (heard != cue.source), (heard, cue.source)
    assert session.cues[:row] == before[:row], "the other lines untouched"
    assert page.review.undo_stack.undoText() == "Recognise 1 line(s) again"


def test_redubbing_one_line_leaves_the_rest_of_the_dub_the_same_to_the_sample(
    page: ReviewView, tmp_path: Path
) -> None:
    session = session_of(page)
    page.export_button.click()  # the earlier tests' lines into the dub first
    assert finished(page, "Exported", 180).startswith("Exported")
    m4a = dub_track(session.record.spec, "pt")
    old = tmp_path / "old.m4a"
    shutil.copy(m4a, old)
    row = 0
    kind = "tts-pt"
    spoken = set(session.store.stored_keys(session.record.id, kind))
    assert page.review.edit(row, "text", "Uma frase nova, dita de outra maneira.")
    page.table.selectRow(row)
    assert page.redo_bar.redub_button.isEnabled()
    page.redo_bar.redub_button.click()
    message = finished(page, "spoken again")
    assert message.startswith("1 of 1 line(s) spoken again"), message
    assert len(session.store.stored_keys(session.record.id, kind) - spoken) == 1, "one call"
    page.export_button.click()
    assert "jfk talk.pt.dub.m4a" in finished(page, "Exported", 180)

    a, b = samples(old), samples(m4a)
    assert a.size == b.size
    cue = session.cues[row]
    following = session.cues[row + 1].start if row + 1 < len(session.cues) else a.size / RATE
    limit = following - GUARD_S
    lo, hi = round((cue.start - 0.3) * RATE), round((limit + 0.3) * RATE)
    outside = np.ones(a.size, dtype=bool)
    outside[max(0, lo) : hi] = False
    differ = np.nonzero((a != b) & outside)[0] / RATE
    assert differ.size == 0, (
        f"the other lines changed at {differ[:3]}…{differ[-3:]} s "
        f"({lo / RATE:.3f}–{hi / RATE:.3f} s redone)"
    )
    assert not np.array_equal(a[~outside], b[~outside]), "the line itself was spoken again"
    video = session.record.spec.out_dir / "jfk talk.subtitled.mkv"
    with av.open(str(video)) as container:
        assert len(container.streams.audio) == 2, "the dub is back in the video"
