"""The app's side of the broker's keeper (``keeper.py``): start one with the node, wait for
the state file of one that runs, and stop one (TERM, then KILL both after a grace).

``BrokerNode`` (``broker.py``) decides when: adopt a warm node, start a new one, let go.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from vt_desktop.core.supervisor import keeper

log = logging.getLogger(__name__)
#: How long a keeper that holds its lock may take to write its state file.
STATE_WAIT_S = 10.0


class KeeperLost(Exception):
    """The keeper we started exited (``code``: ``keeper.EXIT_TAKEN`` when another had the
    folder)."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def as_pid(value: object) -> int | None:
    """A pid read from the state file, or None."""
    return value if isinstance(value, int) and value > 0 else None


def keeper_command() -> list[str]:
    """The command that runs the broker's keeper, from source or from the frozen app."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--broker-keeper"]
    return [sys.executable, keeper.__file__]


def run_keeper(
    base: Path, logs: Path, argv: list[str], env: dict[str, str]
) -> subprocess.Popen[bytes]:
    """Start the keeper of the node in ``base`` in a session of its own (it starts the node
    with ``argv``). A plain Popen, not asyncio's: asyncio kills a child whose transport is
    collected, and the keeper must outlive this process for its linger (never the login
    session: see ``keeper``)."""
    cmd = [*keeper_command(), "--base", str(base)]
    session = os.environ.get("XDG_RUNTIME_DIR")
    if session and Path(session).is_dir():
        cmd += ["--session-dir", session]
    with open(logs / "keeper.log", "ab") as out:
        return subprocess.Popen(
            [*cmd, "--", *argv],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def running_state(base: Path) -> dict[str, object]:
    """The running keeper's state, waiting a moment for one that has only just started
    (it writes the file after it has started the node)."""
    end = time.monotonic() + STATE_WAIT_S
    while True:  # polls a file: nothing to await but time
        state = keeper.read_state(base)
        if state is not None or time.monotonic() >= end:
            return state or {}
        await asyncio.sleep(0.05)


async def stop_keeper(
    base: Path, proc: subprocess.Popen[bytes] | None, pid: int | None, grace: float
) -> None:
    """TERM the keeper (``proc`` when we started it, else ``pid``; it stops the node, then
    exits); KILL both after ``grace``."""
    if proc is not None and proc.poll() is None:
        pid = proc.pid
    state = keeper.read_state(base) or {}
    broker_pid = as_pid(state.get("broker_pid"))
    if pid is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + grace + 5
    while time.monotonic() < end and keeper.keeper_running(base):
        if proc is not None and proc.poll() is not None:
            break
        await asyncio.sleep(0.05)
    else:
        if keeper.keeper_running(base):
            log.warning("the broker's keeper did not stop in %.0f s; killing it", grace)
            for victim, kill in ((broker_pid, os.killpg), (pid, os.kill)):
                if victim is not None:
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        kill(victim, signal.SIGKILL)
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(1.0)
