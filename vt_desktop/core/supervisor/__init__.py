from vt_desktop.core.supervisor.broker import BrokerMissing, BrokerNode, BrokerStartError

__all__ = ["BrokerMissing", "BrokerNode", "BrokerStartError"]
