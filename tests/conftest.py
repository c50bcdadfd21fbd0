"""Fixtures shared by the whole suite: one private RabbitMQ node for the session."""

from __future__ import annotations

import faulthandler
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest

from tests.support.broker import TestBroker
from tests.support.stuck_report import MARK

os.environ.setdefault("HF_HUB_OFFLINE", "1")

#: pytest-timeout interrupts a test from a signal handler, which runs only when Python runs:
#: a test stuck inside Qt or another C library would hang the run until CI's own limit. Past
#: its timeout plus this grace, every thread's stack is written to the terminal and the run
#: ends (faulthandler's watchdog is a C thread). The dump goes through
#: ``tests/support/stuck_report.py``, which ends it with the stuck test's name and frames (a CI
#: log shows only the tail of a long dump).
STUCK_GRACE_S = 120.0
#: The same watchdog for the process's own exit, after the last test.
EXIT_GRACE_S = 180.0
_terminal: list[TextIO] = []


def pytest_configure(config: pytest.Config) -> None:
    """Start the watchdog's relay on the real stderr (capture is off while pytest configures)."""
    try:
        relay = subprocess.Popen(
            [sys.executable, "-m", "tests.support.stuck_report"],
            stdin=subprocess.PIPE,
            cwd=config.rootpath,
        )
        assert relay.stdin is not None
        _terminal.append(os.fdopen(os.dup(relay.stdin.fileno()), "w"))
        relay.stdin.close()
    except OSError:  # no relay: the dump goes to stderr as it is
        _terminal.append(os.fdopen(os.dup(2), "w"))


def _running(what: str) -> None:
    if _terminal:
        _terminal[0].write(f"{MARK}{what}\n")
        _terminal[0].flush()


def pytest_unconfigure(config: pytest.Config) -> None:
    """Arm the watchdog for the interpreter's exit."""
    if _terminal:
        _running("the interpreter's exit, after the last test")
        faulthandler.dump_traceback_later(EXIT_GRACE_S, exit=True, file=_terminal[0])


def _stuck_after(item: pytest.Item) -> float:
    marker = item.get_closest_marker("timeout")
    try:
        default = float(item.config.getini("timeout") or 300)
    except ValueError:  # pytest-timeout not loaded
        default = 300.0
    seconds = default
    if marker is not None:
        seconds = float(marker.kwargs.get("timeout", marker.args[0] if marker.args else default))
    return seconds + STUCK_GRACE_S


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> object:
    return (yield from _watched(item, "setup"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> object:
    return (yield from _watched(item, "call"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> object:
    return (yield from _watched(item, "teardown"))


def _watched(item: pytest.Item, phase: str) -> Iterator[None]:
    if _terminal:
        _running(f"{item.nodeid} ({phase})")
        faulthandler.dump_traceback_later(_stuck_after(item), exit=True, file=_terminal[0])
    try:
        return (yield)
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestBroker]:
    """A private RabbitMQ node shared by the session (tests isolate by queue prefix)."""
    if shutil.which("erl") is None and not Path("/usr/lib/rabbitmq/bin/rabbitmq-server").exists():
        pytest.fail("rabbitmq-server is not installed: run 'make test' (it installs it)")
    node = TestBroker(tmp_path_factory.mktemp("broker"))
    node.start()
    yield node
    node.stop()
