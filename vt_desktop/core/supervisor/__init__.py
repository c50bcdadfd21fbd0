"""Supervision of the private RabbitMQ node and of local worker processes."""

from vt_desktop.core.supervisor.broker import BrokerMissing, BrokerNode, BrokerStartError
from vt_desktop.core.supervisor.workers import WorkerPool, worker_command

__all__ = ["BrokerMissing", "BrokerNode", "BrokerStartError", "WorkerPool", "worker_command"]
