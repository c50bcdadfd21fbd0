"""Screenshots of every view with a live runtime, for reviews and the docs.

    python -m vt_desktop.devtools.screenshots OUTDIR [--root-shot]

Starts a private broker and one worker in a temporary folder, pings, translates the 5 s
speech sample as a queued job, then saves ``OUTDIR/<page>.png`` for each page
(``widget.grab()``, works offscreen; Review shows that job), ``settings-<n>.png`` for each
settings tab, ``jobs-dark.png`` and ``review-dark.png``, ``review-doubtful.png`` (Review with
the doubtful-word setting at 95 %), ``review-filter.png`` (Review showing only flagged cues),
``shortcuts.png`` and ``shortcuts-dark.png`` (*Help → Keyboard shortcuts*),
``review-waveform.png`` and ``review-waveform-dark.png`` (the player panel with the waveform
under it, the second cue's end being dragged), and
``OUTDIR/workers-error.png``
(the banner shown when the broker cannot be reached). With
``--root-shot`` (under Xvfb with ``QT_QPA_PLATFORM=xcb``) it also saves what the X screen
shows, ``OUTDIR/<view>-screen.png``, with ImageMagick's ``import -window root``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from pydantic import SecretStr
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.model import JobState
from vt_desktop.core.supervisor.broker import free_port
from vt_desktop.devtools.smoke import (
    SAMPLE,
    BringUp,
    bring_up,
    find_speech_model,
    isolated_settings,
    settle,
    translate_clip,
)
from vt_desktop.devtools.smoke_media import make_clip
from vt_desktop.ui import resources, theme
from vt_desktop.ui.app import create_application, run_on_qt_loop
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.view_model import RuntimeViewModel
from worker.logs import setup_logging


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The script's options."""
    ap = argparse.ArgumentParser(prog="python -m vt_desktop.devtools.screenshots")
    ap.add_argument("outdir", type=Path, help="folder for the PNG files (created)")
    ap.add_argument(
        "--root-shot",
        action="store_true",
        help="also capture the whole X screen with ImageMagick 'import' (run under xvfb-run)",
    )
    return ap.parse_args(argv)


def centre_on_screen(window: MainWindow) -> None:
    """Place the window in the middle of the primary screen (no window manager does it)."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return
    frame = window.frameGeometry()
    frame.moveCenter(screen.availableGeometry().center())
    window.move(frame.topLeft())


async def capture(window: MainWindow, path: Path, root_shot: bool) -> list[Path]:
    """Save the window (and with ``root_shot`` the X screen) as PNG; the files written."""
    await settle(0.4)
    written = [path] if window.grab().save(str(path)) else []
    if root_shot:
        screen_path = path.with_name(f"{path.stem}-screen.png")
        proc = await asyncio.create_subprocess_exec("import", "-window", "root", str(screen_path))
        if await proc.wait() == 0:
            written.append(screen_path)
    return written


async def shoot_running(settings: AppSettings, outdir: Path, root_shot: bool) -> list[Path]:
    """Each page with a live broker, one worker and a finished job; the settings tabs; dark."""
    view_model = RuntimeViewModel(settings)
    window = MainWindow(view_model)
    centre_on_screen(window)
    window.show()
    written: list[Path] = []
    try:
        result: BringUp = await bring_up(view_model)
        if not result.ok or view_model.runtime is None:
            raise RuntimeError("; ".join(result.errors) or "no worker answered the ping")
        print(
            f"broker ready after {result.started_s:.1f} s, worker online after "
            f"{result.online_s:.1f} s, first ping answered after {result.first_ping_s:.1f} s"
        )
        job_id = await finished_job(view_model, settings)
        window.review_view.open_job(job_id)
        for name in window.pages:
            window.show_page(name)
            written += await capture(window, outdir / f"{name.lower()}.png", root_shot)
        written += await shoot_doubtful(window, settings, job_id, outdir, root_shot)
        written += await shoot_editing(window, outdir, root_shot)
        written += await shoot_waveform(window, outdir)
        window.show_page("Log")
        window.log_view.search_box.setText("ping")
        written += await capture(window, outdir / "log-search.png", root_shot)
        window.log_view.search_box.clear()
        written += await shoot_settings(window, outdir)
        written += await shoot_dark(window, outdir, root_shot)
    finally:
        await view_model.stop()
        window.close()
    return written


async def shoot_doubtful(
    window: MainWindow, settings: AppSettings, job_id: str, outdir: Path, root_shot: bool
) -> list[Path]:
    """Review with the doubtful-word setting at 95 %, so some of the sample's words show
    marked (at the default 50 % tiny.en is sure of all of them)."""
    before = settings.review_doubt_threshold
    settings.review_doubt_threshold = 0.95
    try:
        window.review_view.open_job(job_id)
        window.show_page("Review")
        window.review_view.table.selectRow(0)
        return await capture(window, outdir / "review-doubtful.png", root_shot)
    finally:
        settings.review_doubt_threshold = before
        window.review_view.open_job(job_id)


async def shoot_editing(window: MainWindow, outdir: Path, root_shot: bool) -> list[Path]:
    """Review filtered to the flagged cues, and the shortcut window in both themes."""
    review = window.review_view
    window.show_page("Review")
    review.filter_combo.setCurrentIndex(max(0, review.filter_combo.findData("*")))
    written = await capture(window, outdir / "review-filter.png", root_shot)
    review.filter_combo.setCurrentIndex(0)
    app = QApplication.instance()
    for look in ("light", "dark"):
        if isinstance(app, QApplication):
            theme.apply(app, look)
        dialog = window.show_shortcuts()
        await settle(0.3)
        path = outdir / ("shortcuts.png" if look == "light" else "shortcuts-dark.png")
        if dialog.grab().save(str(path)):
            written.append(path)
        dialog.close()
    if isinstance(app, QApplication):
        theme.apply(app, "light")
    return written


async def shoot_waveform(window: MainWindow, outdir: Path) -> list[Path]:
    """The player panel with the waveform under it, in both themes, an edge mid-drag."""
    review = window.review_view
    window.show_page("Review")
    waveform = review.preview.waveform
    for _ in range(100):  # the envelope is read (or made) in a thread
        if waveform.envelope is not None:
            break
        await settle(0.1)
    review.table.selectRow(0)
    await settle(0.3)
    app = QApplication.instance()
    written: list[Path] = []
    for look in ("light", "dark"):
        if isinstance(app, QApplication):
            theme.apply(app, look)
        waveform.show_drag(0, "end", waveform.cues[0][1] + 0.4 if waveform.cues else 0.0)
        await settle(0.3)
        path = outdir / ("review-waveform.png" if look == "light" else "review-waveform-dark.png")
        if review.preview.grab().save(str(path)):
            written.append(path)
        waveform.show_drag(None)
    if isinstance(app, QApplication):
        theme.apply(app, "light")
    return written


async def finished_job(view_model: RuntimeViewModel, settings: AppSettings) -> str:
    """Run the 5 s speech sample through the window's queue (→ Portuguese); its job id."""
    runtime = view_model.runtime
    if runtime is None:
        raise RuntimeError("the runtime is not running")
    clip = make_clip(resources.resource_path(SAMPLE), settings.data_dir / "jfk sample.mkv")
    run = await translate_clip(runtime, clip, find_speech_model(settings.cache_dir))
    print(f"translated the sample in {run.seconds:.1f} s: {run.translation!r}")
    return runtime.store.jobs(JobState.DONE)[-1].id


async def shoot_settings(window: MainWindow, outdir: Path) -> list[Path]:
    """Every tab of the settings dialog."""
    dialog = window.open_settings()
    written: list[Path] = []
    try:
        for index in range(dialog.tabs.count()):
            dialog.tabs.setCurrentIndex(index)
            await settle(0.2)
            path = outdir / f"settings-{index + 1}.png"
            if dialog.grab().save(str(path)):
                written.append(path)
    finally:
        dialog.reject()
    return written


async def shoot_dark(window: MainWindow, outdir: Path, root_shot: bool) -> list[Path]:
    """The Jobs and Review pages in the dark theme (the app's look is put back after)."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return []
    written: list[Path] = []
    theme.apply(app, "dark")
    try:
        for name in ("Jobs", "Review"):
            window.show_page(name)
            written += await capture(window, outdir / f"{name.lower()}-dark.png", root_shot)
    finally:
        theme.apply(app, "light")
    return written


async def shoot_error(settings: AppSettings, outdir: Path, root_shot: bool) -> list[Path]:
    """The Workers page when the configured broker does not answer."""
    unreachable = settings.model_copy(
        update={
            "mode": "remote",
            "config_dir": settings.config_dir.with_name("config-error"),
            "rabbitmq_url": SecretStr(f"amqp://vt:secret@127.0.0.1:{free_port()}/"),
        }
    )
    view_model = RuntimeViewModel(unreachable)
    window = MainWindow(view_model)
    centre_on_screen(window)
    window.show()
    try:
        await view_model.start()
        window.show_page("Workers")
        return await capture(window, outdir / "workers-error.png", root_shot)
    finally:
        await view_model.stop()
        window.close()


async def shoot_all(settings: AppSettings, outdir: Path, root_shot: bool) -> list[Path]:
    """Every screenshot, in order."""
    written = await shoot_running(settings, outdir, root_shot)
    written += await shoot_error(settings, outdir, root_shot)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; 0 when every screenshot was written."""
    args = parse_args(argv)
    if args.root_shot and shutil.which("import") is None:
        print("--root-shot needs ImageMagick's 'import' (apt-get install imagemagick)")
        return 2
    args.outdir.mkdir(parents=True, exist_ok=True)
    setup_logging(None, "INFO", console=False)
    app = create_application()
    with tempfile.TemporaryDirectory(prefix="vt-shots-") as folder:
        settings = isolated_settings(AppSettings(), Path(folder))
        try:
            written = run_on_qt_loop(app, shoot_all(settings, args.outdir, args.root_shot))
        except RuntimeError as exc:
            print(f"screenshots failed: {exc}")
            return 1
    for path in written:
        print(f"saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
