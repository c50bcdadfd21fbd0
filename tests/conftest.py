"""Fixtures shared by the whole suite: one private RabbitMQ node for the session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.broker import TestBroker

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestBroker]:
    """A private RabbitMQ node shared by the session (tests isolate by queue prefix)."""
    if shutil.which("erl") is None and not Path("/usr/lib/rabbitmq/bin/rabbitmq-server").exists():
        pytest.fail("rabbitmq-server is not installed: run 'make test' (it installs it)")
    node = TestBroker(tmp_path_factory.mktemp("broker"))
    node.start()
    yield node
    node.stop()
