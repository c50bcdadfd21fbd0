"""The Russian window: every string the window shows is translated, and the catalogue is current.

The check runs Qt's own tools the way ``make translations`` does: ``pyside6-lupdate`` over the
window's sources (a string added without a translation shows up as unfinished) and
``pyside6-lrelease`` (the committed ``.qm`` must be what the committed ``.ts`` compiles to).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import settings_in
from vt_desktop.ui import i18n, resources
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.view_model import RuntimeViewModel

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "resources" / "i18n" / "videotranslator_ru.ts"
QM = TS.with_suffix(".qm")
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / f"pyside6-{name}"
    return str(path) if path.exists() else (shutil.which(f"pyside6-{name}") or name)


def _messages(ts: Path) -> list[tuple[str, str, str | None, str]]:
    """(context, source, translation type, translation) of every live message."""
    out = []
    for context in ET.parse(ts).getroot().iter("context"):  # noqa: S314 (our own file)
        name = context.findtext("name", "")
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            kind = translation.get("type")
            if kind in {"obsolete", "vanished"}:
                continue
            out.append((name, message.findtext("source", ""), kind, translation.text or ""))
    return out


def test_every_string_of_the_window_has_a_russian_translation(tmp_path: Path) -> None:
    fresh = tmp_path / TS.name
    shutil.copy(TS, fresh)
    subprocess.run(
        [_tool("lupdate"), "-extensions", "py", "-locations", "none", "-no-obsolete",
         str(ROOT / "vt_desktop" / "ui"), "-ts", str(fresh)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip

    messages = _messages(fresh)
    missing = [f"{ctx}: {src!r}" for ctx, src, kind, text in messages if kind or not text.strip()]

    assert len(messages) > 100, "lupdate found the window's strings"
    assert missing == [], "run 'make translations' and translate:\n" + "\n".join(missing)


def test_the_compiled_catalogue_is_current(tmp_path: Path) -> None:
    compiled = tmp_path / QM.name
    subprocess.run(
        [_tool("lrelease"), str(TS), "-qm", str(compiled)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip

    assert compiled.read_bytes() == QM.read_bytes(), "run 'make translations'"


@pytest.mark.usefixtures("qt_loop")
def test_the_window_speaks_russian_when_asked(qapp: QApplication, tmp_path: Path) -> None:
    assert resources.resource_path(f"i18n/{QM.name}").is_file()
    try:
        language = i18n.install(qapp, "ru")
        window = MainWindow(RuntimeViewModel(settings_in(tmp_path, ui_language="ru")))
        menus = [a.text() for a in window.menuBar().actions()]
        nav = [window.nav.item(i).text() for i in range(window.nav.count())]
        window.deleteLater()
    finally:
        i18n.install(qapp, "en")

    assert language == "ru"
    assert menus == ["&Файл", "&Вид", "&Справка"]
    assert "Журнал" in nav and "Log" not in nav
