"""Broker connection settings, with the original backend's ``RABBITMQ_*`` variables."""

from __future__ import annotations

from urllib.parse import quote

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


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

    def broker_url(self) -> str:
        """The full AMQP URL (contains the password: never log it; see ``safe_url``)."""
        if self.rabbitmq_url is not None:
            return self.rabbitmq_url.get_secret_value()
        scheme = "amqps" if self.rabbitmq_tls else "amqp"
        user = quote(self.rabbitmq_user, safe="")
        password = quote(self.rabbitmq_password.get_secret_value(), safe="")
        vhost = quote(self.rabbitmq_vhost, safe="")
        return f"{scheme}://{user}:{password}@{self.rabbitmq_host}:{self.rabbitmq_port}/{vhost}"
