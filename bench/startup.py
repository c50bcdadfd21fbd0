"""Start-up figures: launch → window, → broker, → first ping; cold and warm; new and old code.

Each launch runs the real app (``python -m vt_desktop`` through this file's ``--probe``
mode, offscreen, one local worker, its own data/config/log folders) and records, from
the moment before the process is started:

* ``window``: the main window's first paint, and then one more turn of the event loop (so
  the window is painted and answering);
* ``broker``: the private broker answers (the runtime's broker step returned);
* ``ping``: the first worker answered a ``system.ping``. The probe then closes the window
  as a user would;
* ``window CPU``: the app process's CPU seconds at its first paint (what the machine's load
  does not change much).

``cold``: no broker runs (the data folder exists: an earlier launch made it, as on any
day but the first). ``warm``: the window was closed a moment ago, so the new code's
broker is still running (``broker_keep_warm_minutes``); the old code starts it again.

The old code is a ``git worktree`` of ``--base`` (default: the commit before the fast
start), the new one of ``--new`` (default HEAD: others' uncommitted edits in a shared work
tree stay out), both run by the same interpreter in the same run, launches interleaved with the new
code's so both see the same machine. Each figure is the median of ``--runs`` launches.
Run: ``python bench/startup.py [--runs 5] [--base REV]``.

``--paint``: only launch → first paint and the CPU seconds spent to it, no broker (the
window is pointed at a remote broker that is not there, so no node boots beside it and
steals the cores), the process ended at once: the window's own cost, old against new, in ~seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: The last commit before the fast start (keeper, tuned node, keep-warm).
BASE_REV = "a55318e"
EVENTS = ("window", "broker", "ping")
PAINT_ONLY_ENV = "VT_BENCH_PAINT_ONLY"
LAUNCH_TIMEOUT_S = 240.0


# -- the probe: runs inside the launched app ----------------------------------------------


def probe(repo: Path, out: Path) -> int:  # pragma: no cover - runs in the child
    """Run the app from ``repo`` with marks written to ``out``; its exit code."""
    sys.path.insert(0, str(repo))
    marks = out.open("a")

    def mark(event: str) -> None:
        stamp = {"event": event, "time": time.time(), "cpu": time.process_time()}
        marks.write(json.dumps(stamp) + "\n")
        marks.flush()

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

    import vt_desktop.ui.app as app_mod
    from vt_desktop.core.runtime import AppRuntime

    def close_windows() -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QMainWindow):
                w.close()

    def painted() -> None:
        mark("window")
        if os.environ.get(PAINT_ONLY_ENV):  # nothing of ours runs beside a remote window
            os._exit(0)

    class FirstPaint(QObject):
        seen = False

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
            painted_now = not self.seen and event.type() == QEvent.Type.Paint
            if painted_now and isinstance(obj, QWidget) and isinstance(obj.window(), QMainWindow):
                self.seen = True
                QTimer.singleShot(0, painted)
            return False

    spy = FirstPaint()
    create = app_mod.create_application

    def create_application(argv: Any = None) -> QApplication:
        app = create(argv)
        app.installEventFilter(spy)
        return app

    app_mod.create_application = create_application
    start_broker = AppRuntime._start_broker
    start = AppRuntime.start

    async def _start_broker(self: AppRuntime) -> str:
        url = await start_broker(self)
        mark("broker")
        return url

    async def first_ping(rt: AppRuntime) -> None:
        assert rt.events is not None
        await rt.events.wait_for_workers(1, timeout=LAUNCH_TIMEOUT_S)
        while True:
            try:
                await rt.ping_workers(calls=1, timeout=5.0)
                break
            except Exception:
                await asyncio.sleep(0.05)
        mark("ping")
        close_windows()

    async def _start(self: AppRuntime) -> None:
        await start(self)
        pinging = asyncio.ensure_future(first_ping(self))
        self.__dict__["_bench_ping"] = pinging  # keep a reference

    AppRuntime._start_broker = _start_broker  # type: ignore[method-assign]
    AppRuntime.start = _start  # type: ignore[method-assign]
    from vt_desktop.__main__ import main

    return main([])


# -- the driver ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Install:
    """One version of the app with its own folders and port (as one user's install)."""

    def __init__(self, name: str, repo: Path, home: Path) -> None:
        self.name = name
        self.repo = repo
        self.home = home
        self.port = free_port()
        for d in ("data", "cache", "logs", "config"):
            (home / d).mkdir(parents=True, exist_ok=True)

    def env(self, keep_warm_minutes: float) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            QT_QPA_PLATFORM="offscreen",
            HF_HUB_OFFLINE="1",
            DATA_DIR=str(self.home / "data"),
            CACHE_DIR=str(self.home / "cache"),
            LOG_DIR=str(self.home / "logs"),
            VT_CONFIG_DIR=str(self.home / "config"),
            RABBITMQ_PORT=str(self.port),
            WORKERS="1",
            VT_BROKER_KEEP_WARM=f"{keep_warm_minutes:g}",
            PYTHONPATH=str(self.repo),  # the workers (python -m worker) run this version too
        )
        env.pop("RABBITMQ_URL", None)
        return env

    def paint_env(self) -> dict[str, str]:
        """The window alone: a remote broker that is not there (no node boots beside it)."""
        env = self.env(0)
        env.update(MODE="remote", RABBITMQ_URL=f"amqp://guest:guest@127.0.0.1:{self.port}/")
        env[PAINT_ONLY_ENV] = "1"
        return env

    def launch(self, keep_warm_minutes: float, paint_only: bool = False) -> dict[str, float]:
        """One launch to its first ping (or paint) and close; seconds from launch to each
        event."""
        out = self.home / "marks.jsonl"
        out.unlink(missing_ok=True)
        cmd = [sys.executable, str(Path(__file__).resolve()), "--probe", str(self.repo), str(out)]
        launched = time.time()
        proc = subprocess.run(
            cmd,
            env=self.paint_env() if paint_only else self.env(keep_warm_minutes),
            cwd=self.home,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=LAUNCH_TIMEOUT_S,
            check=False,
        )
        marks: dict[str, float] = {}
        if out.exists():
            for line in out.read_text().splitlines():
                m = json.loads(line)
                marks.setdefault(m["event"], m["time"] - launched)
                marks.setdefault(m["event"] + " cpu", m["cpu"])
        wanted = {"window"} if paint_only else set(EVENTS)
        if proc.returncode != 0 or not wanted <= set(marks):
            raise RuntimeError(
                f"{self.name}: launch failed (rc {proc.returncode}, marks {marks}): "
                f"{proc.stderr[-2000:]}"
            )
        return marks

    def stop_kept_broker(self) -> None:
        """Stop a broker the new code left running (its keeper stops it and exits)."""
        state_file = self.home / "data" / "broker" / "keeper.json"
        with contextlib.suppress(OSError, ValueError, ProcessLookupError):
            pid = int(json.loads(state_file.read_text())["keeper_pid"])
            os.kill(pid, 15)
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline:
                os.kill(pid, 0)
                time.sleep(0.1)


def table(results: dict[tuple[str, str], list[dict[str, float]]]) -> str:
    head = f"{'':14}{'window s':>10}{'broker s':>10}{'first ping s':>14}{'window CPU s':>14}"
    rows = [head]
    for (version, kind), runs in results.items():
        cells = [statistics.median(r[e] for r in runs) for e in (*EVENTS, "window cpu")]
        rows.append(
            f"{version + ' ' + kind:14}{cells[0]:>10.2f}{cells[1]:>10.2f}{cells[2]:>14.2f}"
            f"{cells[3]:>14.2f}"
        )
    return "\n".join(rows)


def paint_table(results: dict[str, list[dict[str, float]]]) -> str:
    rows = [f"{'':14}{'window s':>10}{'window CPU s':>14}"]
    for version, runs in results.items():
        window = statistics.median(r["window"] for r in runs)
        cpu = statistics.median(r["window cpu"] for r in runs)
        rows.append(f"{version:14}{window:>10.2f}{cpu:>14.2f}")
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--base", default=BASE_REV, help="the old code's commit")
    ap.add_argument("--new", default="HEAD", help="the new code's commit")
    ap.add_argument("--paint", action="store_true", help="launch to first paint only, no broker")
    ap.add_argument("--probe", nargs=2, metavar=("REPO", "MARKS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe:
        return probe(Path(args.probe[0]), Path(args.probe[1]))
    work = Path(tempfile.mkdtemp(prefix="vt-startup-"))
    trees = {"old": work / "old-tree", "new": work / "new-tree"}
    for name, rev in (("old", args.base), ("new", args.new)):
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(trees[name]), rev],
            check=True,
            capture_output=True,
        )
    new = Install("new", trees["new"], work / "new")
    old = Install("old", trees["old"], work / "old")
    if args.paint:
        return paint_runs(args, old, new, trees, work)
    results: dict[tuple[str, str], list[dict[str, float]]] = {
        (v, k): [] for k in ("cold", "warm") for v in ("old", "new")
    }
    try:
        for inst in (old, new):  # the data folders exist from here on, as after a first day
            inst.launch(keep_warm_minutes=0)
        for i in range(args.runs):
            results["old", "cold"].append(old.launch(keep_warm_minutes=0))
            # the last cold launch leaves the broker warm for the warm ones
            last = i == args.runs - 1
            results["new", "cold"].append(new.launch(keep_warm_minutes=10 if last else 0))
            print(f"cold {i + 1}: old {results['old', 'cold'][-1]}", flush=True)
            print(f"cold {i + 1}: new {results['new', 'cold'][-1]}", flush=True)
        for i in range(args.runs):
            results["old", "warm"].append(old.launch(keep_warm_minutes=10))
            results["new", "warm"].append(new.launch(keep_warm_minutes=10))
            print(f"warm {i + 1}: old {results['old', 'warm'][-1]}", flush=True)
            print(f"warm {i + 1}: new {results['new', 'warm'][-1]}", flush=True)
    finally:
        new.stop_kept_broker()
        old.stop_kept_broker()
        remove_trees(trees, work)
    print(f"\nseconds from launch, median of {args.runs} (old = {args.base}):")
    print(table(results))
    return 0


def paint_runs(
    args: argparse.Namespace, old: Install, new: Install, trees: dict[str, Path], work: Path
) -> int:
    """``--paint``: launch → first paint, interleaved old/new, median of ``--runs``."""
    results: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
    try:
        for inst in (old, new):  # first launches write their folders and .pyc files
            inst.launch(0, paint_only=True)
        for i in range(args.runs):
            for inst in (old, new):
                results[inst.name].append(inst.launch(0, paint_only=True))
            print(f"paint {i + 1}: old {results['old'][-1]} new {results['new'][-1]}", flush=True)
    finally:
        remove_trees(trees, work)
    print(f"\nlaunch to first paint, median of {args.runs} (old = {args.base}):")
    print(paint_table(results))
    return 0


def remove_trees(trees: dict[str, Path], work: Path) -> None:
    for tree in trees.values():
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
            check=False,
            capture_output=True,
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
