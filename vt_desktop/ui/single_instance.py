"""One window per user's data: a second launch hands its files to the running window.

The first window listens on a local socket named after the user and the data folder (one
private broker and one job store per data folder). ``videotranslator FILE…`` (or *Open with*
from a file manager) first tries that socket: when a window answers, the files go to it, the
window comes to the front, and the second process exits without starting a second broker.
When none answers (none runs, or it is gone and left a stale socket), the launch goes on as
the first window.

The message is one line of JSON, ``{"files": ["/abs/path", …]}``; the window answers
``ok`` once it has taken them.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)
#: How long a second launch waits for the running window (connect, send, answer).
HAND_OVER_TIMEOUT_MS = 3000
ANSWER = b"ok\n"


def instance_key(data_dir: Path) -> str:
    """The socket name for this user's window on ``data_dir``."""
    digest = hashlib.sha256(f"{getpass.getuser()}\0{data_dir.resolve()}".encode()).hexdigest()
    return f"videotranslator-{digest[:16]}"


def hand_over(key: str, files: Sequence[Path], timeout_ms: int = HAND_OVER_TIMEOUT_MS) -> bool:
    """Give ``files`` to the window listening on ``key``; False when none answers."""
    socket = QLocalSocket()
    socket.connectToServer(key)
    if not socket.waitForConnected(timeout_ms):
        return False
    message = json.dumps({"files": [str(f) for f in files]}).encode() + b"\n"
    socket.write(message)
    if not socket.waitForBytesWritten(timeout_ms):
        return False
    answer = b""
    while not answer.endswith(b"\n") and socket.waitForReadyRead(timeout_ms):
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
        """Start listening; a socket left by a window that died is removed first. False when
        the name cannot be taken (then second launches start windows of their own)."""
        if self.server.listen(self.key):
            return True
        QLocalServer.removeServer(self.key)  # stale: hand_over found nobody answering on it
        if self.server.listen(self.key):
            return True
        log.warning("one-window check off: cannot listen on %s: %s", self.key,
                    self.server.errorString())  # fmt: skip
        return False

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
