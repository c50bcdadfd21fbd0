"""A throw-away PKI made with the ``openssl`` command: a CA, a broker certificate signed by it,
an expired one, a client certificate signed by it, and a second CA that signed nothing the
broker shows."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

_CA_CONFIG = """\
[ca]
default_ca = test_ca
[test_ca]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
[anything]
commonName = supplied
"""


@dataclass(frozen=True)
class Pki:
    """Paths of the PEM files a TLS test needs."""

    ca: Path
    server_cert: Path
    server_key: Path
    expired_cert: Path
    other_ca: Path
    client_cert: Path
    client_key: Path


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


def _ca(folder: Path, name: str) -> tuple[Path, Path]:
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
             "-days", "2", "-subj", f"/CN={name}")  # fmt: skip
    return cert, key


def _request(folder: Path, name: str) -> tuple[Path, Path]:
    csr, key = folder / f"{name}.csr", folder / f"{name}.key"
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
             "-subj", "/CN=localhost",
             "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")  # fmt: skip
    return csr, key


def make_pki(folder: Path) -> Pki:
    """Generate the CA, a valid and an expired broker certificate, a client certificate, and
    an unrelated CA."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = _ca(folder, "test-ca")
    other_ca, _ = _ca(folder, "other-ca")
    csr, server_key = _request(folder, "broker")
    server_cert = folder / "broker.pem"
    _openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAcreateserial",
             "-out", server_cert, "-days", "2", "-copy_extensions", "copy")  # fmt: skip
    # an expired certificate needs explicit dates, which only 'openssl ca' takes
    (folder / "index.txt").write_text("")
    (folder / "serial").write_text("1000\n")
    config = folder / "ca.cnf"
    config.write_text(_CA_CONFIG.format(dir=folder))
    expired = folder / "expired.pem"
    _openssl("ca", "-batch", "-config", config, "-cert", ca_cert, "-keyfile", ca_key,
             "-in", csr, "-out", expired, "-notext",
             "-startdate", "20200101000000Z", "-enddate", "20200102000000Z")  # fmt: skip
    client_csr, client_key = _request(folder, "client")
    client_cert = folder / "client.pem"
    _openssl("x509", "-req", "-in", client_csr, "-CA", ca_cert, "-CAkey", ca_key,
             "-CAcreateserial", "-out", client_cert, "-days", "2")  # fmt: skip
    return Pki(ca_cert, server_cert, server_key, expired, other_ca, client_cert, client_key)


def tls_listener_config(pki: Pki, port: int, *, require_client_cert: bool = False) -> str:
    """``rabbitmq.conf`` lines for an ``amqps`` listener on loopback with the broker cert;
    with ``require_client_cert`` the broker refuses a client without a certificate signed by
    the test CA."""
    verify = "verify_peer" if require_client_cert else "verify_none"
    return (
        f"listeners.ssl.default = 127.0.0.1:{port}\n"
        f"ssl_options.cacertfile = {pki.ca}\n"
        f"ssl_options.certfile = {pki.server_cert}\n"
        f"ssl_options.keyfile = {pki.server_key}\n"
        f"ssl_options.verify = {verify}\n"
        f"ssl_options.fail_if_no_peer_cert = {str(require_client_cert).lower()}\n"
    )
