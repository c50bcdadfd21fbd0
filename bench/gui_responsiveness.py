"""GUI responsiveness: how late the window's event loop runs while a job runs, against idle.

Opens the real window (offscreen) with its own private broker and one local worker in a
temporary folder, and samples a 10 ms precise QTimer: each tick's lateness (the time since
the last tick beyond the interval) is how long the window could not repaint or take input.
First the idle window with the runtime up is sampled (the baseline), then a real job (a
~60 s talk → Portuguese SRT + VTT + MKV, tiny.en, Bergamot) is queued through the Jobs page
and sampled until it is done. Prints p50/p99/max lateness of both and their ratios.

With ``--review``, no broker or worker: a finished 15-minute job (a talk of real and espeak
speech, one cue per utterance) is stored and opened on the Review page, and the window is
sampled while the page makes the job's waveform (one decode in a thread: the worst case, as a
job run by the pipeline keeps its envelope), idle (the machine's own noise), while the video
plays with the waveform paging along, and while a scripted reviewer clicks through the rows,
drags cue edges on the waveform (each an undoable edit saved in the job store) and zooms it.
Prints each phase's figures and how many ticks came more than 50 ms late, and of those how
many the GUI thread spent running (the app's work) or waiting for a core (a busy machine: Linux's
per-thread run-queue time); the rest waited for something else (a lock, the GIL, Qt's threads).

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_responsiveness.py
[--seconds 60] [--idle 10]`` or
``... --review [--minutes 15] [--phase 20] [--no-play] [--freeze-gc none|app|open]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
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

from PySide6.QtCore import QPoint, QPointF, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QWheelEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from tests.support.media import (  # noqa: E402
    SENTENCES,
    join_talk,
    make_talk_video,
    make_video,
    speech_clips,
    write_wav,
)
from vt_desktop.core.config import AppSettings  # noqa: E402
from vt_desktop.core.jobs.model import JobSpec, JobState  # noqa: E402
from vt_desktop.core.jobs.store import JobStore  # noqa: E402
from vt_desktop.core.supervisor.broker import free_port  # noqa: E402
from vt_desktop.ui.app import create_application, run_on_qt_loop, settle_gc  # noqa: E402
from vt_desktop.ui.main_window import MainWindow  # noqa: E402
from vt_desktop.ui.review.view import ReviewView  # noqa: E402
from vt_desktop.ui.review.waveform import WaveformView  # noqa: E402
from vt_desktop.ui.view_model import RuntimeViewModel  # noqa: E402

TICK_MS = 10
STALL_MS = 50


class Lateness:
    """Samples how late each tick of a ``TICK_MS`` precise timer comes, in ms."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        #: For each tick, the CPU time the GUI thread used since the last one, in ms: a late
        #: tick with little of it was waiting (for a core on a busy machine, or for the GIL).
        self.cpu: list[float] = []
        #: For each tick, how long the GUI thread was ready to run but had no core since the
        #: last one, in ms (Linux's schedstat; 0 elsewhere): a busy machine, not the app.
        self.queued: list[float] = []
        self._last = self._last_cpu = self._last_queued = 0.0
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> None:
        self.samples, self.cpu, self.queued = [], [], []
        self._last, self._last_cpu = time.perf_counter(), time.thread_time()
        self._last_queued = run_queue_ms()
        self._timer.start(TICK_MS)

    def stop(self) -> list[float]:
        self._timer.stop()
        return self.samples

    def _on_timer_timeout(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.samples.append(max(0.0, (now - self._last) * 1000 - TICK_MS))
        self.cpu.append((cpu - self._last_cpu) * 1000)
        queued = run_queue_ms()
        self.queued.append(queued - self._last_queued)
        self._last, self._last_cpu, self._last_queued = now, cpu, queued


def run_queue_ms() -> float:
    """How long the calling thread has waited for a core in all, in ms (0 where unknown)."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e6
    except (OSError, IndexError, ValueError):
        return 0.0


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


def long_job(minutes: float) -> tuple[AppSettings, str]:
    """A finished job of a ``minutes``-long talk stored in a fresh data dir, one cue per
    utterance; the settings and its id."""
    folder = BASE / "media"
    folder.mkdir(parents=True, exist_ok=True)
    samples, where, _ = join_talk(speech_clips(folder), minutes * 60)
    video = make_video(BASE / "long talk.mp4", write_wav(folder / "long.wav", samples),
                       size=(320, 180), fps=5)  # fmt: skip
    settings = AppSettings(
        data_dir=BASE / "data", cache_dir=BASE / "cache", log_dir=BASE / "logs",
        config_dir=BASE / "config", workers=1, rabbitmq_port=free_port(),
    )  # fmt: skip
    store = JobStore(settings.data_dir / "jobs.sqlite3")
    job = store.create_job(JobSpec(input=video, targets=["pt"], out_dir=BASE / "out"))
    cues = [
        {"start": round(a, 3), "end": round(b, 3), "lines": [SENTENCES[i % len(SENTENCES)][:40]],
         "source": SENTENCES[i % len(SENTENCES)], "flags": []}
        for i, (a, b) in enumerate(where) if b <= minutes * 60
    ]  # fmt: skip
    store.put_artifact(job, "cues-pt", {"bilingual": False, "cues": cues})
    store.put_artifact(job, "plan", {"duration_s": len(samples) / 16000})
    store.update(job, state=JobState.DONE)
    store.close()
    print(f"stored a {minutes:.0f}-minute job with {len(cues)} cues")
    return settings, job


async def measure_review(
    settings: AppSettings, job: str, phase_s: float, play: bool = True, freeze_gc: str = "app"
) -> None:
    """Sample the window while Review makes the waveform, plays (unless not ``play``: the
    player then never gets its audio output), and is edited."""
    view_model = RuntimeViewModel(settings)
    window = MainWindow(view_model)
    window.resize(1280, 800)
    window.show()
    if freeze_gc == "none":  # undo the app's own freeze at start-up, for the comparison
        gc.unfreeze()
    else:
        settle_gc()  # as run_window does once the window shows
    review = window.review_view
    waveform = review.preview.waveform
    meter = Lateness()
    phases: dict[str, tuple[list[float], list[float], list[float]]] = {}
    try:
        meter.start()
        started = time.perf_counter()
        window.show_page("Review")
        review.open_job(job, "pt")
        opened = time.perf_counter() - started
        await wait_for(lambda: waveform.envelope is not None, 300, "the waveform")
        made = time.perf_counter() - started
        if freeze_gc == "open":
            gc.freeze()
        await asyncio.sleep(1.0)
        phases["open, waveform made"] = (meter.stop(), meter.cpu, meter.queued)
        await wait_for(lambda: review.preview.showing_picture, 60, "the first frame")
        meter.start()
        await asyncio.sleep(phase_s / 2)
        phases["page open, idle"] = (meter.stop(), meter.cpu, meter.queued)
        if play:
            meter.start()
            review.preview.play_button.click()
            await asyncio.sleep(phase_s)
            review.preview.play_button.click()
            phases["playing"] = (meter.stop(), meter.cpu, meter.queued)
        actions: dict[str, tuple[int, float]] = {}
        for kind, name in (("rows", "row clicks (seeks)"), ("drags", "edge drags (edits)"),
                           ("wheel", "wheel zooms")):  # fmt: skip
            meter.start()
            actions[name] = await act_for(review, phase_s, kind)
            phases[name] = (meter.stop(), meter.cpu, meter.queued)
        paint = paint_times(waveform)
    finally:
        review.preview.player.stop()
        window.close()
        await view_model.stop()
    report_review(made, opened, paint, phases)
    print("actions (count, slowest call): " + ", ".join(
        f"{name} {n}, {top * 1000:.0f} ms" for name, (n, top) in actions.items()))  # fmt: skip


async def act_for(review: ReviewView, seconds: float, kind: str) -> tuple[int, float]:
    """A scripted reviewer doing one ``kind`` of thing for ``seconds``: "rows" (the next row
    clicked every 100 ms: the player seeks to it), "drags" (a cue's end dragged on the
    waveform every 250 ms: an undoable edit saved in the store) or "wheel" (zoomed in or out
    every 100 ms). How many times, and the longest one took (s)."""
    waveform = review.preview.waveform
    session = review.review.session
    assert session is not None
    deadline = time.monotonic() + seconds
    count, slowest = 0, 0.0
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    while time.monotonic() < deadline:
        count += 1
        row = count % len(session.cues)
        began = time.perf_counter()
        if kind == "rows":
            review.table.selectRow(row)
        elif kind == "drags":
            start, end = waveform.cues[row]
            waveform.set_position(round(start * 1000))  # the view pages to the cue
            y = waveform.height() // 3
            grab = QPoint(round(waveform.x_of(end)), y)
            drop = QPoint(round(waveform.x_of(end - min(0.3, (end - start) / 3))), y)
            QTest.mousePress(waveform, left, none, grab)
            QTest.mouseMove(waveform, drop)
            QTest.mouseRelease(waveform, left, none, drop)
        else:
            centre = QPointF(waveform.width() / 2, waveform.height() / 2)
            delta = QPoint(0, 120 if count % 16 < 8 else -120)
            QApplication.sendEvent(waveform, QWheelEvent(
                centre, waveform.mapToGlobal(centre), QPoint(), delta, Qt.MouseButton.NoButton,
                none, Qt.ScrollPhase.NoScrollPhase, False,
            ))  # fmt: skip
        slowest = max(slowest, time.perf_counter() - began)
        await asyncio.sleep(0.25 if kind == "drags" else 0.1)
    return count, slowest


def paint_times(waveform: WaveformView) -> dict[str, float]:
    """Mean ms of one repaint of the waveform, the whole job and 20 s across the view."""
    figures_ms: dict[str, float] = {}
    for name, span_s in (("whole job", waveform.duration_s), ("20 s", 20.0)):
        waveform.zoom(span_s / waveform.span_s)
        runs = []
        for step in range(20):
            waveform.set_position(round(step * waveform.duration_s * 50))
            started = time.perf_counter()
            waveform.repaint()
            runs.append((time.perf_counter() - started) * 1000)
        figures_ms[name] = sum(runs) / len(runs)
    return figures_ms


def report_review(
    made: float,
    opened: float,
    paint: dict[str, float],
    phases: dict[str, tuple[list[float], list[float], list[float]]],
) -> None:
    print(f"GUI event-loop lateness, {TICK_MS} ms precise timer, offscreen, Review page")
    print(f"open_job (synchronous) took {opened * 1000:.0f} ms; waveform made (one decode in "
          f"a thread) {made:.1f} s after opening the job")  # fmt: skip
    print("waveform repaint: " + ", ".join(f"{k} {v:.2f} ms" for k, v in paint.items()))
    print(f"{'phase':<26} {'ticks':>6} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'>50 ms':>7}"
          f" {'busy':>5} {'no core':>8} {'max cpu':>8}")  # fmt: skip
    for name, (values, cpu, queued) in phases.items():
        p50, p99, top = figures(values)
        stalls = [
            (late, used, waited)
            for late, used, waited in zip(values, cpu, queued, strict=True)
            if late > STALL_MS
        ]
        # busy: the GUI thread itself ran for most of the late interval (the app's own work);
        # no core: it was ready to run for most of it but the machine had no core free
        busy = sum(1 for late, used, _ in stalls if used > (late + TICK_MS) / 2)
        starved = sum(1 for late, _, waited in stalls if waited > (late + TICK_MS) / 2)
        print(f"{name:<26} {len(values):>6} {p50:>7.2f} {p99:>7.2f} {top:>7.1f} {len(stalls):>7}"
              f" {busy:>5} {starved:>8} {max(cpu):>8.1f}")  # fmt: skip
    print(
        "(>50 ms: ticks that late; busy: of those, how many the GUI thread spent mostly "
        "running; no core: how many it spent mostly waiting for a core (a busy machine); "
        "max cpu: the most GUI-thread CPU ms between two ticks)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the talk")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle baseline")
    parser.add_argument("--review", action="store_true", help="the Review page on a long job")
    parser.add_argument("--minutes", type=float, default=15.0, help="length of that job")
    parser.add_argument("--phase", type=float, default=20.0, help="seconds of each phase")
    parser.add_argument(
        "--no-play", action="store_true", help="Review: skip playing (no audio output attached)"
    )
    parser.add_argument(
        "--freeze-gc",
        choices=("none", "app", "open"),
        default="app",
        help="Review: 'app' freezes the collector's objects once the window shows, as the app "
        "does (settle_gc); 'none' undoes that; 'open' freezes again once the job is open (a "
        "full collection of the window's ~85k objects took ~70 ms on the GUI thread)",
    )
    args = parser.parse_args()
    if args.review:
        settings, job = long_job(args.minutes)  # before the clock runs
        app = create_application()
        app.setQuitOnLastWindowClosed(False)
        review = measure_review(settings, job, args.phase, not args.no_play, args.freeze_gc)
        run_on_qt_loop(app, review)
        return
    video = make_talk_video(BASE / "media" / "talk.mp4", args.seconds)  # before the clock runs
    app = create_application()
    app.setQuitOnLastWindowClosed(False)
    run_on_qt_loop(app, measure(video, args.seconds, args.idle))


if __name__ == "__main__":
    main()
