"""An event loop on a virtual clock, for tests of code that times its waits with the loop.

``loop.time()`` starts at 0 and moves only when the loop has nothing to run and would sleep:
it then jumps to the next timer instead of sleeping. Sleeps, ``wait_for`` deadlines and
windows measured with ``loop.time()`` thus happen in the order their times say, however slow
or loaded the machine is, and take no wall-clock time. Only for code that does no real I/O
(a wait with no timer at all would block for real, as on any loop).
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _VirtualSelector(selectors.DefaultSelector):
    """A selector that, instead of blocking for ``timeout``, moves the clock by it."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:  # no timer due at all: only I/O can wake the loop
            return super().select(None)
        self.now += timeout
        return ready


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose ``time()`` is the virtual clock (see the module's doc)."""

    def __init__(self) -> None:
        self._virtual = _VirtualSelector()
        super().__init__(self._virtual)

    def time(self) -> float:
        return self._virtual.now


def run_on_virtual_clock(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to its end on a fresh ``VirtualClockLoop``."""
    loop = VirtualClockLoop()
    try:
        return loop.run_until_complete(main)
    finally:
        loop.close()
