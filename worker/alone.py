"""A call that keeps coming back runs alone, in a worker process of its own.

A call returns to its queue whenever the worker holding it dies, and the broker cannot say
why: the call crashed it (a decoder's segfault, memory it ate), or something unrelated did
(a user, the OOM killer acting for another process, a machine going to sleep). Only the
process that watches the death knows. So a call that came back twice is run in a child
process (``--run-one``: the same services, loaded afresh, no broker) while this worker lives
on and watches: a child that dies is the call's own doing, counted against it; a worker
killed while its child runs returns the call uncounted (the child dies with it).

The child is started the way this process was (``python -m <module>``, or the frozen app's
``--worker``), so it serves the call exactly as this worker would.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import os
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from worker.protocol.jsonrpc import Response, parse_response
from worker.transport.consumer import CrashedAlone

log = logging.getLogger(__name__)


def worker_command() -> list[str]:
    """How to start another process of this worker (the frozen app takes ``--worker``)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--worker"]
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    module = spec.name.removesuffix(".__main__") if spec is not None and spec.name else "worker"
    if module == "vt_desktop":  # the app run from source with --worker, as the frozen one
        return [sys.executable, "-m", module, "--worker"]
    return [sys.executable, "-m", module]


def _service_of(body: bytes) -> str | None:
    with contextlib.suppress(ValueError, UnicodeDecodeError, AttributeError):
        method = json.loads(body).get("method")
        if isinstance(method, str) and "." in method:
            return method.split(".", 1)[0]
    return None


def _death(returncode: int) -> str:
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-returncode).name}"
        return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


async def run_alone(body: bytes, meta: dict[str, Any]) -> Response | None:
    """Serve one call in a child process and return its response (None: a notification).

    Raises:
        CrashedAlone: the child died before it answered (the reason names how).
    """
    with tempfile.TemporaryDirectory(prefix="vt-alone-") as folder:
        request, reply = Path(folder) / "call.json", Path(folder) / "reply.json"
        request.write_text(json.dumps({"body": base64.b64encode(body).decode(), "meta": meta}))
        env = dict(os.environ, VT_WORKER_PREFETCH="1", VT_PARENT_PID=str(os.getpid()))
        if (service := _service_of(body)) is not None:
            env["VT_WORKER_SERVICES"] = service
        proc = await asyncio.create_subprocess_exec(
            *worker_command(), "--run-one", str(request), str(reply), env=env
        )
        try:
            returncode = await proc.wait()
        finally:
            if proc.returncode is None:  # we are stopping or cancelled: the call returns
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if returncode != 0 or not reply.exists():
            raise CrashedAlone(_death(returncode))
        data = reply.read_bytes()
    return parse_response(data) if data else None
