"""GUI fixtures: offscreen Qt, one qasync loop for the session, windows on real runtimes.

Style (NOTES.md, "Qt"): synchronous tests. One session-scoped ``qasync.QEventLoop`` built
with ``already_running=True`` is the current asyncio loop; ``qtbot.waitSignal`` /
``waitUntil`` (and ``pump`` in module fixtures) pump Qt, which runs the loop's
callbacks. Leftover tasks are cancelled after each test; the loop is never stopped.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# Before any Qt import: draw offscreen, on a 1280×800 screen like the Xvfb screenshots.
_SCREEN = Path(__file__).with_name("offscreen-screen.json")
if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={_SCREEN}"

import pytest  # noqa: E402
import qasync  # noqa: E402
from PySide6.QtCore import QEventLoop, QMetaObject, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from vt_desktop.core.config import AppSettings  # noqa: E402
from vt_desktop.core.jobs.model import JobSpec, JobState  # noqa: E402
from vt_desktop.core.supervisor.broker import free_port  # noqa: E402
from vt_desktop.ui.app import apply_look  # noqa: E402
from vt_desktop.ui.main_window import MainWindow  # noqa: E402
from vt_desktop.ui.review.view import ReviewView  # noqa: E402
from vt_desktop.ui.view_model import RuntimeViewModel  # noqa: E402
from worker.logs import setup_logging  # noqa: E402

_background: set[asyncio.Future[None]] = set()


def settings_in(folder: Path, **overrides: Any) -> AppSettings:
    """App settings confined to ``folder`` (own dirs, a free port, one local worker)."""
    values: dict[str, Any] = {
        "data_dir": folder / "data",
        "cache_dir": folder / "cache",
        "log_dir": folder / "logs",
        "config_dir": folder / "config",
        "workers": 1,
        "rabbitmq_port": free_port(),
    }
    values.update(overrides)
    return AppSettings(**values)


def pump_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Run Qt (and so the qasync loop) until ``predicate()`` holds.

    Raises:
        AssertionError: it did not hold within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        pump(20)


def pump(ms: int) -> None:
    """Run Qt's events for ``ms`` milliseconds in a nested event loop, as the app's own loop
    runs them: with the GIL released. ``QTest.qWait`` keeps the GIL while it runs events, and
    a Qt thread that needs the GIL (Qt's FFmpeg audio thread, tearing down objects connected
    to a Python-made output) then deadlocks against a GUI thread waiting for it."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def pid_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="session", autouse=True)
def _isolated_config(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the user's own settings.toml out of every AppSettings built here."""
    os.environ["VT_CONFIG_DIR"] = str(tmp_path_factory.mktemp("user-config"))
    setup_logging(None, "INFO", console=False)


@pytest.fixture(scope="session")
def qt_loop(qapp: QApplication) -> qasync.QEventLoop:
    """The session's asyncio loop, running inside Qt's (as in the app)."""
    apply_look(qapp)
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    return loop


@pytest.fixture(scope="module", autouse=True)
def _executor_threads_joined(qt_loop: qasync.QEventLoop) -> Iterator[None]:
    """Give the loop a thread pool of this module's own and join its threads at the end.

    ``asyncio.to_thread`` (the intake probe, the job's planning) runs on the loop's default
    executor, which qasync makes of QThreads; the session's loop is never closed, so without
    this the threads outlive the test run and Qt aborts the process at exit.
    """
    executor = qasync.QThreadExecutor()
    qt_loop.set_default_executor(executor)
    yield
    executor.shutdown(wait=True)
    qt_loop.set_default_executor(None)


def cancel_leftover_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel every task still pending on ``loop`` and let the cancellations land."""
    leftovers = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for task in leftovers:
        task.cancel()
    pump_until(lambda: all(t.done() for t in leftovers), 10, "cancelled tasks to finish")


@pytest.fixture(autouse=True)
def _no_leftover_tasks(
    request: pytest.FixtureRequest, qt_loop: qasync.QEventLoop
) -> Iterator[None]:
    """After each test, cancel what it left running (a module's shared window is spared)."""
    yield
    if "running_window" not in request.fixturenames:
        cancel_leftover_tasks(qt_loop)


def close_and_wait(window: MainWindow, timeout: float = 60.0) -> None:
    """Close ``window`` and pump until it has stopped its runtime and really closed."""
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))
    window.close()
    pump_until(lambda: bool(closed), timeout, "the window to stop its runtime and close")


def finished_job(view_model: RuntimeViewModel, spec: JobSpec, timeout: float = 300) -> str:
    """Run ``spec`` through the window's own queue to the end; its id (the test fails, with
    the job's error, unless it is done)."""
    runtime = view_model.runtime
    assert runtime is not None and runtime.queue is not None
    job_id = runtime.queue.submit(spec)
    pump_until(lambda: runtime.store.get(job_id).state.finished, timeout, "the job to finish")
    assert runtime.store.get(job_id).state is JobState.DONE, runtime.store.get(job_id).error
    return job_id


def close_review_page(page: ReviewView) -> None:
    """Close a Review page a test opened: its player stopped from Qt's loop, which runs with
    the GIL released (once Play has attached an audio output, a stop() called from Python,
    GIL held, deadlocked now and then against Qt's FFmpeg audio thread waiting for the GIL:
    gdb showed the GUI thread in QObject::disconnect under stop(), "QFFmpeg::AudioR" in the
    GIL wait), then the page and its review session."""
    QMetaObject.invokeMethod(page.preview.player, "stop", Qt.ConnectionType.QueuedConnection)
    pump(300)
    page.close()
    page.review.close()
    page.deleteLater()


def start_window(settings: AppSettings) -> tuple[MainWindow, RuntimeViewModel]:
    """A shown window whose view model is starting its runtime."""
    view_model = RuntimeViewModel(settings)
    window = MainWindow(view_model)
    window.show()
    task = asyncio.ensure_future(view_model.start())
    _background.add(task)
    task.add_done_callback(_background.discard)
    return window, view_model


@pytest.fixture(scope="module")
def running_window(
    qt_loop: qasync.QEventLoop, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[MainWindow, RuntimeViewModel]]:
    """One window with a real private broker and one real worker, online, for a module."""
    yield from window_online(qt_loop, tmp_path_factory.mktemp("window"))


def window_online(
    qt_loop: qasync.QEventLoop, folder: Path
) -> Iterator[tuple[MainWindow, RuntimeViewModel]]:
    """A window on settings confined to ``folder``, its worker online, closed after."""
    window, view_model = start_window(settings_in(folder))
    try:
        pump_until(
            lambda: (
                view_model.runtime is not None
                and view_model.runtime.events is not None
                and bool(view_model.runtime.events.online("system"))
            ),
            90,
            "the broker to start and the worker to come online",
        )
        yield window, view_model
    finally:
        close_and_wait(window)
        cancel_leftover_tasks(qt_loop)
