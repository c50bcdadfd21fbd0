"""Two launches at the same moment open one window (vt_desktop/ui/single_instance.py).

Real processes, as two clicks on the launcher start them: each claims the name (hand_over),
and the one that gets to be the window listens only after a start-up delay, as the real
window does after building itself. Without the lock both found nobody listening and both
opened a window; with it the second waits for the first and hands over its file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 20
START_UP_MS = 150  # the winner's window building itself before it listens

#: argv: folder (barrier files), this claimer's name, rounds, start-up ms. Prints one line
#: per round: "<round> handed" or "<round> window <listened> <files handed to it>".
CLAIMER = """
import sys, time
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from vt_desktop.ui import single_instance as si

app = QCoreApplication([])
folder, me, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
start_up_s = int(sys.argv[4]) / 1000
for i in range(rounds):
    key = f"{folder.name}-{i}"
    (folder / f"{i}-{me}").touch()
    while len(list(folder.glob(f"{i}-*"))) < 2:  # both at the line: go together
        time.sleep(0.0002)
    if si.hand_over(key, [Path(me)], wait_ms=10_000):
        print(i, "handed", flush=True)
        continue
    time.sleep(start_up_s)
    server = si.InstanceServer(key)
    got = []
    server.files_received.connect(got.append)
    listened = server.listen()
    deadline = time.monotonic() + 10
    while not got and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.002)
    for _ in range(20):  # the answer out before the socket closes
        app.processEvents()
        time.sleep(0.002)
    print(i, "window", listened, ",".join(str(f) for fs in got for f in fs), flush=True)
    server.close()
"""


def claimer(folder: Path, me: str, rounds: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CLAIMER, str(folder), me, str(rounds), str(START_UP_MS)],
        cwd=ROOT,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_launches_at_the_same_moment_open_one_window_which_gets_the_others_file(
    tmp_path: Path,
) -> None:
    folder = tmp_path / f"vt-race-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    procs = {me: claimer(folder, me, ROUNDS) for me in ("a", "b")}
    lines: dict[str, list[list[str]]] = {}
    for me, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        lines[me] = [line.split(" ") for line in out.splitlines()]
    wins = {"a": 0, "b": 0}
    for i in range(ROUNDS):
        a, b = lines["a"][i], lines["b"][i]
        assert a[0] == b[0] == str(i)
        outcomes = sorted([a[1], b[1]])
        assert outcomes == ["handed", "window"], f"round {i}: {a} {b}"
        window, other = ("a", "b") if a[1] == "window" else ("b", "a")
        wins[window] += 1
        row = lines[window][i]
        assert row[2:] == ["True", other], f"round {i}: the window got {row[2:]}"
    print(f"{ROUNDS} rounds, one window each; first to claim: {wins}")


def test_a_launch_killed_while_starting_leaves_no_one_waiting(tmp_path: Path) -> None:
    """Its lock is stale (its process is gone): the next launch is the window at once."""
    key = f"vt-killed-{uuid.uuid4().hex[:8]}"
    script = (
        "import os, signal, sys\n"
        "from vt_desktop.ui import single_instance as si\n"
        "assert not si.hand_over(sys.argv[1], [])\n"
        "print(si.lock_path(sys.argv[1]), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    run = [sys.executable, "-c", script, key]
    killed = subprocess.run(run, check=False, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert Path(killed.stdout.strip()).exists(), "the killed launch's lock is left"
    started = time.monotonic()
    again = subprocess.run(run, check=False, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert again.returncode == -signal.SIGKILL, again.stderr
    assert time.monotonic() - started < 15, "it waited for the dead launch's window"
    assert "one-window check off" not in again.stderr
    Path(again.stdout.strip()).unlink()
