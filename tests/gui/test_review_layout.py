"""Every button of the Review page shows its whole text at the window's default size, in
English and in Russian, with the redo row at its widest (a dubbed job, lines with a changed
source) and after an edit (Undo keeps its short name; what it undoes is in its tooltip)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QAbstractButton, QApplication

from tests.gui.conftest import pump, settings_in
from vt_desktop.ui import i18n
from vt_desktop.ui.main_window import DEFAULT_SIZE, MainWindow
from vt_desktop.ui.view_model import RuntimeViewModel


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_review_button_shows_its_whole_text(
    qapp: QApplication, tmp_path: Path, language: str
) -> None:
    try:
        i18n.install(qapp, language)
        window = MainWindow(RuntimeViewModel(settings_in(tmp_path, ui_language=language)))
        window.resize(DEFAULT_SIZE)
        window.show()
        window.show_page("Review")
        page = window.review_view
        page.review.undo_stack.push(QUndoCommand("Drag the end of cue 123"))
        pump(50)  # the page settles (no job: the redo buttons are hidden or say 0)
        page.redo_bar.redub_button.setVisible(True)  # a dubbed job's row is the widest
        page.redo_bar.set_stale(123)
        pump(50)
        assert page.redo_bar.redub_button.isVisible()
        undo = page.actions_by_key["undo"]
        cut = {
            button.text(): (button.width(), button.sizeHint().width())
            for button in page.findChildren(QAbstractButton)
            if button.isVisible() and button.text() and button.width() < button.sizeHint().width()
        }
        if folder := os.environ.get("VT_LAYOUT_SHOTS"):
            window.grab().save(str(Path(folder) / f"review-layout-{language}.png"))
        undo_text, undo_tip = undo.text(), undo.toolTip()
        page.review.undo_stack.clear()
        window.deleteLater()
    finally:
        i18n.install(qapp, "en")
    assert cut == {}, f"buttons narrower than their text (width, needed): {cut}"
    assert undo_text == ("Undo" if language == "en" else "Отменить")
    assert "Drag the end of cue 123" in undo_tip
