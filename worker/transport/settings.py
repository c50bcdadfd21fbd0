"""Broker connection settings, with the original backend's ``RABBITMQ_*`` variables.

``RABBITMQ_URL`` may name several brokers (the nodes of a cluster, or independent ones), as
kombu's failover URLs do: ``amqps://alice:pw@node1:5671/vt,amqps://node2:5671,amqps://node3``
(commas or semicolons between entries). The connection goes to the first that answers and,
when its link drops, to the next. An entry without a user name takes the first entry's user
name and password, one without a path its virtual host; the CA file and client certificate
apply to every ``amqps://`` entry. A comma or semicolon inside a password is written ``%2C``
or ``%3B`` there.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

BROKER_SCHEMES = ("amqp", "amqps")
_SEPARATOR = re.compile(r"[,;]")


class BrokerUrlError(ValueError):
    """Raised for a broker URL (list) that cannot be used; the message names the entry by
    its position and never contains a password."""


def _entry_problem(url: str) -> str | None:
    """Why one broker URL is not usable (``None`` when it is); never echoes a password."""
    if any(c.isspace() for c in url):
        return "A broker URL must not contain spaces."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "The port in the broker URL must be a number between 1 and 65535."
    if parts.scheme not in BROKER_SCHEMES:
        return "A broker URL starts with amqp:// or amqps:// (e.g. amqps://user@host:5671/vt)."
    if not parts.hostname:
        return "The broker URL has no host (amqps://user:password@HOST:5671/vhost)."
    if port == 0:
        return "The port in the broker URL must be a number between 1 and 65535."
    return None


def split_broker_urls(text: str) -> list[str]:
    """The entries of a broker URL list, each checked, with the first entry's credentials
    and virtual host filled into entries that give none.

    Raises:
        BrokerUrlError: an entry is empty, malformed or repeated (named by its position).
    """
    raw = [entry.strip() for entry in _SEPARATOR.split(text.strip())]
    count = len(raw)

    def named(i: int, message: str) -> BrokerUrlError:
        if count == 1:
            return BrokerUrlError(message)
        return BrokerUrlError(f"Broker URL {i + 1} of {count}: {message}")

    # a comma in a password splits the URL there: one piece then lacks its scheme
    hint = count > 1 and any(entry and "://" not in entry for entry in raw)
    for i, entry in enumerate(raw):
        if not entry:
            if count == 1:
                raise BrokerUrlError("Give a broker URL (amqps://user:password@host:5671/vhost).")
            raise named(i, "it is empty (two separators in a row, or one at the end?).")
        if problem := _entry_problem(entry):
            if hint:
                problem += " (A comma or semicolon inside a password is written %2C or %3B.)"
            raise named(i, problem)
    first = urlsplit(raw[0])
    urls = [_inherit(urlsplit(entry), first) for entry in raw]
    for i, url in enumerate(urls):
        if url in urls[:i]:
            raise named(i, f"it repeats broker URL {urls.index(url) + 1}.")
    return urls


def _inherit(parts: SplitResult, first: SplitResult) -> str:
    """``parts`` with the first entry's user, password and virtual host where it has none
    (a missing path inherits; ``/`` names the default virtual host)."""
    netloc = parts.netloc
    if "@" not in netloc and "@" in first.netloc:
        netloc = f"{first.netloc.rsplit('@', 1)[0]}@{netloc}"
    path = parts.path or first.path
    return urlunsplit(parts._replace(netloc=netloc, path=path))


class BrokerSettings(BaseSettings):
    """Where the broker is and how to reach it.

    ``RABBITMQ_URL`` wins when set; otherwise the URL is built from ``RABBITMQ_HOST``,
    ``RABBITMQ_PORT``, ``RABBITMQ_USER``, ``RABBITMQ_PASSWORD`` and ``RABBITMQ_VHOST``.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    rabbitmq_url: SecretStr | None = None
    rabbitmq_host: str = "127.0.0.1"
    rabbitmq_port: int = 5682
    rabbitmq_user: str = "guest"
    rabbitmq_password: SecretStr = SecretStr("guest")
    rabbitmq_vhost: str = "/"
    #: The original backend's RPC queue name; here it prefixes every exchange and queue.
    rabbitmq_rpc_queue: str = "vt"
    rabbitmq_heartbeat: int = 10
    rabbitmq_tls: bool = False
    rabbitmq_ca_file: str | None = None
    rabbitmq_cert_file: str | None = None
    rabbitmq_key_file: str | None = None

    def broker_urls(self) -> list[str]:
        """Every broker to try, in order (contain passwords: never log them; see ``safe_url``).

        Raises:
            BrokerUrlError: an entry of ``RABBITMQ_URL`` cannot be used.
        """
        return split_broker_urls(self.broker_url())

    def broker_url(self) -> str:
        """The full AMQP URL, or several separated by commas (contains the password: never
        log it; see ``safe_url``)."""
        if self.rabbitmq_url is not None:
            return self.rabbitmq_url.get_secret_value()
        scheme = "amqps" if self.rabbitmq_tls else "amqp"
        user = quote(self.rabbitmq_user, safe="")
        password = quote(self.rabbitmq_password.get_secret_value(), safe="")
        vhost = quote(self.rabbitmq_vhost, safe="")
        return f"{scheme}://{user}:{password}@{self.rabbitmq_host}:{self.rabbitmq_port}/{vhost}"
