"""The Review page as a subtitle editor: split, merge, insert, delete, shift, undo/redo from the
keyboard, the flag filter and counts, set times from the player, and crash safety.

Each test stores a finished job of its own (a real JobStore file with the ``cues-pt`` artifact
the pipeline writes and a real 12 s video) and drives the real page and its widgets; no worker
is needed to edit.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QMenu, QWidget
from pytestqt.qtbot import QtBot

from tests.gui.conftest import close_review_page, pump, pump_until, settings_in
from tests.support.media import make_video
from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.review import ReviewSession
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.review.view import ReviewView
from vt_desktop.ui.review.view_model import COLUMNS
from vt_desktop.ui.shortcuts import SHORTCUTS, ShortcutsDialog
from vt_desktop.ui.view_model import RuntimeViewModel

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
TEXT = COLUMNS.index("Translation")


def record(start: float, end: float, text: str, source: str, *flags: str) -> dict[str, Any]:
    return {"start": start, "end": end, "lines": [text], "source": source, "flags": list(flags)}


CUES = [
    record(1.0, 3.0, "Bom dia a todos.", "Good morning everyone."),
    record(3.5, 5.5, "See you later.", "See you later.", "untranslated"),
    record(
        8.0,
        8.6,
        "Muito obrigado a todos vocês por virem.",
        "Thanks for coming.",
        "cps",
        "too_short",
    ),
    record(9.0, 11.0, "Tchau.", "Bye."),
]


@pytest.fixture
def view_model(tmp_path: Path) -> RuntimeViewModel:
    """Settings in ``tmp_path`` whose job store holds one finished job with ``CUES``."""
    settings = settings_in(tmp_path)
    settings.data_dir.mkdir(parents=True)
    store = JobStore(settings.data_dir / "jobs.sqlite3")
    video = make_video(tmp_path / "talk.mp4", audio=None, seconds=12.0)
    job = store.create_job(JobSpec(input=video, targets=["pt"], out_dir=tmp_path / "out"))
    store.put_artifact(job, "cues-pt", {"bilingual": False, "cues": CUES})
    store.put_artifact(job, "plan", {"duration_s": 12.0})
    store.update(job, state=JobState.DONE)
    store.close()
    return RuntimeViewModel(settings)


def open_page(view_model: RuntimeViewModel, qtbot: QtBot) -> ReviewView:
    page = ReviewView(view_model)
    page.resize(1100, 640)
    page.show()
    page.activateWindow()
    qtbot.waitUntil(lambda: page.review.session is not None, timeout=5000)
    page.table.setFocus()
    return page


@pytest.fixture
def page(view_model: RuntimeViewModel, qtbot: QtBot) -> Iterator[ReviewView]:
    view = open_page(view_model, qtbot)
    yield view
    close_review_page(view)


def screenshot(widget: QWidget, name: str) -> None:
    if shots := os.environ.get("VT_SCREENSHOT_DIR"):
        widget.grab().save(str(Path(shots) / name))


def texts(page: ReviewView) -> list[str]:
    session = page.review.session
    assert session is not None
    return [c.text for c in session.cues]


def go_to(page: ReviewView, row: int) -> None:
    page.table.selectRow(row)
    page.table.setCurrentIndex(page.table_model.index(row, TEXT))


def test_split_at_the_text_cursor_then_merge_and_undo_redo_from_the_keyboard(
    page: ReviewView,
) -> None:
    go_to(page, 0)
    page.table.edit(page.table.currentIndex())
    editor = page.table.findChild(QLineEdit)
    assert editor is not None and editor.isVisible()
    editor.setCursorPosition(len("Bom dia "))
    QTest.keyClick(editor, Qt.Key.Key_S, CTRL_SHIFT)
    assert texts(page)[:2] == ["Bom dia", "a todos."]
    assert page.table_model.rowCount() == 5
    assert page.review.undo_stack.undoText() == "Split cue 1"
    QTest.keyClick(page.table, Qt.Key.Key_M, CTRL_SHIFT)  # merge the current cue (row 0) back
    assert texts(page)[0] == "Bom dia a todos." and len(texts(page)) == 4
    QTest.keyClick(page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert texts(page)[:2] == ["Bom dia", "a todos."]
    QTest.keyClick(page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert texts(page) == [c["lines"][0] for c in CUES]
    QTest.keyClick(page.table, Qt.Key.Key_Z, CTRL_SHIFT)
    assert texts(page)[:2] == ["Bom dia", "a todos."]
    assert page.table_model.cell(1, TEXT) == "a todos."
    assert "edits saved, not exported" in page.summary.text()


def test_shift_refuses_an_overlap_with_its_reason_then_shifts_and_undoes(
    page: ReviewView,
) -> None:
    session = page.review.session
    assert session is not None
    before = list(session.cues)
    go_to(page, 1)
    page.shift_box.setValue(2.6)
    QTest.keyClick(page.table, Qt.Key.Key_T, CTRL_SHIFT)
    assert page.message.objectName() == "ReviewError" and page.message.isVisible()
    assert page.message.text() == (
        "Shifting by +2.600 s: cue 2 would overlap cue 3, which starts at 00:08.000. "
        "The selected cues can move forward by 2.500 s at most."
    )
    assert session.cues == before
    page.shift_box.setValue(-0.5)
    QTest.keyClick(page.table, Qt.Key.Key_F, CTRL_SHIFT)  # cue 2 and all after it
    assert [c.start for c in session.cues] == [1.0, 3.0, 7.5, 8.5]
    assert page.table_model.cell(3, COLUMNS.index("Start")) == "00:08.500"
    page.actions_by_key["undo"].trigger()
    assert session.cues == before


def test_insert_and_delete_from_the_keyboard_and_the_empty_cue_is_flagged(
    page: ReviewView,
) -> None:
    go_to(page, 1)
    QTest.keyClick(page.table, Qt.Key.Key_I, CTRL_SHIFT)
    session = page.review.session
    assert session is not None and len(session.cues) == 5
    assert (session.cues[2].start, session.cues[2].end, session.cues[2].text) == (5.5, 7.5, "")
    assert page.table_model.cell(2, COLUMNS.index("Flags")) == "no text"
    assert page.table.currentIndex().row() == 2, "the new cue is current, ready to type"
    QTest.keyClick(page.table, Qt.Key.Key_D, CTRL_SHIFT)
    assert texts(page) == [c["lines"][0] for c in CUES]
    page.table.setCurrentIndex(QModelIndex())
    page.split_current()
    assert page.message.text() == "Click the cue to change first."
    page.table.selectAll()
    QTest.keyClick(page.table, Qt.Key.Key_D, CTRL_SHIFT)
    assert page.message.text().startswith("The job's 4 cue(s) cannot all be deleted")
    assert len(texts(page)) == 4


def test_the_flag_filter_shows_one_kind_and_the_status_line_counts_each(
    page: ReviewView,
) -> None:
    column = page.table_model.cell(1, COLUMNS.index("Flags"))
    assert column == "untranslated"
    assert page.table_model.cell(2, COLUMNS.index("Flags")) == "too fast, too short"
    summary = page.summary.text()
    assert "flagged: 2 (too fast 1, too short 1, untranslated 1)" in summary, summary
    choices = [page.filter_combo.itemText(i) for i in range(page.filter_combo.count())]
    assert choices == [
        "All cues", "Any flag (2)", "too fast (1)", "too short (1)", "untranslated (1)",
    ]  # fmt: skip
    page.filter_combo.setCurrentIndex(page.filter_combo.findData("untranslated"))
    hidden = [page.table.isRowHidden(r) for r in range(4)]
    assert hidden == [True, False, True, True]
    page.filter_combo.setCurrentIndex(page.filter_combo.findData("*"))
    pump(100)
    screenshot(page, "review-editing-filter.png")
    assert [page.table.isRowHidden(r) for r in range(4)] == [True, False, False, True]
    go_to(page, 1)
    page.review.edit(1, "text", "Até logo.")  # fixed: still shown while it is current
    assert not page.table.isRowHidden(1)
    assert page.filter_combo.itemText(1) == "Any flag (1)"
    page.filter_combo.setCurrentIndex(0)
    page.filter_combo.setCurrentIndex(page.filter_combo.findData("*"))
    assert [page.table.isRowHidden(r) for r in range(4)] == [True, True, False, True]
    page.filter_combo.setCurrentIndex(0)
    assert not any(page.table.isRowHidden(r) for r in range(4))


def test_next_flagged_and_set_start_and_end_from_the_player(page: ReviewView) -> None:
    go_to(page, 0)
    QTest.keyClick(page.table, Qt.Key.Key_F8)
    assert page.table.currentIndex().row() == 1
    QTest.keyClick(page.table, Qt.Key.Key_F8)
    assert page.table.currentIndex().row() == 2
    QTest.keyClick(page.table, Qt.Key.Key_F8)
    assert page.message.text() == "No flagged cue after this one."
    QTest.keyClick(page.table, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    assert page.table.currentIndex().row() == 1
    pump_until(lambda: page.preview.showing_picture, 30, "the preview's first frame")
    go_to(page, 2)
    page.preview.seek(7600)
    pump_until(lambda: abs(page.preview.player.position() - 7600) < 60, 10, "the seek")
    position = page.preview.player.position() / 1000
    QTest.keyClick(page.table, Qt.Key.Key_F11)
    session = page.review.session
    assert session is not None and session.cues[2].start == pytest.approx(position)
    assert "too short" not in page.table_model.cell(2, COLUMNS.index("Flags"))
    page.preview.seek(9500)
    pump_until(lambda: abs(page.preview.player.position() - 9500) < 60, 10, "the seek")
    QTest.keyClick(page.table, Qt.Key.Key_F12)
    assert page.message.text().startswith("Cue 3 would overlap cue 4, which starts at 00:09.000")
    assert session.cues[2].end == 8.6


def test_edits_are_in_the_store_when_the_page_is_reopened_without_export(
    view_model: RuntimeViewModel, qtbot: QtBot
) -> None:
    page = open_page(view_model, qtbot)
    go_to(page, 0)
    page.split_current()
    page.review.edit(0, "text", "Bom dia, gente")
    go_to(page, 3)
    page.shift_box.setValue(0.2)
    page.shift_selected()
    edited = texts(page)
    session = page.review.session
    assert session is not None
    job_id, cues = session.record.id, list(session.cues)
    assert not page.has_unsaved_changes(), "nothing would be lost by closing"
    close_review_page(page)  # no Export: as if the window closed or the app crashed

    again = open_page(view_model, qtbot)
    try:
        assert texts(again) == edited and edited[0] == "Bom dia, gente"
        assert again.review.session is not None and again.review.session.cues == cues
        assert "edits saved, not exported" in again.summary.text()
        stored = ReviewSession.open(again.review.store, job_id, "pt", draft=False)
        assert [c.text for c in stored.cues] == [c["lines"][0] for c in CUES], "not exported"
    finally:
        close_review_page(again)


def test_help_lists_every_shortcut_and_the_page_uses_the_same_keys(
    view_model: RuntimeViewModel, qtbot: QtBot
) -> None:
    window = MainWindow(view_model)
    qtbot.addWidget(window)
    help_menu = window.menuBar().actions()[-1].menu()
    assert isinstance(help_menu, QMenu)
    assert window.shortcuts_action in help_menu.actions()
    window.shortcuts_action.trigger()
    dialog = window.shortcuts_dialog
    assert isinstance(dialog, ShortcutsDialog) and dialog.isVisible()
    items = [[dialog.table.item(r, c) for c in range(3)] for r in range(dialog.table.rowCount())]
    rows = [tuple(item.text() if item else "" for item in row) for row in items]
    assert ("Ctrl+Shift+S", "Split the cue at the text cursor (in the middle when not typing)",
            "Review") in rows  # fmt: skip
    assert len(rows) == len(SHORTCUTS)
    for key, action in window.review_view.actions_by_key.items():
        listed = next(s for s in SHORTCUTS if s.key == key)
        assert action.shortcut().toString() == listed.keys, key
    pump(100)
    screenshot(dialog, "review-shortcuts.png")
    dialog.close()


def test_the_window_closes_without_asking_and_reopens_with_the_edits(
    view_model: RuntimeViewModel, qtbot: QtBot
) -> None:
    window = MainWindow(view_model)
    qtbot.addWidget(window)
    window.show()
    page = window.review_view
    qtbot.waitUntil(lambda: page.review.session is not None, timeout=5000)
    go_to(page, 0)
    assert page.review.edit(0, "text", "Fechado sem exportar")
    assert window.close(), "nothing to lose: the window closes at once"
    assert window.discard_box is None
    page.preview.player.stop()
    page.review.close()

    again = MainWindow(RuntimeViewModel(view_model.settings))
    qtbot.addWidget(again)
    page = again.review_view
    qtbot.waitUntil(lambda: page.review.session is not None, timeout=5000)
    assert texts(page)[0] == "Fechado sem exportar"
    page.preview.player.stop()
    page.review.close()
