"""Each worker process writes its own rotating log files, and logs every call it serves.

Two workers on one log folder (as the window's local workers are) each write
``<log folder>/<worker id>/app.log``: one file rotated by several processes loses lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.conftest import Caller
from tests.support.workers import WorkerProcs
from worker.protocol.system import PING, PingParams

pytestmark = pytest.mark.slow


async def test_each_worker_logs_into_its_own_files_every_call_it_serves(
    workers: WorkerProcs, caller: Caller, tmp_path: Path
) -> None:
    logs = tmp_path / "shared-logs"
    first = workers.start("w-one", VT_LOG_DIR=str(logs))
    second = workers.start("w-two", VT_LOG_DIR=str(logs))
    await caller.events.wait_for_workers(2, timeout=60)
    answered = {(await caller.rpc.call(PING, PingParams(), timeout=20)).worker_id for _ in range(8)}
    assert answered <= {first, second}
    for wid in (first, second):
        folder = logs / wid
        assert (folder / "app.log").is_file() and (folder / "error.log").is_file()
        text = (folder / "app.log").read_text()
        assert f"worker {wid}" in text, text[-2000:]
        assert all(f"worker {other}" not in text for other in {first, second} - {wid})
    served = {
        wid: (logs / wid / "app.log").read_text().count("received rpc system.ping id=")
        for wid in (first, second)
    }
    assert sum(served.values()) == 8, served
    one = next(w for w in answered)
    assert "answered rpc system.ping id=" in (logs / one / "app.log").read_text()
    assert not (logs / "app.log").exists(), "no file shared by the processes"
