"""Useful at once: the window takes a drop while its private broker is still starting, the
job waits queued and starts once the first worker is online; and the app's window, closed,
leaves the broker warm for ``broker_keep_warm_minutes`` (a test's window does not)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gui.conftest import (
    cancel_leftover_tasks,
    close_and_wait,
    pid_alive,
    pump_until,
    settings_in,
    start_window,
)
from tests.support.media import make_video
from vt_desktop.core.jobs.model import JobState
from vt_desktop.core.supervisor.broker import BrokerNode
from vt_desktop.ui.app import queue_files

pytestmark = pytest.mark.slow

#: Loaded when a job runs or Review redoes lines, never to paint the window (issue 21 part 4).
NOT_BEFORE_FIRST_PAINT = (
    "faster_whisper",
    "ctranslate2",
    "vt_desktop.core.pipeline.runner",
    "vt_desktop.core.media.plan",
    "vt_desktop.core.review.export",
    "vt_desktop.core.review.dub",
)


def test_the_window_modules_leave_the_pipelines_media_stack_unloaded() -> None:
    code = (
        "import sys, vt_desktop.__main__, vt_desktop.ui.app, vt_desktop.ui.main_window\n"
        f"print([m for m in {NOT_BEFORE_FIRST_PAINT!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout  # fmt: skip
    assert out.strip() == "[]"


def test_a_drop_while_the_broker_starts_waits_and_runs_once_a_worker_is_online(
    qt_loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    video = make_video(tmp_path / "talk.mp4")
    settings = settings_in(tmp_path, broker_keep_warm_minutes=1)
    window, vm = start_window(settings)
    window.keep_broker_warm = True  # as the app's own window (run_app) does
    broker: BrokerNode | None = None
    try:
        view = window.jobs_view
        queue_files(window, [video])
        seen: list[bool] = []

        def row_shown() -> bool:
            if view.table_model.rowCount() == 1 and not seen:
                seen.append(vm.status.broker_ok)
            return bool(seen)

        pump_until(row_shown, 30, "the dropped video's row")
        assert seen == [False], "the broker was ready before the drop: nothing was shown"
        [record] = view._vm.store.jobs()
        assert record.state is JobState.QUEUED
        pump_until(
            lambda: view._vm.store.get(record.id).state is not JobState.QUEUED,
            240,
            "the queued job to start once a worker is online",
        )
        assert vm.runtime is not None and vm.runtime.events is not None
        assert vm.runtime.events.online("asr")
        broker = vm.runtime.broker
        assert broker is not None
        node_pid = broker.pid
        assert node_pid is not None
    finally:
        close_and_wait(window, timeout=120)
        cancel_leftover_tasks(qt_loop)
    assert pid_alive(node_pid), "the app's window stopped the broker it should keep warm"
    again = BrokerNode(broker.layout.base, port=broker.port)
    task = asyncio.ensure_future(again.start())
    pump_until(task.done, 30, "the warm broker to be adopted")
    task.result()
    assert again.adopted and again.pid == node_pid
    task = asyncio.ensure_future(again.stop())
    pump_until(task.done, 60, "the broker to stop")
    pump_until(lambda: not pid_alive(node_pid), 30, "the node to exit")
