"""What a speech engine is: text and a voice in, mono float32 samples out, at a chosen pace."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from worker.protocol.tts import VoiceInfo

Samples = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Speech:
    """Mono float32 samples in -1..1 at ``sample_rate``."""

    samples: Samples
    sample_rate: int

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return len(self.samples) / self.sample_rate


class TtsEngine(ABC):
    """One text-to-speech engine; ``speak`` blocks (the service runs it in a thread)."""

    name: ClassVar[str] = ""

    @abstractmethod
    def availability(self) -> str | None:
        """None when the engine can run here, else a sentence saying why not."""

    @abstractmethod
    def voices(self) -> list[VoiceInfo]:
        """The voices this engine has on this machine."""

    @abstractmethod
    def voice_for(self, language: str, voice: str = "") -> str:
        """The voice to use: ``voice`` checked, or the engine's voice for ``language``.

        Raises:
            InvalidParams: the engine has no such voice, or none for the language.
            ModelUnavailable: the engine cannot run here.
        """

    @abstractmethod
    def speak(self, text: str, voice: str, rate: float) -> Speech:
        """Speak ``text`` with ``voice``, ``rate`` times faster than natural (pitch kept).

        Raises:
            ServiceError: the engine failed on this text.
        """
