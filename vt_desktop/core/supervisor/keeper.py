"""The broker keeper: a small process that owns the private RabbitMQ node for its clients.

The app does not run ``rabbitmq-server`` as its own child: it starts this keeper (in a
session of its own), and the keeper starts the node and stops it when it is no longer
wanted. That lets the node outlive the window for a while, so a second launch finds it
ready (``broker_keep_warm_minutes``), and still never outlive its use:

* each client (an app process) has a file ``clients/<pid>`` in the node's folder:
  ``<pid> <start time> <linger seconds> <attached 1|0>``. While an attached client's process
  lives, the node runs. A detached client (the window closed) keeps it running for its
  linger seconds from the moment it detached (the file's time); a client whose process died
  without detaching, for its linger seconds from when the keeper noticed;
* the keeper holds an exclusive ``flock`` on ``keeper.lock`` for its whole life: a live
  keeper is one whose lock is held (no stale pid files), and a second keeper on the same
  folder exits at once with ``EXIT_TAKEN``;
* it stops the node when its login session ends: when the session's runtime dir
  (``XDG_RUNTIME_DIR``, removed by logind at logout) is gone, and on SIGHUP, SIGTERM or
  SIGINT; the node gets the kernel's SIGTERM if the keeper itself is killed.

``keeper.json`` says who runs: the keeper's and the node's pids, the port and node name.
This module uses the standard library only: it runs as a script (``python keeper.py``) or
through the frozen app (``VideoTranslator --broker-keeper``), and starts in milliseconds.
The node's command and environment come from the app (``BrokerNode.prepare``), inherited.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if sys.platform != "win32":
    import fcntl

LOCK_FILE = "keeper.lock"
STATE_FILE = "keeper.json"
CLIENTS_DIR = "clients"
#: Exit codes: the node exited by itself; another keeper already owns the folder.
EXIT_NODE_DIED = 1
EXIT_TAKEN = 3
POLL_S = 0.25
STOP_GRACE_S = 20.0
PR_SET_PDEATHSIG = 1


def process_start_time(pid: int) -> str:
    """The kernel's start time of ``pid`` (Linux; "0" elsewhere or when unreadable), so a
    reused pid is not taken for the client that had it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "0"
    return stat.rsplit(")", 1)[1].split()[19]


def pid_alive(pid: int, start_time: str = "0") -> bool:
    """True while ``pid`` runs and (when given) started at ``start_time``; a zombie is dead."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return True  # no /proc (macOS): the pid answering is all we know
    if fields[0] == "Z":
        return False
    return start_time in ("0", fields[19])


@dataclass(frozen=True)
class Client:
    """One client's file: who it is, how long it keeps the node warm, whether attached."""

    path: Path
    pid: int
    start_time: str
    linger_s: float
    attached: bool

    @classmethod
    def read(cls, path: Path) -> Client | None:
        """The client in ``path``, or None for a file that is gone or garbled."""
        try:
            pid, start, linger, attached = path.read_text().split()
            return cls(path, int(pid), start, float(linger), attached == "1")
        except (OSError, ValueError):
            return None

    @property
    def alive(self) -> bool:
        """Its process runs."""
        return pid_alive(self.pid, self.start_time)


def write_client(base: Path, linger_s: float, *, attached: bool, pid: int | None = None) -> Path:
    """Write this process's client file in ``base`` (atomically); its path."""
    pid = os.getpid() if pid is None else pid
    folder = base / CLIENTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / str(pid)
    tmp = folder / f".{pid}.tmp"
    tmp.write_text(f"{pid} {process_start_time(pid)} {linger_s:g} {1 if attached else 0}\n")
    tmp.replace(path)
    return path


def clients(base: Path) -> list[Client]:
    """Every readable client file in ``base``."""
    folder = base / CLIENTS_DIR
    found = (Client.read(p) for p in sorted(folder.glob("[0-9]*"))) if folder.is_dir() else ()
    return [c for c in found if c is not None]


def keeper_running(base: Path) -> bool:
    """True while a keeper holds ``base``'s lock."""
    path = base / LOCK_FILE
    if not path.exists():
        return False
    if sys.platform == "win32":  # pragma: no cover - the private node is POSIX-only here
        return False
    with open(path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
    return False


def read_state(base: Path) -> dict[str, object] | None:
    """What ``keeper.json`` says (None when missing or garbled)."""
    try:
        state = json.loads((base / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


class Keeper:
    """The loop that runs the node while it is wanted."""

    def __init__(self, base: Path, argv: list[str], linger_s: float, session_dir: Path | None):
        self.base = base
        self.argv = argv
        #: Until the first client file is seen: how long the node may run unwanted.
        self.linger_s = linger_s
        self.session_dir = session_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.reason = ""
        self._noticed_dead: dict[Path, float] = {}

    def request_stop(self, signum: int, _frame: object) -> None:
        """A signal handler: stop the node at the next turn of the loop."""
        self.reason = self.reason or f"signal {signal.Signals(signum).name}"

    def run(self) -> int:
        """Start the node, keep it while wanted, stop it; the exit code."""
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self.request_stop)
        out = open(self.base / "log" / "node-stdout.log", "ab")  # noqa: SIM115 (the node's)
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: one killpg reaches erl and its helpers
            # The keeper runs no threads, so a preexec_fn is safe here.
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
        )
        out.close()
        self._write_state(self.proc.pid)
        self._forget_earlier_clients()
        started = time.time()
        while not self.reason:
            if self.proc.poll() is not None:
                _say(f"the node exited by itself with code {self.proc.returncode}")
                return EXIT_NODE_DIED
            if self.session_dir is not None and not self.session_dir.is_dir():
                self.reason = f"the login session ended ({self.session_dir} is gone)"
                break
            if time.time() >= max(started + self.linger_s, self._wanted_until()):
                self.reason = "no client wants the node any more"
                break
            time.sleep(POLL_S)
        _say(f"stopping the node: {self.reason}")
        self._stop_node()
        return 0

    def _forget_earlier_clients(self) -> None:
        """Drop the files of clients that are not here now: what they asked of an earlier
        keeper (a linger) ended with it."""
        for c in clients(self.base):
            if not (c.attached and c.alive):
                with contextlib.suppress(OSError):
                    c.path.unlink()

    def _wanted_until(self) -> float:
        """Until when the clients want the node (infinity while one is attached)."""
        now = time.time()
        until = 0.0
        for c in clients(self.base):
            if c.attached and c.alive:
                return float("inf")
            if c.attached:  # died without detaching: its linger counts from now
                ended = self._noticed_dead.setdefault(c.path, now)
            else:
                with contextlib.suppress(OSError):
                    ended = c.path.stat().st_mtime
            end = ended + c.linger_s
            if end <= now:
                with contextlib.suppress(OSError):
                    c.path.unlink()
                self._noticed_dead.pop(c.path, None)
            until = max(until, end)
        return until

    def _write_state(self, broker_pid: int) -> None:
        state = {"keeper_pid": os.getpid(), "broker_pid": broker_pid, **_node_identity()}
        tmp = self.base / f".{STATE_FILE}.tmp"
        tmp.write_text(json.dumps(state))
        tmp.replace(self.base / STATE_FILE)

    def _stop_node(self) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            _say(f"the node did not stop in {STOP_GRACE_S:.0f} s; killing it")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _node_identity() -> dict[str, object]:
    """The node's name and port, from the environment the app prepared."""
    return {
        "node": os.environ.get("RABBITMQ_NODENAME", ""),
        "port": int(os.environ.get("RABBITMQ_NODE_PORT") or 0),
    }


def _die_with_parent() -> None:
    """In the node's forked child: SIGTERM when the keeper dies, however it dies."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _say(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} keeper {os.getpid()}: {message}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """``keeper --base DIR [--linger S] [--session-dir DIR] -- rabbitmq-server …``."""
    ap = argparse.ArgumentParser(prog="broker-keeper")
    ap.add_argument("--base", type=Path, required=True, help="the node's folder")
    ap.add_argument("--linger", type=float, default=0.0, help="seconds to run with no client")
    ap.add_argument("--session-dir", type=Path, help="stop when this folder is gone (logout)")
    ap.add_argument("command", nargs=argparse.REMAINDER, help="-- the node's command")
    args = ap.parse_args(list(sys.argv[1:] if argv is None else argv))
    command = list(args.command[1:] if args.command[:1] == ["--"] else args.command)
    if not command:
        ap.error("no node command after --")
    base: Path = args.base
    lock = open(base / LOCK_FILE, "a")  # noqa: SIM115 (held for the process's life)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        _say(f"another keeper already runs the node in {base}")
        return EXIT_TAKEN
    keeper = Keeper(base, command, args.linger, args.session_dir)
    try:
        return keeper.run()
    finally:
        with contextlib.suppress(OSError):
            (base / STATE_FILE).unlink()


if __name__ == "__main__":
    sys.exit(main())
