"""Hibari: a tiny neural English voice ("heart" ships in the ``hibari-tts`` package), 24 kHz.

Only voices already on this machine are used (the bundled one, or one in Hibari's cache), so
dubbing never downloads behind the user's back. The pace is Hibari's own ``speed`` input
(pitch kept); a fixed noise seed makes a resent call produce the same audio.
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import Any

import numpy as np

from worker.engines.tts.base import Speech, TtsEngine
from worker.protocol.errors import InvalidParams, ModelUnavailable, ServiceError
from worker.protocol.mt import primary_subtag
from worker.protocol.tts import VoiceInfo

log = logging.getLogger(__name__)

DEFAULT_VOICE = "heart"
SEED = 0


@functools.cache
def _package() -> Any:
    try:
        import hibari
        import hibari.voices
    except Exception as exc:  # not installed, or installed without its data (a bad bundle)
        if not isinstance(exc, ImportError):
            log.warning("hibari-tts cannot load (%s: %s): engine disabled", type(exc).__name__, exc)
        return None
    return hibari


class HibariEngine(TtsEngine):
    """English voices of ``hibari-tts``; one model per voice, loaded on first use."""

    name = "hibari"

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()

    def availability(self) -> str | None:
        """Why Hibari cannot run here (None when it can)."""
        if _package() is None:
            return "the hibari engine needs the hibari-tts package: pip install hibari-tts"
        return None

    def _local_voices(self) -> dict[str, str]:
        """Voice name → its language, for voices present on this machine."""
        package = _package()
        if package is None:
            return {}
        found: dict[str, str] = {}
        for name, info in package.voices.VOICES.items():
            try:
                package.voices.voice_path(name, download_missing=False)
            except (FileNotFoundError, ValueError):
                continue
            found[name] = str(info.get("language", "en"))
        return found

    def voices(self) -> list[VoiceInfo]:
        """Hibari voices present on this machine."""
        return [
            VoiceInfo(engine=self.name, voice=name, languages=[language])
            for name, language in self._local_voices().items()
        ]

    def voice_for(self, language: str, voice: str = "") -> str:
        """``voice`` if present here, else ``heart``; English only.

        Raises:
            ModelUnavailable: hibari-tts is not installed, or the voice is not downloaded.
            InvalidParams: the language is not English.
        """
        if (notice := self.availability()) is not None:
            raise ModelUnavailable(notice)
        if primary_subtag(language) != "en":
            raise InvalidParams(f"the hibari engine speaks English only, not {language!r}")
        name = voice or DEFAULT_VOICE
        if name not in self._local_voices():
            raise ModelUnavailable(
                f"hibari voice {name!r} is not on this machine (only voices in the package or "
                f"already downloaded are used; local: {', '.join(self._local_voices())})"
            )
        return name

    def _model(self, voice: str) -> Any:
        with self._lock:
            if voice not in self._models:
                package = _package()
                if package is None:
                    raise ModelUnavailable(self.availability())
                self._models[voice] = package.Hibari(voice=voice, threads=self.threads)
                log.info("hibari voice %s loaded", voice)
            return self._models[voice]

    def speak(self, text: str, voice: str, rate: float) -> Speech:
        """Speak with Hibari at ``speed=rate`` (24 kHz).

        Raises:
            ServiceError: Hibari failed on this text.
        """
        model = self._model(voice)
        try:
            with self._lock:
                samples = model(text, speed=rate, seed=SEED)
        except (ValueError, RuntimeError, KeyError) as exc:
            raise ServiceError(f"hibari failed on this line: {exc}") from exc
        return Speech(np.asarray(samples, dtype=np.float32), int(model.sample_rate))
