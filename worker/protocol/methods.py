"""Method declarations: one per RPC method, shared by the caller and the worker.

A declaration names the method and the pydantic models of its params and result, so both
ends validate the same shape:

    TRANSCRIBE = Method("asr.transcribe", TranscribeParams, TranscribeResult)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

P = TypeVar("P", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class Method(Generic[P, R]):
    """One RPC method: ``<service>.<name>`` with its params and result models."""

    name: str
    params: type[P]
    result: type[R]

    def __post_init__(self) -> None:
        service, _, method = self.name.partition(".")
        if not service or not method or "." in method:
            raise ValueError(f"method name must be '<service>.<method>', got {self.name!r}")

    @property
    def service(self) -> str:
        """The service (and routing key) that serves this method."""
        return self.name.partition(".")[0]
