"""Opening a robust, heartbeating connection to the broker, over TLS when asked."""

from __future__ import annotations

import logging
import ssl
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika
from aio_pika.abc import AbstractRobustConnection

from worker.protocol.errors import BrokerError
from worker.transport.settings import BrokerSettings

log = logging.getLogger(__name__)


def safe_url(url: str) -> str:
    """The URL with its password replaced by ``***``, fit for logs and the window."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[-1]}"))


def tls_context(settings: BrokerSettings) -> ssl.SSLContext:
    """A verifying TLS context with the custom CA and client certificate, if configured."""
    ctx = ssl.create_default_context(cafile=settings.rabbitmq_ca_file)
    if settings.rabbitmq_cert_file:
        ctx.load_cert_chain(settings.rabbitmq_cert_file, settings.rabbitmq_key_file)
    return ctx


def _explain(exc: BaseException, url: str) -> str:
    text = str(exc)
    where = safe_url(url)
    if isinstance(exc, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
        return f"TLS certificate of {where} could not be verified: {exc.args[-1]}"
    if "ACCESS_REFUSED" in text or "403" in text:
        return f"broker {where} refused the user name or password"
    # aiormq loses the broker's reply text when it closes the connection at Connection.Open;
    # the only refusal at that step is the virtual host (missing, or not this user's)
    at_open = "Connection.OpenOk" in text and "Connection.Close" in text
    if "NOT_ALLOWED" in text or "vhost" in text.lower() or at_open:
        return f"broker {where} refused the virtual host (does it exist, may this user use it?)"
    if isinstance(exc, ConnectionRefusedError) or "111" in text or "Connect call failed" in text:
        return f"nothing answers at {where} (is the broker running?)"
    return f"cannot connect to broker {where}: {type(exc).__name__}: {safe_url(text)}"


async def connect(
    settings: BrokerSettings, *, url: str | None = None, name: str = "vt", timeout: float = 15.0
) -> AbstractRobustConnection:
    """Connect robustly (reconnects by itself after a broker restart or a cut link).

    Raises:
        BrokerError: the first connection fails; the message says why in plain words.
    """
    target = url or settings.broker_url()
    ssl_context = None
    if target.startswith("amqps://") or settings.rabbitmq_tls:
        ssl_context = tls_context(settings)
    sep = "&" if "?" in target else "?"
    full = f"{target}{sep}heartbeat={settings.rabbitmq_heartbeat}&name={quote(name)}"
    try:
        conn: AbstractRobustConnection = await aio_pika.connect_robust(
            full, timeout=timeout, ssl_context=ssl_context
        )
    except Exception as exc:
        raise BrokerError(_explain(exc, target)) from None
    log.info("connected to broker %s as %s", safe_url(target), name)
    return conn
