"""The log panel: coloured by level, filtered by level and text, and capped in size."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.gui.conftest import settings_in
from vt_desktop.core.runtime import LogLine
from vt_desktop.ui.log.view import MAX_LOG_LINES, LogModel, LogView
from vt_desktop.ui.view_model import RuntimeViewModel

LINES = [
    LogLine(time.time(), "DEBUG", "app", "polling the broker"),
    LogLine(time.time(), "INFO", "local-1", "worker local-1 serving asr, system"),
    LogLine(time.time(), "WARNING", "local-2", "disk almost full in the cache"),
    LogLine(time.time(), "ERROR", "app", "rpc asr.transcribe id=7 failed: model unavailable"),
    LogLine(time.time(), "CRITICAL", "gpu-box", "CUDA driver lost"),
]


@pytest.fixture
def log_view(qt_loop, tmp_path: Path):
    view_model = RuntimeViewModel(settings_in(tmp_path))
    view = LogView(view_model)
    for line in LINES:
        view_model.log_appended.emit(line)
    return view


def levels(view: LogView) -> list[str]:
    return [line.level for line in view.visible_lines()]


def test_lines_from_the_view_model_appear_in_order(log_view: LogView) -> None:
    assert log_view.visible_lines() == LINES
    assert log_view.count_label.text() == "5 lines"


def test_level_filter_hides_lines_below_the_chosen_level(log_view: LogView) -> None:
    choices = [log_view.level_filter.itemText(i) for i in range(log_view.level_filter.count())]
    log_view.level_filter.setCurrentIndex(choices.index("Warnings and errors"))
    assert levels(log_view) == ["WARNING", "ERROR", "CRITICAL"]
    assert log_view.count_label.text() == "3 of 5 lines"

    log_view.level_filter.setCurrentIndex(choices.index("Errors only"))
    assert levels(log_view) == ["ERROR", "CRITICAL"]

    log_view.level_filter.setCurrentIndex(choices.index("All levels"))
    assert len(levels(log_view)) == 5


def test_search_matches_message_or_source_in_any_case(log_view: LogView) -> None:
    log_view.search_box.setText("DISK")
    assert [ln.source for ln in log_view.visible_lines()] == ["local-2"]
    log_view.search_box.setText("gpu-")
    assert [ln.message for ln in log_view.visible_lines()] == ["CUDA driver lost"]
    log_view.search_box.setText("nothing like this")
    assert log_view.visible_lines() == []
    assert log_view.count_label.text() == "0 of 5 lines"


def test_level_filter_and_search_combine(log_view: LogView) -> None:
    log_view.search_box.setText("app")
    assert levels(log_view) == ["DEBUG", "ERROR"]
    log_view.level_filter.setCurrentIndex(3)  # Errors only
    assert levels(log_view) == ["ERROR"]


def test_new_lines_respect_the_active_filter(log_view: LogView) -> None:
    log_view.level_filter.setCurrentIndex(3)
    log_view._vm.log_appended.emit(LogLine(time.time(), "INFO", "app", "quiet"))
    log_view._vm.log_appended.emit(LogLine(time.time(), "ERROR", "app", "loud"))
    assert [ln.message for ln in log_view.visible_lines()][-1] == "loud"
    assert "quiet" not in [ln.message for ln in log_view.visible_lines()]


def test_levels_are_coloured_differently(log_view: LogView) -> None:
    model = log_view.model
    colours = {
        model.line(r).level: model.index(r, 1).data(Qt.ItemDataRole.ForegroundRole).name()
        for r in range(model.rowCount())
    }
    assert len(set(colours.values())) == 5, colours


def test_a_workers_console_prefix_is_not_shown_twice(log_view: LogView) -> None:
    raw = "2026-01-02 03:04:05,678 - worker.runtime - WARNING - [runtime.py:12] - slow call id=9"
    log_view._vm.log_appended.emit(LogLine(time.time(), "WARNING", "local-1", raw))
    row = log_view.model.rowCount() - 1
    assert log_view.model.index(row, 3).data() == "slow call id=9"
    assert log_view.model.index(row, 3).data(Qt.ItemDataRole.ToolTipRole) == raw


def test_the_model_keeps_only_the_newest_lines() -> None:
    model = LogModel(capacity=100)
    for n in range(150):
        model.append(LogLine(float(n), "INFO", "app", f"line {n}"))
    assert model.rowCount() == 100
    assert model.line(0).message == "line 50"
    assert model.line(99).message == "line 149"


def test_the_panel_is_capped_at_a_few_thousand_lines(log_view: LogView) -> None:
    for n in range(MAX_LOG_LINES + 50):
        log_view._vm.log_appended.emit(LogLine(float(n), "INFO", "app", f"line {n}"))
    assert log_view.model.rowCount() == MAX_LOG_LINES
    assert log_view.visible_lines()[-1].message == f"line {MAX_LOG_LINES + 49}"


def test_clear_empties_the_panel(log_view: LogView) -> None:
    log_view.clear_button.click()
    assert log_view.visible_lines() == []
    assert log_view.count_label.text() == "0 lines"
