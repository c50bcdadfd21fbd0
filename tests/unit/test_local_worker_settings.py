"""A local worker connects to the broker with every broker setting the app has."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from vt_desktop.core.config import AppSettings
from vt_desktop.core.runtime import AppRuntime
from vt_desktop.core.supervisor import WorkerPool
from worker.settings import WorkerSettings
from worker.transport.settings import BrokerSettings


def test_a_local_worker_reads_every_broker_setting_the_app_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith(("VT_", "RABBITMQ_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("VT_CONFIG_DIR", str(tmp_path / "config"))
    url = "amqps://alice:s3cret%2Fodd@broker.example.org:5671/team"
    saved: dict[str, Any] = {
        "rabbitmq_url": SecretStr(url),
        "rabbitmq_host": "broker.example.org",
        "rabbitmq_port": 5671,
        "rabbitmq_user": "alice",
        "rabbitmq_password": SecretStr("s3cret/odd"),
        "rabbitmq_vhost": "team",
        "rabbitmq_rpc_queue": "team-vt",
        "rabbitmq_heartbeat": 7,
        "rabbitmq_tls": True,
        "rabbitmq_ca_file": str(tmp_path / "ca.pem"),
        "rabbitmq_cert_file": str(tmp_path / "client.pem"),
        "rabbitmq_key_file": str(tmp_path / "client.key"),
    }
    defaults = BrokerSettings.model_fields
    assert set(saved) == set(defaults), "give every broker setting a value here"
    assert all(value != defaults[name].default for name, value in saved.items())
    app = AppSettings(**saved, mode="remote", data_dir=tmp_path / "data")

    pool = WorkerPool(app.broker_url(), count=1, env=AppRuntime(app)._worker_env())
    for name, value in pool._env().items():  # what the worker process is started with
        monkeypatch.setenv(name, value)
    worker = WorkerSettings()

    assert {name: getattr(worker, name) for name in saved} == saved
