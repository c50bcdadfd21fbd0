"""The target-language field: names in the UI's language, search, several languages at once,
and the mark of those the workers translate into now, from a real ``mt`` service's answer
(Bergamot as shipped, plus a tiny CTranslate2 Opus-MT en → de pair for the way via English)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.gui.conftest import pump_until, settings_in, window_online
from tests.mt.tiny_ct2 import build_marian_like
from vt_desktop.ui import i18n
from vt_desktop.ui.common.language_field import MARK, LanguageField
from vt_desktop.ui.jobs.view import JobsView
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.view_model import RuntimeViewModel
from worker.protocol.mt import EngineLanguages
from worker.services.base import WorkerInfo
from worker.services.mt_service import MtService


def answer(cache: Path) -> list[EngineLanguages]:
    """What a worker with this cache folder answers to ``mt.languages``."""
    info = WorkerInfo(worker_id="t", config_dir=str(cache), cache_dir=str(cache))
    return MtService(MtService.Settings(), info).engine_languages()


@pytest.fixture
def window(qt_loop, tmp_path: Path):
    win = MainWindow(RuntimeViewModel(settings_in(tmp_path)))
    win.show()
    yield win
    win.close()


@pytest.fixture
def russian(qapp):
    assert i18n.install(qapp, "ru") == "ru"
    yield
    i18n.install(qapp, "en")


@pytest.fixture(scope="module")
def with_en_de(tmp_path_factory: pytest.TempPathFactory) -> list[EngineLanguages]:
    cache = tmp_path_factory.mktemp("cache")
    build_marian_like(cache / "models" / "ct2" / "opus-mt-en-de")
    return answer(cache)


def test_languages_are_offered_by_name_in_the_ui_language(qt_loop, tmp_path: Path) -> None:
    english, russian = LanguageField("en"), LanguageField("ru")

    assert ("    German — de", "de", None) in english.entries()
    assert ("    Немецкий — de", "de", None) in russian.entries()
    assert ("    Португальский (Бразилия) — pt-BR", "pt-BR", None) in russian.entries()
    assert len(english.entries()) > 180


def test_search_matches_names_in_the_ui_language_in_english_and_tags(qt_loop) -> None:
    field = LanguageField("ru")

    assert field.matches("Нем") == ["de"]
    assert field.matches("german") == ["de"]
    assert set(field.matches("pt, португ")) == {"pt", "pt-BR", "pt-PT"}
    assert "zh-Hant" in field.matches("традицион")
    assert field.matches("xyzzy") == []


def test_several_languages_at_once_by_picking_from_the_popup(qt_loop, tmp_path: Path) -> None:
    field = LanguageField("en")
    field.show()
    field.activateWindow()
    assert QTest.qWaitForWindowActive(field)
    field.setFocus()
    QTest.keyClicks(field, "pt, portu")
    popup = field.completer().popup()
    assert popup is not None
    pump_until(popup.isVisible, 5, "the search popup")
    assert popup.model().rowCount() == 3
    QTest.keyClick(popup, Qt.Key.Key_Down)
    QTest.keyClick(popup, Qt.Key.Key_Down)
    assert field.text() == "pt, pt-BR, ", "the entry moved to is shown in place of the word"
    QTest.keyClick(popup, Qt.Key.Key_Return)
    assert field.text() == "pt, pt-BR, "
    QTest.keyClicks(field, "Germ")
    pump_until(popup.isVisible, 5, "the search popup again")
    QTest.keyClick(popup, Qt.Key.Key_Down)
    QTest.keyClick(popup, Qt.Key.Key_Return)

    assert field.text() == "pt, pt-BR, de, "
    assert field.tags() == ["pt", "pt-BR", "de"]
    QTest.keyClicks(field, "Japanese, fr uk")
    assert field.tags() == ["pt", "pt-BR", "de", "ja", "fr", "uk"]
    field.close()


def test_out_of_the_box_only_portuguese_and_english_are_marked(qt_loop, tmp_path: Path) -> None:
    field = LanguageField("en")
    field.set_engines(answer(tmp_path))
    field.setText("pt, de")

    marked = {tag for _, tag, available in field.entries() if available}
    assert marked == {"en", "pt", "pt-BR", "pt-PT"}
    assert field.entries()[0][0].startswith(f"{MARK} "), "what translates now comes first"
    assert field.ways.text() == f"{MARK} Portuguese: direct  ·  ✗ German: not available"
    field.set_source("pt", None)
    assert field.ways.text() == (
        f"{MARK} Portuguese: the spoken language, nothing to translate  ·  ✗ German: not available"
    )


@pytest.mark.usefixtures("russian")
def test_each_language_typed_says_which_way_it_is_translated(qt_loop, with_en_de) -> None:
    field = LanguageField("ru")
    field.set_engines(with_en_de)
    field.set_source("pt", None)
    field.setText("en, Немецкий, ja")

    assert field.ways.text() == (
        f"{MARK} Английский: напрямую  ·  {MARK} Немецкий: через английский  ·  "
        "✗ Японский: недоступно"
    )
    assert "bergamot, ct2 opus-mt-en-de" in field.ways.toolTip()
    assert {t for _, t, ok in field.entries() if ok} >= {"de", "en"}
    field.set_source("pt", "bergamot")
    assert "Немецкий: недоступно" in field.ways.text(), "an engine chosen is the only one"


def test_the_jobs_page_offers_the_field_and_takes_names(qt_loop, window) -> None:
    view: JobsView = window.jobs_view
    assert isinstance(view.targets, LanguageField)
    assert view.targets.text() == "pt", "the default target is one a fresh install translates"
    assert view.targets.ways.text() == "Portuguese: known once the workers run"

    view.targets.setText("Portuguese, Немецкий")
    view.targets.editingFinished.emit()

    assert view._vm.settings.targets == ["pt", "de"]
    assert not view.targets_error.isVisible()
    assert view.targets.ways.isVisible()
    view.transcribe.setChecked(True)
    assert not view.targets.ways.isVisible(), "a transcript translates into nothing"
    view.transcribe.setChecked(False)
    assert view.targets.ways.isVisible()


def test_the_live_workers_answer_marks_the_jobs_page_field(qt_loop, tmp_path: Path) -> None:
    build_marian_like(tmp_path / "cache" / "models" / "ct2" / "opus-mt-en-de")
    online = window_online(qt_loop, tmp_path)
    window, _ = next(online)
    try:
        view: JobsView = window.jobs_view
        view.source.setCurrentIndex(view.source.findData("pt"))
        view.targets.setText("German, ja")
        view.targets.editingFinished.emit()
        pump_until(lambda: "via English" in view.targets.ways.text(), 60, "the workers' answer")

        assert view.targets.ways.text() == (
            f"{MARK} German: via English  ·  ✗ Japanese: not available"
        )
        marked = {tag for _, tag, available in view.targets.entries() if available}
        assert marked == {"de", "en", "pt", "pt-BR", "pt-PT"}
    finally:
        next(online, None)
