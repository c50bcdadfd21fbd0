"""``asyncSlot``: qasync's decorator that lets a Qt signal start a coroutine, typed for mypy.

Async enters Qt only here: a widget's handler is ``@asyncSlot() async def _on_x_clicked``;
the call returns the task qasync scheduled on the running loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, cast

import qasync

P = ParamSpec("P")
AsyncHandler = Callable[P, Coroutine[Any, Any, None]]


def _typed_async_slot(
    *types: type,
) -> Callable[[AsyncHandler[P]], Callable[P, asyncio.Task[None]]]:
    """``qasync.asyncSlot`` with its signature spelled out."""
    return cast(
        "Callable[[AsyncHandler[P]], Callable[P, asyncio.Task[None]]]", qasync.asyncSlot(*types)
    )


asyncSlot = _typed_async_slot  # noqa: N816 (keeps qasync's well-known name)
