"""The Qt application and its asyncio loop (qasync), and the window's whole life.

``run_app`` shows the window, starts the runtime in the background, and returns once the
window has closed, which happens only after the runtime stopped its workers and broker.
SIGINT/SIGTERM close the window the same way, so a terminal Ctrl-C also leaves nothing behind
(a window closed by the user leaves the private broker warm for ``broker_keep_warm_minutes``;
one closed by a signal does not).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import QApplication

from vt_desktop.core.config import AppSettings
from vt_desktop.ui import i18n, resources, theme
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.single_instance import InstanceServer, instance_key
from vt_desktop.ui.view_model import RuntimeViewModel

log = logging.getLogger(__name__)
#: Logged once the window serves second launches (tests wait for it).
LISTENING_LINE = "the window takes second launches' files on %s"
T = TypeVar("T")
ORGANISATION = "VideoTranslator"
APPLICATION = "VideoTranslator Desktop"
# Python runs signal handlers only between bytecodes; this timer gives it a chance.
SIGNAL_POLL_MS = 250


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The process's QApplication (created once), with the app's name, icon, font and style."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setApplicationName(APPLICATION)
    QGuiApplication.setOrganizationName(ORGANISATION)
    QGuiApplication.setDesktopFileName("videotranslator")
    app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    apply_look(app)
    return app


def apply_look(app: QApplication) -> None:
    """The window icon, a readable default font size and the app's style sheet."""
    app.setWindowIcon(resources.app_icon())
    app.setStyle("Fusion")
    font = QFont(app.font())
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    app.setFont(font)
    app.setStyleSheet(resources.stylesheet())


def run_on_qt_loop(app: QApplication, main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on a qasync loop driving ``app``'s Qt event loop.

    This is the one place the app creates its asyncio loop (the guard test runs its
    callbacks here too).
    """
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        return runner.run(main)


async def run_window(
    window: MainWindow, view_model: RuntimeViewModel, files: Sequence[Path] = ()
) -> None:
    """Show ``window``, start the runtime, queue ``files`` as if they were dropped on the
    Jobs page (refused ones named in its banner; the jobs start once a worker is online), and
    return once the window has closed."""
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.show()
    settle_gc()
    starting = asyncio.ensure_future(view_model.start())
    queue_files(window, files)
    await closed.wait()
    starting.cancel()
    await view_model.stop()  # nothing left to do after a normal close; covers a racing start


def settle_gc() -> None:
    """Move every object made so far (modules, the window's widgets) out of the cyclic garbage
    collector's sight: they live as long as the process, and each full collection would scan
    them again on the GUI thread, a stall of about 70 ms in the middle of an edit on a long
    Review job (bench/gui_responsiveness.py --review --freeze-gc none|app). Objects freed by
    reference counting are unaffected. No collection first: it would hold the first paint for
    about 80 ms, and the few cycles left over from start-up are kept instead."""
    gc.freeze()


def queue_files(window: MainWindow, files: Sequence[Path]) -> None:
    """Queue ``files`` on the Jobs page as if they were dropped there (the window's options;
    refused ones named in the page's banner)."""
    if files:
        window.show_page("Jobs")
        window.jobs_view.add_paths(list(files))


def bring_forward(window: MainWindow, files: Sequence[Path]) -> None:
    """A second launch's files: the window to the front, the files queued."""
    window.showNormal()
    window.raise_()
    window.activateWindow()
    queue_files(window, files)


def _close_on_signals(window: MainWindow) -> QTimer:
    def request_close(signum: int, _frame: object) -> None:
        log.info("signal %s received: closing the window", signum)
        # A signal is a logout, a shutdown or a kill: the broker goes too, not kept warm.
        window.keep_broker_warm = False
        QTimer.singleShot(0, window.close)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, request_close)
    poll = QTimer(window)
    poll.timeout.connect(lambda: None)
    poll.start(SIGNAL_POLL_MS)
    return poll


def run_app(
    settings: AppSettings, argv: Sequence[str] | None = None, files: Sequence[Path] = ()
) -> int:
    """Open the window and run until it is closed; the process's exit code.

    Args:
        settings: the process's one settings object.
        argv: Qt's command line (program name first); ``sys.argv[:1]`` when omitted.
        files: videos to queue at once, as if dropped (Open with…).
    """
    app = create_application(argv)
    app.setQuitOnLastWindowClosed(False)  # we quit once the runtime has stopped
    theme.apply(app, settings.theme)
    i18n.install(app, settings.ui_language)
    view_model = RuntimeViewModel(settings)
    window = MainWindow(view_model)
    window.keep_broker_warm = True
    _close_on_signals(window)
    one_window = InstanceServer(instance_key(settings.data_dir), window)
    one_window.files_received.connect(lambda files: bring_forward(window, files))
    if one_window.listen():  # said once the loop runs, i.e. a hand-over gets its answer
        QTimer.singleShot(0, lambda: log.info(LISTENING_LINE, one_window.key))
    run_on_qt_loop(app, run_window(window, view_model, files))
    log.info("window closed; bye")
    return 0
