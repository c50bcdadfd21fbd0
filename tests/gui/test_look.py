"""The window's look: light and dark themes from one sheet, the About box, the menus."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from tests.gui.conftest import pump_until, settings_in
from vt_desktop.ui import resources, theme
from vt_desktop.ui.about import AboutDialog
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.view_model import RuntimeViewModel


def test_every_colour_of_the_style_sheet_has_a_dark_partner() -> None:
    sheet = resources.stylesheet()
    assert theme.HEX.search(sheet), "the sheet is read and holds colours"

    assert theme.unmapped_colours(sheet) == set()


def test_the_dark_sheet_keeps_no_light_colour_and_swaps_in_one_pass() -> None:
    sheet = "a { color: #1f2937; background: #FFFFFF; } b { color: #6b7280; x: #9ca3af; }"

    dark = theme.to_dark(sheet)

    assert dark == "a { color: #e5e7eb; background: #1e1f22; } b { color: #9ca3af; x: #6b7280; }"


def _lightness_at_centre(window: MainWindow) -> float:
    image = window.grab().toImage()
    page = window.stack.currentWidget()
    assert page is not None
    centre = page.mapTo(window, page.rect().center())
    return QColor(image.pixel(centre.x(), centre.y())).lightnessF()


@pytest.mark.parametrize(("setting", "dark"), [("light", False), ("dark", True)])
def test_the_chosen_theme_paints_the_window(
    qt_loop, qapp: QApplication, tmp_path: Path, setting: str, dark: bool
) -> None:
    before = (qapp.styleSheet(), QPalette(qapp.palette()))
    window = MainWindow(RuntimeViewModel(settings_in(tmp_path, theme=setting)))
    try:
        applied = theme.apply(qapp, setting)
        window.show()
        window.show_page("Log")
        pump_until(window.isVisible, 5, "the window to show")

        lightness = _lightness_at_centre(window)
        text = qapp.palette().color(QPalette.ColorRole.WindowText).lightnessF()
    finally:
        window.hide()
        window.deleteLater()
        qapp.setStyleSheet(before[0])
        qapp.setPalette(before[1])

    assert applied == setting
    if dark:
        assert lightness < 0.2 and text > 0.8
    else:
        assert lightness > 0.9 and text < 0.3


def test_system_theme_follows_the_desktop_scheme(qapp: QApplication) -> None:
    scheme = QGuiApplication.styleHints().colorScheme()
    expected = "dark" if scheme.name == "Dark" else "light"

    assert theme.resolve("system") == expected


def test_about_box_lists_versions_and_copies_them(qt_loop, qapp: QApplication) -> None:
    dialog = AboutDialog("9.9.9")

    dialog.copy_button.click()

    copied = QGuiApplication.clipboard().text()
    names = [name for name, _ in dialog.rows]
    assert names[:4] == ["VideoTranslator Desktop", "Python", "Qt / PySide6", "FFmpeg"]
    assert "VideoTranslator Desktop: 9.9.9" in copied
    assert "faster-whisper: 1." in copied
    assert copied.count("\n") == len(dialog.rows) - 1
    dialog.deleteLater()


def test_every_page_has_a_view_menu_entry_with_a_shortcut(qt_loop, tmp_path: Path) -> None:
    window = MainWindow(RuntimeViewModel(settings_in(tmp_path)))
    actions = {a.text(): a.shortcut().toString() for a in window.view_menu.actions()}
    titles = [window.titles[name] for name in window.pages]

    assert list(actions) == titles
    assert list(actions.values()) == [f"Ctrl+{i + 1}" for i in range(len(actions))]
    last = list(window.pages)[-1]
    window.view_menu.actions()[-1].trigger()
    assert window.current_page() == last
    assert window.quit_action.shortcut().toString() == "Ctrl+Q"
    window.deleteLater()
