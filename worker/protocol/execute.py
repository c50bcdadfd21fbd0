"""The wire shape of a design-style service's one method, ``<service>.execute``.

A service written the way the original backend showed (a ``BaseService`` subclass with an
``execute(self, data: dict) -> dict`` template method) takes any JSON object as params and
answers with any JSON value; callers declare the method like any other::

    VIDEO = execute_method("video_processing")     # video_processing.execute
    result = await rpc.call(VIDEO, ExecuteParams({"path": "/tmp/a.mp4"}))
    print(result.root)
"""

from __future__ import annotations

from typing import Any

from pydantic import RootModel

from worker.protocol.methods import Method

#: The one method of a design-style service: ``<service>.execute``.
EXECUTE = "execute"


class ExecuteParams(RootModel[dict[str, Any]]):
    """Params of ``<service>.execute``: any JSON object (``data`` of ``execute(data)``)."""


class ExecuteResult(RootModel[Any]):
    """Result of ``<service>.execute``: whatever JSON value ``execute`` returned."""


def execute_method(service: str) -> Method[ExecuteParams, ExecuteResult]:
    """The declaration of ``<service>.execute``, for callers and for the worker's routes."""
    return Method(f"{service}.{EXECUTE}", ExecuteParams, ExecuteResult)
