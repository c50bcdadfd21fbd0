"""A target nothing installed translates into: the Jobs page offers the model that would
serve it, and the button starts that download on the Models page (issue 17: "the window shows
the same under the target field and offers the download")."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.gui.conftest import pump_until, settings_in
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.view_model import RuntimeViewModel
from worker.protocol.mt import EngineLanguages, LanguagePairs


def bergamot_only() -> list[EngineLanguages]:
    """What a fresh install's workers answer to ``mt.languages`` (en ↔ pt only)."""
    return [
        EngineLanguages(
            engine="bergamot",
            available=True,
            takes_text=True,
            pairs=[
                LanguagePairs(sources=["en"], targets=["pt"]),
                LanguagePairs(sources=["pt"], targets=["en"]),
            ],
        )
    ]


def test_a_target_without_a_model_offers_its_download_on_the_models_page(
    qt_loop: object, qtbot: QtBot, tmp_path: Path
) -> None:
    window = MainWindow(RuntimeViewModel(settings_in(tmp_path)))
    window.show()
    try:
        view = window.jobs_view
        view.targets.set_engines(bergamot_only())
        view.targets.setText("pt")
        view.targets.editingFinished.emit()
        assert view.get_model.isHidden(), "Portuguese translates: nothing to offer"
        view.targets.setText("pt, de")
        view.targets.editingFinished.emit()
        assert view.get_model.isVisible()
        assert view.get_model.text() == "Download opus-mt-en-de (≈ 155 MB)"
        assert "German: not available" in view.targets.ways.text()
        view.transcribe.setChecked(True)
        assert view.get_model.isHidden(), "a transcript translates nothing"
        view.transcribe.setChecked(False)
        assert view.get_model.isVisible()

        view.get_model.click()
        assert window.current_page() == "Models"
        models = window.models_view
        # No workers run here: the Models page says why the download cannot start now.
        pump_until(lambda: "opus-mt-en-de" in models.message.text(), 20, "the download's answer")
    finally:
        window.close()
