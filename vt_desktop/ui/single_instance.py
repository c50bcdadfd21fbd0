"""One window per user's data: a second launch hands its files to the running window.

The first window listens on a local socket named after the user and the data folder (one
private broker and one job store per data folder). ``videotranslator FILE…`` (or *Open with*
from a file manager) first tries that socket: when a window answers, the files go to it, the
window comes to the front, and the second process exits without starting a second broker.

Who is to be the window is settled by a lock file beside the socket (``QLockFile``), not by
the socket: a launch that finds nobody listening takes the lock at once, before its window
(seconds of start-up) listens, and keeps it while it runs. A launch that finds the lock held
waits for that window to listen and hands over to it, so two launches at the same moment
open one window. A holder that died leaves a stale lock (its process is gone) and maybe a
stale socket: the next launch takes over both.

The message is one line of JSON, ``{"files": ["/abs/path", …]}``; the window answers
``ok`` once it has taken them."""

from __future__ import annotations

import atexit
import getpass
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QDir, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)
#: How long a second launch waits for the running window (connect, send, answer).
HAND_OVER_TIMEOUT_MS = 3000
#: How long a launch waits for a window that holds the lock but does not listen yet.
STARTING_WINDOW_WAIT_MS = 30_000
POLL_S = 0.05
ANSWER = b"ok\n"
#: The locks this process holds, by key: kept until it exits (or release()).
_claims: dict[str, QLockFile] = {}


def instance_key(data_dir: Path) -> str:
    """The socket name for this user's window on ``data_dir``."""
    digest = hashlib.sha256(f"{getpass.getuser()}\0{data_dir.resolve()}".encode()).hexdigest()
    return f"videotranslator-{digest[:16]}"


def lock_path(key: str) -> Path:
    """The lock file whose holder is (or is about to be) the window on ``key``."""
    return Path(QDir.tempPath()) / f"{key}.lock"


def claim(key: str) -> bool:
    """Take the lock on ``key`` without waiting; True when this process holds it (now or
    already). Held until the process exits, even if killed: a lock whose process is gone is
    stale and the next claim takes it."""
    if key in _claims:
        return True
    lock = QLockFile(str(lock_path(key)))
    lock.setStaleLockTime(0)  # a live window's lock never goes stale, however old
    if not lock.tryLock(0):
        return False
    _claims[key] = lock
    return True


def release(key: str) -> None:
    """Give up the lock on ``key`` (a window that stops serving second launches)."""
    if (lock := _claims.pop(key, None)) is not None:
        lock.unlock()


@atexit.register
def _release_all() -> None:
    """A process that exits removes its lock files (one killed leaves them stale)."""
    for key in list(_claims):
        release(key)


def hand_over(
    key: str,
    files: Sequence[Path],
    timeout_ms: int = HAND_OVER_TIMEOUT_MS,
    wait_ms: int = STARTING_WINDOW_WAIT_MS,
) -> bool:
    """Give ``files`` to the window on ``key``: True when it took them.

    False when no window runs and none is starting: this process then holds the lock on
    ``key`` and is to be the window (its InstanceServer listens under that lock). A window
    that holds the lock but does not listen yet (it is starting) is waited for, up to
    ``wait_ms``; False too when it never answers (then this launch opens a window without
    the one-window check, as when the name cannot be taken).
    """
    deadline = time.monotonic() + wait_ms / 1000
    while True:
        answered = _send(key, files, timeout_ms, deadline)
        if answered is not None:
            return answered
        if claim(key):
            return False
        if time.monotonic() >= deadline:
            log.warning("one-window check off: %s is held but nobody answers", lock_path(key))
            return False
        time.sleep(POLL_S)


def _send(key: str, files: Sequence[Path], timeout_ms: int, deadline: float) -> bool | None:
    """None when nobody listens on ``key``; else whether the window took the files. A window
    still starting has its event loop later: its answer is waited for until ``deadline``
    (sending again would queue the files twice)."""
    socket = QLocalSocket()
    socket.connectToServer(key)
    if not socket.waitForConnected(timeout_ms):
        return None
    message = json.dumps({"files": [str(f) for f in files]}).encode() + b"\n"
    socket.write(message)
    if not socket.waitForBytesWritten(timeout_ms):
        return False
    answer = b""
    answer_ms = max(timeout_ms, int((deadline - time.monotonic()) * 1000))
    while not answer.endswith(b"\n") and socket.waitForReadyRead(answer_ms):
        answer += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    return answer == ANSWER


class InstanceServer(QObject):
    """The running window's end: ``files_received`` carries what a second launch passed
    (possibly nothing: then it only wants the window in front)."""

    files_received = Signal(list)

    def __init__(self, key: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._on_server_new_connection)

    def listen(self) -> bool:
        """Start listening, under the lock on the key (hand_over took it, or it is taken
        here). A socket left by a window that died is removed first: with the lock held,
        nobody else listens. False when another process holds the lock or the name cannot
        be taken (then second launches start windows of their own)."""
        if not claim(self.key):
            log.warning("one-window check off: another window holds %s", lock_path(self.key))
            return False
        if self.server.listen(self.key):
            return True
        QLocalServer.removeServer(self.key)  # stale: its window is gone (it held the lock)
        if self.server.listen(self.key):
            return True
        log.warning("one-window check off: cannot listen on %s: %s", self.key,
                    self.server.errorString())  # fmt: skip
        return False

    def close(self) -> None:
        """Stop listening and give up the lock: the next launch is a window of its own."""
        self.server.close()
        release(self.key)

    def _on_server_new_connection(self) -> None:
        while (socket := self.server.nextPendingConnection()) is not None:
            socket.setParent(self)
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        data = socket.property("received") or b""
        data += bytes(socket.readAll().data())
        socket.setProperty("received", data)
        if not data.endswith(b"\n"):
            return
        try:
            files = [Path(f) for f in json.loads(data)["files"]]
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("a second launch sent something unreadable: %s", exc)
            socket.disconnectFromServer()
            return
        socket.write(ANSWER)
        socket.flush()
        log.info("a second launch handed over %d file(s)", len(files))
        self.files_received.emit(files)
