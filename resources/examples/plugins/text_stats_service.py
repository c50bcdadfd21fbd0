"""An example service in the original backend's style: no ``name``, one ``execute(data)``.

Saved as ``text_stats_service.py`` anywhere under the plugin folder, it is the service
``text_stats`` and serves ``text_stats.execute``: params any JSON object, the result what
``execute`` returns (it must be JSON). A plain ``def`` runs in a thread, so it may block.
Enable it in ``<config>/services/text_stats.toml`` with ``RPC_ENABLED = true``.
"""

from __future__ import annotations

from typing import Any

from worker.protocol.errors import InvalidParams
from worker.services.base import BaseService, ServiceSettings


class TextStatsSettings(ServiceSettings):
    """``<config>/services/text_stats.toml``: ``RPC_ENABLED`` and the longest text taken."""

    max_chars: int = 100_000


class TextStatsService(BaseService):
    """Counts the words and characters of a text."""

    Settings = TextStatsSettings

    def execute(self, data: dict[str, Any]) -> dict[str, Any]:
        """``{"text": "..."}`` → ``{"words": n, "characters": n, "longest": "..."}``."""
        text = data.get("text")
        if not isinstance(text, str):
            raise InvalidParams("text_stats.execute wants params {'text': '<a string>'}")
        limit = self.get_config()["max_chars"]
        if len(text) > limit:
            raise InvalidParams(f"text has {len(text)} characters; max_chars is {limit}")
        words = text.split()
        return {
            "words": len(words),
            "characters": len(text),
            "longest": max(words, key=len, default=""),
        }
