"""The one interface every translation engine implements, and what a batch returns.

An engine translates one batch of sentences for one language pair. It never fails a whole batch
because of one bad line: such lines come back as ``None`` with a ``BatchWarning``. It raises
only when nothing can work (the model cannot load, the endpoint refuses the key, the pair is
not supported), and then with a typed ``RpcError`` from ``worker.protocol.errors``.

Blocking engines (native inference) subclass ``BlockingEngine``: they implement
``translate_blocking`` and the async ``translate_batch`` runs it through the runner the service
passes in (its ``run_blocking``), so heartbeats keep flowing while a batch runs.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from worker.call import current_call
from worker.protocol.errors import InvalidParams
from worker.protocol.mt import LanguagePairs

T = TypeVar("T")
BlockingRunner = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class BatchWarning:
    """A problem with some lines of a batch; ``indexes`` point into the batch."""

    indexes: tuple[int, ...]
    message: str


@dataclass
class BatchResult:
    """Translations aligned 1:1 with the batch (``None`` = untranslated) and warnings."""

    translations: list[str | None]
    warnings: list[BatchWarning] = field(default_factory=list)


def check_cancelled() -> None:
    """Stop between sentences when the call being served was cancelled (no-op outside a call).

    Raises:
        Cancelled: the call or its job was cancelled.
        DeadlinePassed: the call ran past its deadline.
    """
    try:
        ctx = current_call()
    except LookupError:
        return
    ctx.check_cancelled()


class MtEngine(abc.ABC):
    """A translation engine: what it translates, and how it translates one batch."""

    #: Engine name as it appears on the wire (``TranslateParams.engine``).
    name: ClassVar[str] = ""
    #: Whether the engine reads the context sentences (so they belong in cache keys).
    reads_context: ClassVar[bool] = False

    @property
    def model_id(self) -> str:
        """The model this engine runs (part of cache keys); empty when it has one fixed model."""
        return ""

    @abc.abstractmethod
    def pairs(self) -> list[LanguagePairs]:
        """The language pairs this engine translates."""

    def models(self) -> list[str]:
        """Names of the models this engine can run (empty when it has one built in)."""
        return []

    def supports(self, source: str, target: str) -> bool:
        """True when the engine translates ``source`` into ``target`` (primary subtags)."""
        return any(group.covers(source, target) for group in self.pairs())

    def require_pair(self, source: str, target: str) -> None:
        """Refuse a pair this engine does not translate.

        Raises:
            InvalidParams: the pair is not supported, naming the pairs that are.
        """
        if self.supports(source, target):
            return
        offered = "; ".join(f"{','.join(g.sources)} → {','.join(g.targets)}" for g in self.pairs())
        raise InvalidParams(
            f"engine {self.name!r} cannot translate {source} → {target}; "
            f"it offers {offered or 'no language pairs'}"
        )

    @abc.abstractmethod
    async def translate_batch(
        self,
        sentences: Sequence[str],
        source: str,
        target: str,
        *,
        context: Sequence[str] = (),
        glossary: Mapping[str, str] | None = None,
    ) -> BatchResult:
        """Translate one batch; bad lines come back as ``None`` with a warning.

        Raises:
            InvalidParams: the pair is not supported.
            ModelUnavailable: the model cannot be loaded.
            ServiceError: the engine cannot work at all (e.g. refused credentials).
        """

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most engines hold nothing
        """Release models, sessions and connections."""


async def _to_thread(fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.to_thread(fn, *args)


class BlockingEngine(MtEngine):
    """An engine whose inference blocks: it runs in a thread through ``runner``."""

    def __init__(self, runner: BlockingRunner | None = None) -> None:
        self._runner: BlockingRunner = runner or _to_thread

    @abc.abstractmethod
    def translate_blocking(
        self,
        sentences: Sequence[str],
        source: str,
        target: str,
        context: Sequence[str],
        glossary: Mapping[str, str],
    ) -> BatchResult:
        """Translate one batch in the calling thread (see ``translate_batch``)."""

    async def translate_batch(
        self,
        sentences: Sequence[str],
        source: str,
        target: str,
        *,
        context: Sequence[str] = (),
        glossary: Mapping[str, str] | None = None,
    ) -> BatchResult:
        """Translate one batch in a worker thread; see ``MtEngine.translate_batch``."""
        self.require_pair(source, target)
        result: BatchResult = await self._runner(
            self.translate_blocking,
            list(sentences),
            source,
            target,
            list(context),
            dict(glossary or {}),
        )
        return result


class WhisperPseudoEngine(MtEngine):
    """Whisper's translate-to-English, listed so the pipeline can offer it.

    It runs at the speech recognition step, not here: ``mt.translate`` refuses it with a
    message that says so.
    """

    name = "whisper"

    def pairs(self) -> list[LanguagePairs]:
        """Any spoken language into English."""
        return [LanguagePairs(sources=["*"], targets=["en"])]

    async def translate_batch(
        self,
        sentences: Sequence[str],
        source: str,
        target: str,
        *,
        context: Sequence[str] = (),
        glossary: Mapping[str, str] | None = None,
    ) -> BatchResult:
        """Always refuses: Whisper translates audio, not text.

        Raises:
            InvalidParams: always.
        """
        raise InvalidParams(
            "engine 'whisper' translates speech into English at the recognition step "
            "(ask asr.transcribe for the translate task); it cannot translate text sentences: "
            "choose the bergamot, ct2 or llm engine for mt.translate"
        )
