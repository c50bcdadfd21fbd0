"""The window's life: errors shown in place, a clean close, remembered geometry."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QScrollBar,
    QSpinBox,
    QWidget,
)

from tests.gui.conftest import close_and_wait, pid_alive, pump_until, settings_in, start_window
from vt_desktop.core.supervisor.broker import free_port
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.view_model import RuntimeViewModel


@pytest.mark.slow
def test_closing_the_window_stops_the_worker_and_the_broker(qt_loop, tmp_path: Path) -> None:
    window, view_model = start_window(settings_in(tmp_path))
    pump_until(
        lambda: (
            view_model.runtime is not None
            and view_model.runtime.pool is not None
            and bool(view_model.runtime.pool.pids())
            and view_model.runtime.broker is not None
            and view_model.runtime.broker.pid is not None
        ),
        90,
        "the broker and the worker to run",
    )
    runtime = view_model.runtime
    assert runtime is not None and runtime.pool is not None and runtime.broker is not None
    pids = [*runtime.pool.pids(), runtime.broker.pid]

    close_and_wait(window)

    assert not window.isVisible()
    assert not view_model.is_active
    assert [p for p in pids if p is not None and pid_alive(p)] == []
    beams = subprocess.run(
        ["pgrep", "-f", str(tmp_path / "data")], check=False, capture_output=True, text=True
    )
    assert beams.stdout.strip() == "", "no broker process of this window is left"


def test_an_unreachable_broker_is_explained_in_a_banner_not_a_crash(
    qt_loop, tmp_path: Path, qtbot
) -> None:
    port = free_port()
    settings = settings_in(
        tmp_path, mode="remote", rabbitmq_url=SecretStr(f"amqp://vt:hunter2@127.0.0.1:{port}/")
    )
    window, view_model = start_window(settings)
    view = window.workers_view
    pump_until(view.banner.isVisible, 30, "the error banner")

    text = view.banner.message.text()
    assert f"nothing answers at amqp://vt:***@127.0.0.1:{port}/" in text
    assert "hunter2" not in text
    assert view.banner.action.text() == "Retry" and view.banner.action.isEnabled()
    assert view.broker_dot.state == "error"
    assert not view.ping_button.isEnabled()
    assert window.isVisible()
    assert not view_model.is_active

    with qtbot.waitSignal(view_model.runtime_failed, timeout=30000) as again:
        qtbot.mouseClick(view.banner.action, Qt.MouseButton.LeftButton)
    assert "nothing answers at" in again.args[0], "Retry tries again and explains again"
    assert view.banner.isVisible()
    close_and_wait(window, timeout=5)


def test_the_window_has_its_title_icon_default_size_and_accessible_controls(
    qt_loop, tmp_path: Path
) -> None:
    window = MainWindow(RuntimeViewModel(settings_in(tmp_path)))
    assert window.windowTitle() == "VideoTranslator Desktop"
    titled = MainWindow(RuntimeViewModel(settings_in(tmp_path, project_name="Acme Subtitles")))
    assert titled.windowTitle() == "Acme Subtitles", "PROJECT_NAME names the window"
    titled.close()
    assert not window.windowIcon().isNull()
    assert (window.width(), window.height()) == (1100, 720)
    assert list(window.pages) == ["Jobs", "Review", "Models", "Workers", "Log"]
    named = {
        w.accessibleName()
        for w in (
            window.nav,
            window.workers_view.ping_button,
            window.workers_view.table,
            window.log_view.level_filter,
            window.log_view.search_box,
            window.log_view.table,
        )
    }
    assert named == {
        "Navigation",
        "Ping workers",
        "Workers table",
        "Level filter",
        "Search the log",
        "Log lines",
    }
    with pytest.raises(KeyError, match="no page named 'Settings'"):
        window.show_page("Settings")
    window.close()


def test_the_window_remembers_its_geometry_and_page(qt_loop, tmp_path: Path) -> None:
    state = QSettings(str(tmp_path / "state.ini"), QSettings.Format.IniFormat)
    first = MainWindow(RuntimeViewModel(settings_in(tmp_path)), ui_state=state)
    first.show()
    first.resize(1000, 650)
    first.show_page("Log")
    first.close()

    again = MainWindow(RuntimeViewModel(settings_in(tmp_path)), ui_state=state)
    assert (again.width(), again.height()) == (1000, 650)
    assert again.current_page() == "Log"
    again.close()


def test_ping_without_a_running_broker_says_so_in_place(qt_loop, tmp_path: Path, qtbot):
    view_model = RuntimeViewModel(settings_in(tmp_path))
    window = MainWindow(view_model)
    with qtbot.waitSignal(view_model.ping_failed, timeout=5000) as failed:
        window.workers_view._on_ping_button_clicked()
    assert failed.args == ["The broker is not running, so there is no worker to ping."]
    assert window.workers_view.ping_result.text() == failed.args[0]
    assert window.workers_view.ping_result.objectName() == "PingError"
    window.close()


def test_every_control_of_every_page_can_be_named_by_a_screen_reader(
    qt_loop, tmp_path: Path
) -> None:
    window = MainWindow(RuntimeViewModel(settings_in(tmp_path)))
    kinds = (QAbstractButton, QLineEdit, QComboBox, QAbstractItemView, QAbstractSlider, QSpinBox)
    unnamed = []
    for widget in window.findChildren(QWidget):
        parent = widget.parent()
        if not isinstance(widget, kinds) or isinstance(widget, QScrollBar | QHeaderView):
            continue
        if widget.objectName().startswith("qt_") or isinstance(
            parent, QComboBox | QAbstractSpinBox | QLineEdit
        ):
            continue  # Qt's own parts: corner buttons, a line edit's clear button, popups
        if parent is not None and parent.inherits("QComboBoxPrivateContainer"):
            continue
        text = widget.text() if isinstance(widget, QAbstractButton) else ""
        if not (widget.accessibleName().strip() or text.strip()):
            unnamed.append(f"{type(widget).__name__} {widget.objectName()!r} in {widget.parent()}")
    window.close()

    assert unnamed == [], "\n".join(unnamed)
