"""GUI responsiveness: how late the window's event loop runs while a job runs, against idle.

Opens the real window (offscreen) with its own private broker and one local worker in a
temporary folder, and samples a 10 ms precise QTimer: each tick's lateness (the time since
the last tick beyond the interval) is how long the window could not repaint or take input.
First the idle window with the runtime up is sampled (the baseline), then a real job (a
~60 s talk → Portuguese SRT + VTT + MKV, tiny.en, Bergamot) is queued through the Jobs page
and sampled until it is done. Prints p50/p99/max lateness of both and their ratios.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_responsiveness.py
[--seconds 60] [--idle 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
BASE = Path(tempfile.mkdtemp(prefix="vt-gui-bench-"))
os.environ["VT_CONFIG_DIR"] = str(BASE / "config")  # keep the user's settings out

from PySide6.QtCore import Qt, QTimer  # noqa: E402

from tests.support.media import make_talk_video  # noqa: E402
from vt_desktop.core.config import AppSettings  # noqa: E402
from vt_desktop.core.supervisor.broker import free_port  # noqa: E402
from vt_desktop.ui.app import create_application, run_on_qt_loop  # noqa: E402
from vt_desktop.ui.main_window import MainWindow  # noqa: E402
from vt_desktop.ui.view_model import RuntimeViewModel  # noqa: E402

TICK_MS = 10


class Lateness:
    """Samples how late each tick of a ``TICK_MS`` precise timer comes, in ms."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> None:
        self.samples = []
        self._last = time.perf_counter()
        self._timer.start(TICK_MS)

    def stop(self) -> list[float]:
        self._timer.stop()
        return self.samples

    def _on_timer_timeout(self) -> None:
        now = time.perf_counter()
        self.samples.append(max(0.0, (now - self._last) * 1000 - TICK_MS))
        self._last = now


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def figures(values: list[float]) -> tuple[float, float, float]:
    return percentile(values, 0.5), percentile(values, 0.99), max(values)


async def wait_for(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def measure(video: Path, seconds: float, idle_s: float) -> None:
    settings = AppSettings(
        data_dir=BASE / "data", cache_dir=BASE / "cache", log_dir=BASE / "logs",
        config_dir=BASE / "config", workers=1, rabbitmq_port=free_port(),
        targets=["pt"], engine="bergamot", asr_model="tiny.en",
        output_formats=["srt", "vtt", "mkv"], output_dir=BASE / "out",
    )  # fmt: skip
    view_model = RuntimeViewModel(settings)
    window = MainWindow(view_model)
    window.show()
    jobs = window.jobs_view
    meter = Lateness()
    try:
        await view_model.start()
        await wait_for(lambda: jobs._vm.queue_running, 180, "the worker and the job queue")
        meter.start()
        await asyncio.sleep(idle_s)
        idle = meter.stop()
        finished: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        def on_finished(_job: str, state: str) -> None:
            if not finished.done():
                finished.set_result(state)

        jobs._vm.job_finished.connect(on_finished)
        meter.start()
        started = time.perf_counter()
        jobs.add_paths([video])
        state = await asyncio.wait_for(finished, 900)
        wall = time.perf_counter() - started
        busy = meter.stop()
    finally:
        window.close()
        await view_model.stop()
    report(seconds, idle, busy, state, wall)


def report(seconds: float, idle: list[float], busy: list[float], state: str, wall: float) -> None:
    print(f"GUI event-loop lateness, {TICK_MS} ms precise timer, offscreen window")
    print(f"job: {seconds:.0f} s talk -> pt (tiny.en, bergamot), {state} in {wall:.1f} s")
    print(f"{'phase':<14} {'ticks':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, values in (("idle window", idle), ("job running", busy)):
        p50, p99, top = figures(values)
        print(f"{name:<14} {len(values):>6} {p50:>8.2f} {p99:>8.2f} {top:>8.2f}")
    (i50, i99, imax), (b50, b99, bmax) = figures(idle), figures(busy)
    ratio = "  ".join(
        f"{name} {b / i:.2f}x" if i > 0 else f"{name} n/a (idle 0)"
        for name, b, i in (("p50", b50, i50), ("p99", b99, i99), ("max", bmax, imax))
    )
    print(f"running / idle: {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the talk")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle baseline")
    args = parser.parse_args()
    video = make_talk_video(BASE / "media" / "talk.mp4", args.seconds)  # before the clock runs
    app = create_application()
    app.setQuitOnLastWindowClosed(False)
    run_on_qt_loop(app, measure(video, args.seconds, args.idle))


if __name__ == "__main__":
    main()
