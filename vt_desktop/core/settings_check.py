"""Checks of connection settings before they are saved, each problem named by its field.

The settings dialog runs these before it writes anything, so a bad broker URL, a port out of
range or a certificate that cannot be read is refused with a sentence next to that field
instead of failing later when the workers start. Messages never contain a password.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from pathlib import Path

from worker.transport.settings import BrokerUrlError, split_broker_urls

_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$")


@dataclass(frozen=True)
class BrokerFields:
    """The connection as the dialog holds it (``url`` is a newly typed URL, if any)."""

    mode: str
    url: str = ""
    keeps_stored_url: bool = False
    host: str = "127.0.0.1"
    port: int = 5672
    vhost: str = "/"
    user: str = "guest"
    tls: bool = False
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""


def check_broker(fields: BrokerFields) -> dict[str, str]:
    """Every problem with ``fields``, keyed by the AppSettings field it is about."""
    problems: dict[str, str] = {}
    if not 1 <= fields.port <= 65535:
        problems["rabbitmq_port"] = f"The port must be between 1 and 65535, not {fields.port}."
    if fields.url.strip():
        if message := check_broker_url(fields.url.strip()):
            problems["rabbitmq_url"] = message
    elif fields.mode == "remote" and not fields.keeps_stored_url:
        if not fields.host.strip():
            problems["rabbitmq_host"] = "Give the broker's host name or address (or a URL)."
        elif not _HOST.match(fields.host.strip()):
            problems["rabbitmq_host"] = (
                f"'{fields.host.strip()}' is not a host name or address "
                "(no scheme, port or path here)."
            )
        if not fields.user.strip():
            problems["rabbitmq_user"] = "Give the user name the broker knows you by."
    if fields.mode == "remote" and not fields.vhost.strip():
        problems["rabbitmq_vhost"] = "Give a virtual host ('/' is the broker's default one)."
    problems.update(check_tls_files(fields.ca_file, fields.cert_file, fields.key_file))
    return problems


def check_broker_url(url: str) -> str | None:
    """Why ``url`` (one broker URL, or several separated by commas) is not usable (``None``
    when it is); names a bad entry by its position and never echoes a password."""
    try:
        split_broker_urls(url)
    except BrokerUrlError as exc:
        return str(exc)
    return None


def check_tls_files(ca_file: str, cert_file: str, key_file: str) -> dict[str, str]:
    """Problems with the CA, client certificate and key files (empty paths are not used)."""
    ca, cert, key = (
        Path(p.strip()).expanduser() if p.strip() else None for p in (ca_file, cert_file, key_file)
    )
    problems: dict[str, str] = {}
    texts: dict[str, str] = {}
    for field, path, what in (
        ("rabbitmq_ca_file", ca, "CA file"),
        ("rabbitmq_cert_file", cert, "client certificate"),
        ("rabbitmq_key_file", key, "client key"),
    ):
        if path is None:
            continue
        text, message = _read_pem(path, what)
        if message:
            problems[field] = message
        else:
            texts[field] = text
    if key is not None and cert is None:
        problems.setdefault("rabbitmq_cert_file", "A client key needs its client certificate.")
    if "rabbitmq_ca_file" in texts:
        problems.update(_ca_problem(texts["rabbitmq_ca_file"], ca))
    if "rabbitmq_cert_file" in texts and not problems.keys() & {
        "rabbitmq_cert_file",
        "rabbitmq_key_file",
    }:
        problems.update(_client_cert_problem(texts, cert, key))
    return problems


def _read_pem(path: Path, what: str) -> tuple[str, str | None]:
    """The file's text (its first MiB), or why it cannot be read."""
    if not path.exists():
        return "", f"The {what} {path} does not exist."
    if not path.is_file():
        return "", f"The {what} {path} is not a file."
    try:
        with path.open("rb") as f:
            data = f.read(1 << 20)
    except OSError as exc:
        return "", f"The {what} {path} cannot be read ({exc.strerror or exc})."
    return data.decode("ascii", errors="replace"), None


def _ca_problem(text: str, path: Path | None) -> dict[str, str]:
    if "-----BEGIN CERTIFICATE-----" not in text:
        return {"rabbitmq_ca_file": "The CA file holds no PEM certificate (BEGIN CERTIFICATE)."}
    try:
        ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, ValueError):
        return {"rabbitmq_ca_file": "The CA file's certificate cannot be loaded (damaged?)."}
    return {}


def _client_cert_problem(
    texts: dict[str, str], cert: Path | None, key: Path | None
) -> dict[str, str]:
    """Check the client certificate and key, then load them the way the connection will."""
    if problem := _pem_problem(texts, key):
        return problem
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        ctx.load_cert_chain(str(cert), str(key) if key else None, password=lambda: b"")
    except ssl.SSLError as exc:
        if "KEY_VALUES_MISMATCH" in str(exc) or "mismatch" in str(exc).lower():
            return {"rabbitmq_key_file": "The client key does not belong to the certificate."}
        return {
            "rabbitmq_cert_file": "The client certificate or key is damaged and cannot be loaded."
        }
    return {}


def _pem_problem(texts: dict[str, str], key: Path | None) -> dict[str, str]:
    """What is missing from the PEM files: a certificate, a private key, or a plain key."""
    cert_text = texts["rabbitmq_cert_file"]
    key_text = texts.get("rabbitmq_key_file", cert_text)
    if "-----BEGIN CERTIFICATE-----" not in cert_text:
        return {
            "rabbitmq_cert_file": "The client certificate holds no PEM certificate "
            "(BEGIN CERTIFICATE)."
        }
    if "PRIVATE KEY-----" not in key_text:
        if key is None:
            return {
                "rabbitmq_key_file": "The certificate file holds no private key: choose the "
                "key file as the client key."
            }
        return {"rabbitmq_key_file": "The client key holds no PEM private key (PRIVATE KEY)."}
    if "ENCRYPTED" in key_text:
        return {
            "rabbitmq_key_file": "The client key is protected by a passphrase: use one "
            "without (the workers start unattended)."
        }
    return {}
