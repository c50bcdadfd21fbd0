"""The VideoTranslator worker: JSON-RPC 2.0 services over RabbitMQ."""

__version__ = "0.1.0"
