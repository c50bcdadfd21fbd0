"""Declarations of the ``system`` service: ping, echo, capabilities and a cancellable sleep."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from worker.protocol.methods import Method


class PingParams(BaseModel):
    """No params."""


class PingResult(BaseModel):
    """Who answered, and when (worker clock, seconds since the epoch)."""

    worker_id: str
    time: float


class EchoParams(BaseModel):
    """Any JSON value to send back."""

    value: Any = None


class EchoResult(BaseModel):
    """The value sent, unchanged."""

    value: Any = None


class Capabilities(BaseModel):
    """What a worker offers; also the body of its presence heartbeat."""

    worker_id: str
    host: str
    pid: int
    version: str
    services: list[str]
    device: str = "cpu"
    device_notice: str | None = None
    models: list[str] = Field(default_factory=list)
    prefetch: int = 1
    load: int = 0
    state: str = "ready"
    #: Digests of the clients whose calls it holds now or ended lately (``clients_seen``).
    clients: list[str] = Field(default_factory=list)


class SleepParams(BaseModel):
    """Sleep this long, checking for cancel every 50 ms (a test aid)."""

    seconds: float = Field(ge=0, le=600)


class SleepResult(BaseModel):
    """How long the worker actually slept."""

    slept: float
    worker_id: str


PING = Method("system.ping", PingParams, PingResult)
ECHO = Method("system.echo", EchoParams, EchoResult)
CAPABILITIES = Method("system.capabilities", PingParams, Capabilities)
SLEEP = Method("system.sleep", SleepParams, SleepResult)
