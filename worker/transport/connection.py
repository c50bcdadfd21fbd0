"""Opening a robust, heartbeating connection to the broker, over TLS when asked.

With several broker URLs (``RABBITMQ_URL=amqp://node1,amqp://node2``) the first that answers
is used, and when the link drops the connection goes on to the next, round the list. It is
aio-pika's ``RobustConnection`` (which has one URL only) with the URL changed before each
try: its reconnect then restores every robust channel, exchange, queue, binding and consumer
on whichever broker answered, and the reopen callbacks (the reply consumer, the private
events and control queues) run there as after any reconnect.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from aio_pika import RobustConnection
from aio_pika.abc import AbstractRobustConnection
from yarl import URL

from worker.protocol.errors import BrokerError
from worker.transport.settings import BrokerSettings, BrokerUrlError, split_broker_urls

log = logging.getLogger(__name__)


def safe_url(url: str) -> str:
    """The URL (or a list of URLs separated by commas or semicolons) with passwords replaced
    by ``***``, fit for logs and the window."""
    if url.startswith("amqp") and ("," in url or ";" in url):
        return ",".join(_safe_one(part.strip()) for part in re.split(r"[,;]", url))
    return _safe_one(url)


def _safe_one(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # unparseable: keep nothing before the host
        return f"***@{url.rsplit('@', 1)[-1]}" if "@" in url else url
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[-1]}"))


#: With several brokers, the pause before the next try (aio-pika's ``reconnect_interval``,
#: 5 s by default, also its pause after each connect before it reacts to a lost link). A
#: try can fail on a broker that answers: a cluster's node refuses to declare a quorum queue
#: (the reply queue) until the queue has elected its new leader, a few seconds after its
#: old leader's node went; the next node is tried after this pause, not 5 s later.
FAILOVER_RETRY_S = 1.0


class FailoverConnection(RobustConnection):
    """A robust connection over several brokers: every try after a lost link or a failed
    try goes to the next URL (round the list), so a broker that went away is left for one
    that answers.

    aio-pika reports both a failed try and a lost link to ``_on_connection_close`` before
    it tries again, and each try connects to ``self.url``: the URL is moved on there.
    """

    def __init__(self, urls: Sequence[URL], *, start: int = 0, **kwargs: Any) -> None:
        self.urls = tuple(urls)
        self.at = start % len(self.urls)
        #: Times the connection moved to another broker (figures for tests and logs).
        self.switches = 0
        super().__init__(self.urls[self.at], **kwargs)

    async def _on_connection_close(self, closing: asyncio.Future[Any]) -> None:
        if len(self.urls) > 1 and not self.close_called and not self.is_closed:
            self.at = (self.at + 1) % len(self.urls)
            self.url = self.urls[self.at]
            self.switches += 1
            log.info("broker link lost or refused; next try: %s", self)
        await super()._on_connection_close(closing)


def tls_context(settings: BrokerSettings) -> ssl.SSLContext:
    """A verifying TLS context with the custom CA and client certificate, if configured."""
    ctx = ssl.create_default_context(cafile=settings.rabbitmq_ca_file)
    if settings.rabbitmq_cert_file:
        ctx.load_cert_chain(settings.rabbitmq_cert_file, settings.rabbitmq_key_file)
    return ctx


#: An address in an error's text ("('127.0.0.1', 40357)", "host:5672"): its port is no code.
_ADDRESS = re.compile(r"'[^']*', \d+|\S*:\d+\S*")


def _has_code(text: str, code: int) -> bool:
    """Whether ``text`` names the reply or errno ``code`` outside any address in it (a port
    such as 40357 holds "403")."""
    return re.search(rf"(?<!\d){code}(?!\d)", _ADDRESS.sub("", text)) is not None


def _explain(exc: BaseException, url: str) -> str:
    text = str(exc)
    where = safe_url(url)
    if isinstance(exc, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in text:
        return f"TLS certificate of {where} could not be verified: {exc.args[-1]}"
    if "ACCESS_REFUSED" in text or _has_code(text, 403):
        return f"broker {where} refused the user name or password"
    # aiormq loses the broker's reply text when it closes the connection at Connection.Open;
    # the only refusal at that step is the virtual host (missing, or not this user's)
    at_open = "Connection.OpenOk" in text and "Connection.Close" in text
    if "NOT_ALLOWED" in text or "vhost" in text.lower() or at_open:
        return f"broker {where} refused the virtual host (does it exist, may this user use it?)"
    refused = isinstance(exc, ConnectionRefusedError) or _has_code(text, 111)
    if refused or "Connect call failed" in text:
        return f"nothing answers at {where} (is the broker running?)"
    return f"cannot connect to broker {where}: {type(exc).__name__}: {safe_url(text)}"


async def connect(
    settings: BrokerSettings, *, url: str | None = None, name: str = "vt", timeout: float = 15.0
) -> AbstractRobustConnection:
    """Connect robustly (reconnects by itself after a broker restart or a cut link) to the
    first broker of ``url`` (default: the settings' URL or URLs) that answers; a lost link
    goes on to the next.

    Raises:
        BrokerError: a URL cannot be used, or no broker could be connected to; the message
            says why in plain words (for each broker, when there are several).
    """
    try:
        targets = split_broker_urls(url or settings.broker_url())
    except BrokerUrlError as exc:
        raise BrokerError(str(exc)) from None
    ssl_context = None
    if any(t.startswith("amqps://") for t in targets) or settings.rabbitmq_tls:
        ssl_context = tls_context(settings)
    query = f"heartbeat={settings.rabbitmq_heartbeat}&name={quote(name)}"
    if len(targets) > 1:
        query += f"&reconnect_interval={FAILOVER_RETRY_S:g}"
    urls = [URL(f"{t}{'&' if '?' in t else '?'}{query}") for t in targets]
    reasons: list[str] = []
    for start, target in enumerate(targets):
        conn = FailoverConnection(urls, start=start, ssl_context=ssl_context)
        try:
            await conn.connect(timeout=timeout)
        except Exception as exc:
            await conn.close()
            reasons.append(_explain(exc, target))
            if len(targets) > 1:
                log.warning("%s; trying the next broker", reasons[-1])
            continue
        log.info("connected to broker %s as %s", safe_url(target), name)
        return conn
    if len(reasons) == 1:
        raise BrokerError(reasons[0])
    raise BrokerError(f"none of the {len(targets)} brokers could be reached: " + "; ".join(reasons))
