"""The ``tts`` service: speak lines of dubbing, each fitted to its time slot.

Engines: ``espeak-ng`` (any language, the system's binary), ``hibari`` (English, its voice
ships in ``hibari-tts``) and ``piper`` (optional GPL extra, voices from configured folders).
Each engine is created on first use and keeps its models loaded. Synthesis runs in a thread
so heartbeats keep flowing, and a call checks for cancel between synthesis passes.
"""

from __future__ import annotations

import base64
import logging
import os
import time
from pathlib import Path
from typing import Any

from pydantic import Field

from worker.engines.tts.audio import encode_flac
from worker.engines.tts.base import TtsEngine
from worker.engines.tts.espeak import EspeakEngine
from worker.engines.tts.fit import FittedLine, fit_line
from worker.engines.tts.hibari import HibariEngine
from worker.engines.tts.piper import PiperEngine
from worker.protocol.errors import InvalidParams, ServiceError
from worker.protocol.mt import primary_subtag
from worker.protocol.tts import (
    SYNTHESIZE,
    VOICES,
    EngineInfo,
    SynthesizeParams,
    SynthesizeResult,
    VoicesParams,
    VoicesResult,
)
from worker.services.base import BaseService, ServiceSettings, WorkerInfo, current_call, rpc_method

log = logging.getLogger(__name__)

ENGINES = ("espeak-ng", "hibari", "piper")


class TtsSettings(ServiceSettings):
    """Settings of the ``tts`` service (flat scalars: they live in a config file)."""

    default_engine: str = "espeak-ng"
    #: Used for English when it can run (its voice is far more natural than espeak's).
    english_engine: str = "hibari"
    espeak_binary: str = "espeak-ng"
    hibari_threads: int = Field(default=1, ge=1, le=64)
    piper_voice_dirs: str = ""  # folders of Piper voices, separated by os.pathsep
    #: The most any call may speed a line up, whatever it asks.
    max_rate_cap: float = Field(default=1.5, ge=1.0, le=2.0)


class TtsService(BaseService):
    """Serves ``tts.synthesize`` and ``tts.voices``."""

    name = "tts"
    builtin = True
    Settings = TtsSettings

    def __init__(self, settings: ServiceSettings, worker: WorkerInfo) -> None:
        super().__init__(settings, worker)
        self.config = settings if isinstance(settings, TtsSettings) else TtsSettings()
        self._engines: dict[str, TtsEngine] = {}

    def engine(self, name: str) -> TtsEngine:
        """The engine called ``name`` (created once).

        Raises:
            InvalidParams: no engine by that name.
        """
        if name not in self._engines:
            if name == "espeak-ng":
                self._engines[name] = EspeakEngine(self.config.espeak_binary)
            elif name == "hibari":
                self._engines[name] = HibariEngine(self.config.hibari_threads)
            elif name == "piper":
                self._engines[name] = PiperEngine(self._piper_dirs())
            else:
                raise InvalidParams(f"unknown tts engine {name!r}; engines: {', '.join(ENGINES)}")
        return self._engines[name]

    def _piper_dirs(self) -> list[Path]:
        dirs = [Path(self.worker.cache_dir) / "models" / "piper"]
        return dirs + [Path(p) for p in self.config.piper_voice_dirs.split(os.pathsep) if p.strip()]

    def engine_for(self, language: str, requested: str | None) -> TtsEngine:
        """The requested engine, or the configured choice for the language."""
        if requested:
            return self.engine(requested)
        if primary_subtag(language) == "en":
            english = self.engine(self.config.english_engine)
            if english.availability() is None:
                return english
        return self.engine(self.config.default_engine)

    @rpc_method(SYNTHESIZE)
    async def synthesize(self, p: SynthesizeParams) -> SynthesizeResult:
        """Speak one line, fitted into its slot; trimmed to its speech.

        Raises:
            InvalidParams: unknown engine or voice, or no voice for the language.
            ModelUnavailable: the engine cannot run on this worker.
            ServiceError: the engine failed on this text.
            Cancelled: the call was cancelled between synthesis passes.
        """
        engine = self.engine_for(p.language, p.engine)
        voice = engine.voice_for(p.language, p.voice)
        started = time.perf_counter()
        line = await self.run_blocking(self._fit, engine, voice, p)
        audio = await self.run_blocking(encode_flac, line.speech)
        log.info(
            "tts.synthesize id=%s %s/%s %d chars: %.2fs (natural %.2fs, rate %.2f, fitted %s) "
            "in %.2fs",
            _call_id(), engine.name, voice, len(p.text), line.speech.duration_s, line.natural_s,
            line.rate, line.fitted, time.perf_counter() - started,
        )  # fmt: skip
        return SynthesizeResult(
            audio=base64.b64encode(audio).decode("ascii"),
            sample_rate=line.speech.sample_rate,
            duration_s=round(line.speech.duration_s, 5),
            natural_s=round(line.natural_s, 5),
            rate=line.rate,
            pauses_removed_s=line.pauses_removed_s,
            fitted=line.fitted,
            engine=engine.name,
            voice=voice,
        )

    def _fit(self, engine: TtsEngine, voice: str, p: SynthesizeParams) -> FittedLine:
        max_rate = min(p.max_rate, self.config.max_rate_cap)
        try:
            return fit_line(
                lambda rate: engine.speak(p.text, voice, rate),
                p.target_s, p.max_s, max_rate, _check_cancelled,
            )  # fmt: skip
        except ValueError as exc:
            raise ServiceError(f"{engine.name} could not speak {p.text[:60]!r}: {exc}") from exc

    @rpc_method(VOICES)
    async def voices(self, p: VoicesParams) -> VoicesResult:
        """Every engine, whether it runs here, and the voices (for ``language`` if given)."""
        infos: list[EngineInfo] = []
        voices = []
        for name in ENGINES:
            engine = self.engine(name)
            notice = engine.availability()
            infos.append(EngineInfo(engine=name, available=notice is None, notice=notice))
            if notice is None:
                voices += await self.run_blocking(engine.voices)
        if p.language is not None:
            wanted = primary_subtag(p.language)
            voices = [v for v in voices if any(primary_subtag(x) == wanted for x in v.languages)]
        return VoicesResult(engines=infos, voices=voices)

    def capabilities(self) -> dict[str, Any]:
        """Engines that can run here, for the presence heartbeat."""
        usable = [name for name in ENGINES if self.engine(name).availability() is None]
        return {"tts_engines": usable}


def _call_id() -> str:
    try:
        return current_call().call_id
    except LookupError:
        return "-"


def _check_cancelled() -> None:
    try:
        ctx = current_call()
    except LookupError:
        return
    ctx.check_cancelled()
