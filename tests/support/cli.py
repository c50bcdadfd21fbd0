"""Running ``vt`` as a user does: a child process with its own config, data, cache and log
folders under one home, and a free port for its private broker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from vt_desktop.core.supervisor.broker import free_port

ROOT = Path(__file__).resolve().parents[2]


def vt_env(home: Path, *, offline: bool = True) -> dict[str, str]:
    """The environment of a ``vt`` kept under ``home`` (``offline``: no Hugging Face Hub;
    without it, ``HF_ENDPOINT`` from the caller's environment names the Hub to use)."""
    env = dict(os.environ)
    env.update(
        VT_CONFIG_DIR=str(home / "config"),
        DATA_DIR=str(home / "data"),
        CACHE_DIR=str(home / "cache"),
        LOG_DIR=str(home / "logs"),
        VT_CACHE_DIR=str(home / "cache"),
        RABBITMQ_PORT=str(free_port()),
        PYTHONPATH=str(ROOT),
    )
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    return env


def vt(*args: str, env: dict[str, str], timeout: float = 400) -> subprocess.CompletedProcess[str]:
    """Run ``vt ARGS`` to its end; its exit code and output come back, never raised."""
    return subprocess.run(
        [sys.executable, "-m", "vt_desktop.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
