"""Piper: neural voices for many languages, an optional extra (``pip install '.[piper]'``).

``piper-tts`` is GPL-3.0, so it is not bundled in the installer; it is imported only when a
Piper voice is asked for, and a clear "not installed" error says how to add it. Voices are
``<name>.onnx`` files (with their ``.onnx.json``) in the configured folders, named as Piper
names them: ``pt_BR-faber-medium`` speaks ``pt-BR``. The pace is Piper's ``length_scale``
(pitch kept).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

from worker.engines.tts.base import Speech, TtsEngine
from worker.protocol.errors import InvalidParams, ModelUnavailable, ServiceError
from worker.protocol.mt import primary_subtag
from worker.protocol.tts import VoiceInfo

log = logging.getLogger(__name__)

NOT_INSTALLED = (
    "the piper engine needs the optional piper-tts package (GPL-3.0, not bundled): "
    "pip install 'videotranslator-desktop[piper]' or pip install piper-tts"
)


def _piper() -> Any:
    try:
        import piper  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return piper


def voice_language(name: str) -> str:
    """The language of a Piper voice file name: ``pt_BR-faber-medium`` → ``pt-BR``."""
    return name.split("-", 1)[0].replace("_", "-")


class PiperEngine(TtsEngine):
    """Piper voices found in ``voice_dirs``."""

    name = "piper"

    def __init__(self, voice_dirs: list[Path]) -> None:
        self.voice_dirs = voice_dirs
        self._voices: dict[str, Any] = {}
        self._lock = threading.Lock()

    def availability(self) -> str | None:
        """Why Piper cannot run here (None when it can)."""
        if _piper() is None:
            return NOT_INSTALLED
        if not self._files():
            folders = ", ".join(str(d) for d in self.voice_dirs) or "none configured"
            return f"no Piper voice (.onnx with its .onnx.json) in {folders}"
        return None

    def _files(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for folder in self.voice_dirs:
            if folder.is_dir():
                for model in sorted(folder.glob("*.onnx")):
                    if model.with_suffix(".onnx.json").is_file():
                        found.setdefault(model.stem, model)
        return found

    def voices(self) -> list[VoiceInfo]:
        """Piper voices on this machine (none when piper-tts is missing)."""
        if _piper() is None:
            return []
        return [
            VoiceInfo(engine=self.name, voice=name, languages=[voice_language(name)])
            for name in self._files()
        ]

    def voice_for(self, language: str, voice: str = "") -> str:
        """``voice`` if present, else the first voice whose language matches.

        Raises:
            ModelUnavailable: piper-tts is not installed or no voice is present.
            InvalidParams: no such voice, or none for the language.
        """
        if (notice := self.availability()) is not None:
            raise ModelUnavailable(notice)
        files = self._files()
        if voice:
            if voice not in files:
                raise InvalidParams(f"no Piper voice named {voice!r}; present: {', '.join(files)}")
            return voice
        wanted = language.replace("_", "-").lower()
        ranked = sorted(files, key=lambda n: voice_language(n).lower() != wanted)
        for name in ranked:
            if primary_subtag(voice_language(name)) == primary_subtag(wanted):
                return name
        raise InvalidParams(f"no Piper voice speaks {language!r}; present: {', '.join(files)}")

    def _voice(self, name: str) -> Any:
        with self._lock:
            if name not in self._voices:
                piper = _piper()
                if piper is None:
                    raise ModelUnavailable(NOT_INSTALLED)
                self._voices[name] = piper.PiperVoice.load(str(self._files()[name]))
                log.info("piper voice %s loaded", name)
            return self._voices[name]

    def speak(self, text: str, voice: str, rate: float) -> Speech:
        """Speak with Piper at ``length_scale = 1 / rate``.

        Raises:
            ServiceError: Piper failed on this text.
        """
        model = self._voice(voice)
        piper = _piper()
        try:
            config = piper.SynthesisConfig(length_scale=1.0 / rate)
            chunks = list(model.synthesize(text, syn_config=config))
        except (ValueError, RuntimeError, KeyError) as exc:
            raise ServiceError(f"piper failed on this line: {exc}") from exc
        if not chunks:
            return Speech(np.zeros(0, dtype=np.float32), int(model.config.sample_rate))
        samples = np.concatenate([np.asarray(c.audio_float_array, np.float32) for c in chunks])
        return Speech(samples.reshape(-1), int(chunks[0].sample_rate))
