"""The call being served: its id, job, deadline, cancel flag and progress, in a context variable.

The dispatcher binds a ``CallContext`` for each call (``set_current_call``); a service handler,
or an engine working for it, reads it with ``current_call()`` to check for cancellation
between units of work (``ctx.check_cancelled()``) and to report progress. It sits below both
services and engines: an engine needs the call's deadline and cancel flag, never a service.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from worker.protocol.errors import Cancelled, DeadlinePassed

ProgressSink = Callable[["CallContext", float, str], None]


@dataclass
class CallContext:
    """The call being served: identity, deadline and a thread-safe cancel flag."""

    call_id: str
    method: str
    job_id: str | None = None
    deadline: float | None = None  # seconds since the epoch
    client_id: str | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    progress_sink: ProgressSink | None = None

    @property
    def cancelled(self) -> bool:
        """True once the call or its job has been cancelled."""
        return self.cancel_event.is_set()

    def check_cancelled(self) -> None:
        """Stop work if the call was cancelled or ran past its deadline.

        Raises:
            Cancelled: the call or its job was cancelled.
            DeadlinePassed: the caller's deadline has passed.
        """
        if self.cancel_event.is_set():
            raise Cancelled(f"call {self.call_id} cancelled")
        if self.deadline is not None and time.time() > self.deadline:
            raise DeadlinePassed(f"call {self.call_id} ran past its deadline")

    def progress(self, fraction: float, message: str = "") -> None:
        """Report progress of a long call (thread-safe; transient, may be lost)."""
        if self.progress_sink is not None:
            self.progress_sink(self, max(0.0, min(1.0, fraction)), message)


_current_call: contextvars.ContextVar[CallContext] = contextvars.ContextVar("vt_current_call")


def current_call() -> CallContext:
    """The context of the call this task is serving.

    Raises:
        LookupError: called outside a call.
    """
    return _current_call.get()


def set_current_call(ctx: CallContext) -> contextvars.Token[CallContext]:
    """Bind ``ctx`` as the current call (used by the dispatcher)."""
    return _current_call.set(ctx)
