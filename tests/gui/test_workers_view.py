"""The window on a real private broker with one real worker: online, ping, live log."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt

from tests.gui.conftest import pump_until
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.view_model import RuntimeViewModel

pytestmark = pytest.mark.slow
Window = tuple[MainWindow, RuntimeViewModel]


def test_window_shows_the_private_broker_and_its_worker_online(running_window: Window) -> None:
    window, view_model = running_window
    port = view_model.settings.rabbitmq_port
    view = window.workers_view
    pump_until(
        lambda: view.table_model.rowCount() == 1 and view.table_model.row(0).state == "ready",
        30,
        "local-1 to show as ready",
    )
    row = view.table_model.row(0)
    assert row.worker_id == "local-1"
    assert "system" in row.services.split(", ")
    assert "tiny.en" in row.models.split(", "), "the speech models this worker has"
    assert row.restarts == "0"
    assert view.broker_label.text() == f"Private broker on port {port}"
    assert view.broker_dot.state == "ok"
    assert "***" in view.broker_url.text()
    assert window.broker_status.text() == f"Private broker on port {port}"
    assert window.worker_count.text() == "1 worker online"
    assert view.banner.isHidden()


def test_ping_workers_shows_each_reply_with_its_round_trip_time(
    running_window: Window, qtbot
) -> None:
    window, view_model = running_window
    view = window.workers_view
    pump_until(view.ping_button.isEnabled, 30, "the ping button to be enabled")
    with qtbot.waitSignal(view_model.ping_started, timeout=5000):
        qtbot.mouseClick(view.ping_button, Qt.MouseButton.LeftButton)
    assert not view.ping_button.isEnabled(), "the button is disabled while the ping runs"
    with qtbot.waitSignal(view_model.ping_finished, timeout=15000) as finished:
        pass
    replies = finished.args[0]
    assert [r.worker_id for r in replies] == ["local-1"]
    assert replies[0].rtt_ms > 0
    assert re.fullmatch(r"✓ local-1 answered in \d+\.\d ms", view.ping_result.text())
    assert view.ping_result.objectName() == "PingResult"
    assert view.ping_button.isEnabled()


def test_app_and_worker_log_lines_appear_live_in_the_log_view(running_window: Window) -> None:
    window, _ = running_window
    log_view = window.log_view

    def seen(source: str, text: str) -> bool:
        return any(ln.source == source and text in ln.message for ln in log_view.visible_lines())

    pump_until(lambda: seen("local-1", "serving"), 30, "the worker's 'serving' line")
    assert seen("app", "broker ready on 127.0.0.1")
    worker_row = next(
        r
        for r in range(log_view.model.rowCount())
        if log_view.model.line(r).source == "local-1"
        and "serving" in log_view.model.line(r).message
    )
    shown = log_view.model.index(worker_row, 3).data()
    assert shown.startswith("worker local-1 serving"), "the worker's own prefix is not repeated"

    log_view.search_box.setText("SERVING")
    assert log_view.visible_lines()
    assert all("serving" in ln.message.lower() for ln in log_view.visible_lines())
    log_view.search_box.clear()


def test_a_local_worker_is_stopped_started_and_restarted_from_the_page(
    running_window: Window,
) -> None:
    window, view_model = running_window
    view = window.workers_view
    pool = view_model.runtime.pool if view_model.runtime is not None else None
    assert pool is not None
    assert not view.restart_button.isEnabled(), "nothing selected yet"
    view.select_worker("local-1")
    first = pool.workers["local-1"].pid
    assert first is not None
    assert view.stop_button.isEnabled() and not view.start_button.isEnabled()

    view.stop_button.click()
    pump_until(lambda: pool.workers["local-1"].state == "stopped", 30, "local-1 to stop")
    pump_until(view.start_button.isEnabled, 10, "Start to be offered")
    assert pool.workers["local-1"].pid is None
    assert not view.stop_button.isEnabled()

    view.start_button.click()
    pump_until(lambda: pool.workers["local-1"].pid is not None, 30, "local-1 to start")
    second = pool.workers["local-1"].pid
    pump_until(view.stop_button.isEnabled, 10, "Stop to be offered again")

    view.restart_button.click()
    pump_until(lambda: pool.workers["local-1"].pid not in (None, second), 30, "local-1 to restart")
    assert len({first, second, pool.workers["local-1"].pid}) == 3
    pump_until(
        lambda: bool(view_model.runtime and view_model.runtime.events
                     and view_model.runtime.events.online("system")),
        60, "the restarted worker to come online",
    )  # fmt: skip
