"""Settings of one worker process (environment, ``.env`` and command line)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from worker.transport.settings import BrokerSettings

APP_NAME = "VideoTranslator"


def default_worker_id() -> str:
    """``<host>-<pid>``: unique among live workers, readable in the window."""
    return f"{socket.gethostname()}-{os.getpid()}"


class WorkerSettings(BrokerSettings):
    """What a worker needs: the broker, its identity, prefetch and its directories."""

    model_config = SettingsConfigDict(
        env_prefix="", env_file=".env", extra="ignore", case_sensitive=False
    )

    worker_id: str = Field(default_factory=default_worker_id, alias="VT_WORKER_ID")
    prefetch: int = Field(default=1, ge=1, le=256, alias="VT_WORKER_PREFETCH")
    services: str = Field(default="", alias="VT_WORKER_SERVICES")
    #: Built-in services left out of discovery, comma-separated, so that plugins of the same
    #: names are served instead (``asr,mt``); each must be a built-in's name.
    replace_builtins: str = Field(default="", alias="VT_WORKER_REPLACE_BUILTINS")
    config_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_config_dir(APP_NAME)),
        alias="VT_CONFIG_DIR",
    )
    cache_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_cache_dir(APP_NAME)), alias="VT_CACHE_DIR"
    )
    #: Logs go to ``<log_dir>/<worker_id>/app.log`` and ``error.log`` (``none``: console only).
    log_dir: Path | None = Field(
        default_factory=lambda: Path(platformdirs.user_log_dir(APP_NAME)) / "workers",
        alias="VT_LOG_DIR",
    )
    plugin_dir: Path | None = Field(default=None, alias="VT_PLUGIN_DIR")
    heartbeat_interval: float = Field(default=2.0, gt=0, alias="VT_HEARTBEAT_INTERVAL")
    stop_grace: float = Field(default=20.0, ge=0, alias="VT_STOP_GRACE")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    parent_pid: int | None = Field(default=None, alias="VT_PARENT_PID")
    #: How long a worker keeps trying its first connection to the broker, in seconds
    #: (``inf``: until it answers; 0: one try).
    connect_timeout: float = Field(default=30.0, ge=0, alias="VT_CONNECT_TIMEOUT")

    @field_validator("log_dir", mode="before")
    @classmethod
    def _no_log_files(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() in {"", "none"} else value

    def worker_log_dir(self) -> Path | None:
        """Where this worker writes its log files: a folder of its own under ``log_dir``."""
        return None if self.log_dir is None else self.log_dir / self.worker_id

    @field_validator("connect_timeout", mode="before")
    @classmethod
    def _forever(cls, value: object) -> object:
        """``forever`` (as ``--connect-timeout`` takes it) is no limit."""
        if isinstance(value, str) and value.strip().lower() == "forever":
            return float("inf")
        return value

    @field_validator("replace_builtins")
    @classmethod
    def _builtins_only(cls, value: str) -> str:
        names = _names(value)
        if not names:
            return value
        from worker.loader import builtin_service_names  # imports the built-in services

        builtins = builtin_service_names()
        unknown = sorted(names - set(builtins))
        if unknown:
            raise ValueError(
                f"VT_WORKER_REPLACE_BUILTINS names {', '.join(map(repr, unknown))}, which is "
                f"no built-in service (the built-ins: {', '.join(builtins)})"
            )
        return value

    def replaced_builtins(self) -> frozenset[str]:
        """Built-in services this worker leaves out for plugins of the same names."""
        return _names(self.replace_builtins)

    def service_filter(self) -> set[str]:
        """Services this worker is limited to (empty: every enabled one)."""
        return {s.strip() for s in self.services.split(",") if s.strip()}


def _names(text: str) -> frozenset[str]:
    """The names of a comma-separated list (blanks and spaces dropped)."""
    return frozenset(s.strip() for s in text.split(",") if s.strip())
