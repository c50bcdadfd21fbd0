"""The waveform under the Review page's player: a cue's edge dragged with the mouse is an
undoable edit, a click seeks, the view follows the player, and a long job paints fast.

Each test stores a finished job of its own (a real JobStore file with the ``cues-pt`` artifact
the pipeline writes and a real 11 s video with the JFK speech) and drives the real page; no
worker is needed. The job has no envelope kept, so the page makes it once from the video.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from tests.gui.conftest import close_review_page, pump, pump_until, settings_in
from tests.support.media import make_video
from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.media.envelope import BIN_S, Envelope, envelope_path, load_envelope
from vt_desktop.core.review import ReviewSession, format_time
from vt_desktop.ui.review.view import ReviewView
from vt_desktop.ui.review.view_model import COLUMNS
from vt_desktop.ui.review.waveform import WaveformView
from vt_desktop.ui.view_model import RuntimeViewModel

LEFT = Qt.MouseButton.LeftButton
NO_KEYS = Qt.KeyboardModifier.NoModifier


def record(start: float, end: float, text: str) -> dict[str, Any]:
    return {"start": start, "end": end, "lines": [text], "source": text, "flags": []}


CUES = [
    record(0.4, 3.0, "E assim, meus caros americanos,"),
    record(3.4, 6.0, "não perguntem o que o vosso país pode fazer por vós,"),
    record(6.5, 10.5, "perguntem o que vós podeis fazer pelo vosso país."),
]


@pytest.fixture
def job(tmp_path: Path) -> tuple[RuntimeViewModel, str]:
    """Settings in ``tmp_path`` whose job store holds one finished job with ``CUES``."""
    settings = settings_in(tmp_path)
    settings.data_dir.mkdir(parents=True)
    store = JobStore(settings.data_dir / "jobs.sqlite3")
    video = make_video(tmp_path / "jfk talk.mp4")
    job_id = store.create_job(JobSpec(input=video, targets=["pt"], out_dir=tmp_path / "out"))
    store.put_artifact(job_id, "cues-pt", {"bilingual": False, "cues": CUES})
    store.put_artifact(job_id, "plan", {"duration_s": 11.0})
    store.update(job_id, state=JobState.DONE)
    store.close()
    return RuntimeViewModel(settings), job_id


@pytest.fixture
def page(job: tuple[RuntimeViewModel, str], qtbot: QtBot) -> Iterator[ReviewView]:
    view_model, _ = job
    view = ReviewView(view_model)
    view.resize(1100, 700)
    view.show()
    qtbot.waitUntil(lambda: view.review.session is not None, timeout=5000)
    pump_until(lambda: view.preview.waveform.envelope is not None, 30, "the waveform")
    yield view
    close_review_page(view)


def screenshot(widget: QWidget, name: str) -> None:
    if shots := os.environ.get("VT_SCREENSHOT_DIR"):
        widget.grab().save(str(Path(shots) / name))


def at(waveform: WaveformView, seconds: float) -> QPoint:
    return QPoint(round(waveform.x_of(seconds)), waveform.height() // 2)


def times(page: ReviewView) -> list[tuple[float, float]]:
    session = page.review.session
    assert session is not None
    return [(c.start, c.end) for c in session.cues]


def drag(waveform: WaveformView, start: QPoint, end: QPoint) -> None:
    """Press, move in a few steps, release: real mouse events on the widget."""
    QTest.mousePress(waveform, LEFT, NO_KEYS, start)
    for step in range(1, 5):
        QTest.mouseMove(waveform, start + (end - start) * (step / 4))
    QTest.mouseRelease(waveform, LEFT, NO_KEYS, end)


def test_the_page_makes_the_envelope_from_the_video_once_and_keeps_it(
    page: ReviewView, job: tuple[RuntimeViewModel, str]
) -> None:
    view_model, job_id = job
    envelope = page.preview.waveform.envelope
    assert envelope is not None and envelope.duration_s == pytest.approx(11.0, abs=0.1)
    assert float(envelope.highs.max()) > 0.3  # speech, not silence
    kept = envelope_path(view_model.settings.data_dir, job_id)
    assert load_envelope(kept) is not None
    assert page.preview.waveform.cues == [(c["start"], c["end"]) for c in CUES]
    screenshot(page, "review-waveform.png")


def test_dragging_a_cue_end_changes_its_time_and_undo_puts_it_back(
    page: ReviewView, job: tuple[RuntimeViewModel, str]
) -> None:
    waveform = page.preview.waveform
    drag(waveform, at(waveform, 3.0), at(waveform, 3.25))

    start, end = times(page)[0]
    assert start == 0.4
    assert end == pytest.approx(3.25, abs=waveform.span_s / waveform.width() + 0.001)
    assert waveform.cues[0][1] == end  # the region moved with it
    assert page.table_model.cell(0, COLUMNS.index("End")) == format_time(end)
    assert page.review.undo_stack.undoText() == "Drag the end of cue 1"
    _, job_id = job
    stored = ReviewSession.open(page.review.store, job_id, "pt")  # saved at once
    assert stored.cues[0].end == end

    page.review.undo_stack.undo()
    assert times(page)[0] == (0.4, 3.0)
    assert waveform.cues[0] == (0.4, 3.0)
    page.review.undo_stack.redo()
    assert times(page)[0] == (0.4, end)


def test_a_dragged_start_stops_at_the_cue_before(page: ReviewView) -> None:
    waveform = page.preview.waveform
    drag(waveform, at(waveform, 3.4), at(waveform, 1.0))  # far into cue 1

    start, end = times(page)[1]
    assert (start, end) == (3.0, 6.0)  # it touches cue 1's end: no overlap
    assert times(page)[0] == (0.4, 3.0)
    page.review.undo_stack.undo()
    assert times(page)[1] == (3.4, 6.0)


def test_a_click_seeks_the_player_and_shows_that_cue(page: ReviewView) -> None:
    preview = page.preview
    pump_until(lambda: preview.showing_picture, 30, "the first frame")
    waveform = preview.waveform
    point = at(waveform, 8.3)
    QTest.mouseClick(waveform, LEFT, NO_KEYS, point)

    assert waveform.position_s == pytest.approx(8.3, abs=0.05)
    pump_until(lambda: abs(preview.player.position() - 8300) < 120, 10, "the player to seek")
    pump_until(lambda: "perguntem o que vós" in preview.caption.toPlainText(), 5, "the caption")
    assert times(page)[2] == (6.5, 10.5)  # a click changes no cue
    assert waveform.current == 2


def test_the_wheel_zooms_and_the_view_follows_the_player(page: ReviewView) -> None:
    waveform = page.preview.waveform
    centre = QPointF(waveform.x_of(2.0), waveform.height() / 2)
    for _ in range(8):  # zoom in around 2 s
        event = QWheelEvent(
            centre, waveform.mapToGlobal(centre), QPoint(), QPoint(0, 120), Qt.MouseButton.NoButton,
            NO_KEYS, Qt.ScrollPhase.NoScrollPhase, False,
        )  # fmt: skip
        QApplication.sendEvent(waveform, event)
    assert waveform.span_s < 4.0
    assert waveform.start_s <= 2.0 < waveform.start_s + waveform.span_s

    page.preview.seek(9000)  # as a row click or the slider does
    assert waveform.start_s <= 9.0 < waveform.start_s + waveform.span_s
    pump(50)


def test_a_15_minute_job_paints_in_a_few_milliseconds_of_cpu(qtbot: QtBot) -> None:
    waveform = WaveformView()
    qtbot.addWidget(waveform)
    waveform.resize(700, 96)
    waveform.show()
    bins = round(15 * 60 / BIN_S)
    levels = np.abs(np.sin(np.arange(bins) / 40)).astype(np.float32)
    cues = [(i * 3.0, i * 3.0 + 2.5) for i in range(300)]
    waveform.set_cues(cues, 900.0)
    waveform.set_envelope(Envelope(-levels, levels))
    waveform.zoom(100.0)  # the whole job across the view
    durations = []
    for second in range(0, 900, 30):
        waveform.set_position(second * 1000)
        started = time.thread_time()  # CPU time: a busy shared machine does not count
        waveform.repaint()
        durations.append(time.thread_time() - started)
    assert waveform.span_s == pytest.approx(900.0)
    assert max(durations) < 0.03 and sorted(durations)[len(durations) // 2] < 0.01, durations
