"""Remote mode over TLS serves the app's own local workers too.

The app is configured by ``settings.toml`` alone (no connection variables in the environment):
a remote broker that speaks only ``amqps``, checks its certificate against a private CA and
asks every client for a certificate of its own. The local worker the app starts beside it
must connect exactly as the app does, or it fails verification and restarts forever.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pysubs2
import pytest

from tests.support.broker import TestBroker
from tests.support.media import make_video
from tests.support.tls import Pki, make_pki, tls_listener_config
from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.runtime import AppRuntime, LogLine
from vt_desktop.core.supervisor.broker import free_port

pytestmark = pytest.mark.slow


class ClientCertBroker:
    """A private node whose ``amqps`` listener wants a client certificate from the test CA."""

    def __init__(self, base: Path) -> None:
        self.pki: Pki = make_pki(base / "pki")
        self.tls_port = free_port()
        config = tls_listener_config(self.pki, self.tls_port, require_client_cert=True)
        self.node = TestBroker(base / "node", extra_config=config)


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientCertBroker]:
    broker = ClientCertBroker(tmp_path_factory.mktemp("tls-local"))
    broker.node.start()
    yield broker
    broker.node.stop()


def write_settings_toml(config_dir: Path, broker: ClientCertBroker, home: Path) -> Path:
    """What a user of remote mode has saved: the TLS broker, its CA, a client certificate."""
    node, pki = broker.node.node, broker.pki
    config_dir.mkdir(parents=True)
    path = config_dir / "settings.toml"
    path.write_text(
        'mode = "remote"\n'
        "workers = 1\n"
        'rabbitmq_host = "127.0.0.1"\n'
        f"rabbitmq_port = {broker.tls_port}\n"
        f'rabbitmq_user = "{node.user}"\n'
        f'rabbitmq_password = "{node.password}"\n'
        "rabbitmq_tls = true\n"
        f'rabbitmq_ca_file = "{pki.ca}"\n'
        f'rabbitmq_cert_file = "{pki.client_cert}"\n'
        f'rabbitmq_key_file = "{pki.client_key}"\n'
        "rabbitmq_heartbeat = 5\n"
        f'data_dir = "{home / "data"}"\n'
        f'cache_dir = "{home / "cache"}"\n'
        f'log_dir = "{home / "logs"}"\n'
    )
    return path


async def wait_for_local_worker(rt: AppRuntime, output: list[LogLine], timeout: float) -> None:
    """Wait until the local worker serves ``asr``; fail as soon as it has crashed once."""
    assert rt.events is not None and rt.pool is not None
    deadline = asyncio.get_running_loop().time() + timeout
    while not rt.events.online("asr"):
        crashed = [
            w.worker_id for w in rt.pool.workers.values() if w.restarts or w.state != "running"
        ]
        if crashed or asyncio.get_running_loop().time() > deadline:
            said = "\n".join(line.message for line in output if line.source != "app")
            pytest.fail(f"local worker never came online (crashed: {crashed}):\n{said[-3000:]}")
        await asyncio.sleep(0.1)


async def test_local_worker_beside_a_remote_tls_broker_translates_a_clip(
    tls_broker: ClientCertBroker, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith(("VT_", "RABBITMQ_")):
            monkeypatch.delenv(name)
    config_dir = tmp_path / "config"
    monkeypatch.setenv("VT_CONFIG_DIR", str(config_dir))  # where the app looks, not a setting
    write_settings_toml(config_dir, tls_broker, tmp_path)
    video = make_video(tmp_path / "jfk.mp4")
    out = tmp_path / "out"

    rt = AppRuntime(AppSettings())
    output: list[LogLine] = []
    rt.on_log.append(output.append)
    started = time.monotonic()
    await rt.start()
    try:
        assert rt.status.broker.startswith("remote amqps://")
        assert rt.runner is not None and rt.pool is not None
        assert list(rt.pool.workers) == ["local-1"]
        await wait_for_local_worker(rt, output, timeout=120)
        online_s = time.monotonic() - started
        spec = JobSpec(input=video, targets=["en", "pt"], out_dir=out, model="tiny.en",
                       engine="bergamot", formats=["srt"])  # fmt: skip
        job = rt.store.create_job(spec)
        await asyncio.wait_for(rt.runner.run(job), 300)
        record = rt.store.get(job)
        job_s = time.monotonic() - started - online_s
        restarts = sum(w.restarts for w in rt.pool.workers.values())
    finally:
        await rt.stop()

    assert record.state is JobState.DONE, record.error
    assert restarts == 0
    english = " ".join(e.plaintext for e in pysubs2.load(str(out / "jfk.en.srt"))).lower()
    portuguese = " ".join(e.plaintext for e in pysubs2.load(str(out / "jfk.pt.srt"))).lower()
    assert "ask not what your country can do for you" in english.replace(",", ""), english
    assert "país" in portuguese, portuguese
    print(f"reliability: tls_local_worker online_after={online_s:.1f}s job={job_s:.1f}s "
          f"restarts={restarts}")  # fmt: skip
