"""Match language tags written as ISO 639-1 (``en``) or ISO 639-2 B/T (``eng``, ``ger``/``deu``)."""

from __future__ import annotations

from vt_desktop.core.languages import same_language

__all__ = ["same_language"]
