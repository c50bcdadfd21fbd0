"""TLS and access: a private broker with an ``amqps`` listener and certificates made here.

A worker and a caller work over ``amqps`` with the certificate verified against the test CA;
a wrong CA, an expired broker certificate, a wrong password and a wrong vhost each fail fast
with a plain-words error; no password appears in any log or error text.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Caller, open_caller
from tests.support.broker import TestBroker
from tests.support.tls import Pki, make_pki, tls_listener_config
from tests.support.workers import worker_procs
from vt_desktop.core.supervisor.broker import free_port
from worker.protocol.errors import BrokerError
from worker.protocol.system import PING, PingParams
from worker.transport.connection import connect, safe_url
from worker.transport.settings import BrokerSettings

pytestmark = pytest.mark.slow


class TlsBroker:
    """A private node with a plain and a TLS listener."""

    def __init__(self, base: Path) -> None:
        self.pki = make_pki(base / "pki")
        self.tls_port = free_port()
        self.node = TestBroker(
            base / "node", extra_config=tls_listener_config(self.pki, self.tls_port)
        )

    def url(self, *, password: str | None = None, vhost: str = "", port: int | None = None) -> str:
        node = self.node.node
        secret = password if password is not None else node.password
        return f"amqps://{node.user}:{secret}@127.0.0.1:{port or self.tls_port}/{vhost}"


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsBroker]:
    broker = TlsBroker(tmp_path_factory.mktemp("tls"))
    broker.node.start()
    yield broker
    broker.node.stop()


async def _refusal(url: str, ca: Path) -> str:
    settings = BrokerSettings(rabbitmq_url=url, rabbitmq_ca_file=str(ca), rabbitmq_heartbeat=2)
    try:
        conn = await connect(settings, name="tls-test", timeout=10)
    except BrokerError as refused:
        return str(refused)
    await conn.close()
    raise AssertionError(f"{safe_url(url)} was accepted")


async def _expired_server(pki: Pki) -> asyncio.Server:
    """A TLS endpoint on loopback that shows the expired certificate (signed by the test CA)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pki.expired_cert, pki.server_key)

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    return await asyncio.start_server(hang_up, "127.0.0.1", 0, ssl=ctx)


async def test_amqps_works_verified_and_every_bad_credential_gets_a_clear_error(
    tls_broker: TlsBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pki, password = tls_broker.pki, tls_broker.node.node.password
    with worker_procs(tls_broker.url(), tmp_path / "w") as pool:
        wid = pool.start(RABBITMQ_CA_FILE=str(pki.ca), VT_WORKER_SERVICES="system")
        bad = pool.start("bad-password", RABBITMQ_URL=tls_broker.url(password="wrong-secret-42"),
                         RABBITMQ_CA_FILE=str(pki.ca))  # fmt: skip
        caller = await open_caller_tls(tls_broker.url(), pool.prefix, pki.ca)
        try:
            await caller.events.wait_for_workers(1, timeout=60)
            assert (await caller.rpc.call(PING, PingParams(), timeout=20)).worker_id == wid
        finally:
            await caller.rpc.close()
            await caller.rpc.connection.close()
        bad_code = await asyncio.to_thread(pool.procs[bad].wait, 60)
        bad_log = pool.log_text(bad)
    errors = {
        "wrong CA": await _refusal(tls_broker.url(), pki.other_ca),
        "wrong password": await _refusal(tls_broker.url(password="wrong-secret-42"), pki.ca),
        "wrong vhost": await _refusal(tls_broker.url(vhost="no-such-vhost"), pki.ca),
    }
    server = await _expired_server(pki)
    port = server.sockets[0].getsockname()[1]
    try:
        errors["expired certificate"] = await _refusal(tls_broker.url(port=port), pki.ca)
    finally:
        server.close()
    assert "could not be verified" in errors["wrong CA"]
    assert "certificate verify failed" in errors["wrong CA"]
    assert "certificate has expired" in errors["expired certificate"]
    assert "refused the user name or password" in errors["wrong password"]
    assert "refused the virtual host" in errors["wrong vhost"]
    assert bad_code != 0 and "refused the user name or password" in bad_log, bad_log[-2000:]

    secrets = [password, "wrong-secret-42"]
    scanned = _scan_for_secrets(tmp_path, secrets, caplog.text, *errors.values())
    scanned += _scan_for_secrets(tls_broker.node.node.layout.logs, secrets)
    print(f"reliability: tls amqps_verified=1 refusals={len(errors) + 1} secrets_found=0 "
          f"files_scanned={scanned}")  # fmt: skip
    for what, text in errors.items():
        print(f"  {what}: {text}")


async def open_caller_tls(url: str, prefix: str, ca: Path) -> Caller:
    """``open_caller`` over amqps with the test CA (it reads the CA from the environment)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RABBITMQ_CA_FILE", str(ca))
        return await open_caller(url, prefix)


def _scan_for_secrets(folder: Path, secrets: list[str], *texts: str) -> int:
    """Assert no secret is in any file under ``folder`` or in ``texts``; returns files read."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"a password is written in {path}"
    for text in texts:
        for secret in secrets:
            assert secret not in text, "a password is in an error or log record"
    return len(files)
