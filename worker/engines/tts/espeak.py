"""espeak-ng: a formant voice for about a hundred languages, run as the system's binary.

The pace is espeak's own ``-s`` (words per minute; 175 is natural), so a faster line keeps
its pitch. Text goes in on stdin (never on the command line, so no text is read as an
option), and the WAV comes back through a temporary file.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import shutil
import subprocess
import tempfile
import wave

import numpy as np

from worker.engines.tts.base import Speech, TtsEngine
from worker.protocol.errors import InvalidParams, ModelUnavailable, ServiceError
from worker.protocol.mt import primary_subtag
from worker.protocol.tts import VoiceInfo

log = logging.getLogger(__name__)

NATURAL_WPM = 175
MAX_WPM = 450
TIMEOUT_S = 60.0
#: Language codes whose espeak-ng voice has another name.
ALIASES = {"zh": "cmn", "nb": "nb", "no": "nb", "fil": "tl"}


def read_wav(data: bytes) -> Speech:
    """A 16-bit PCM WAV file as float32 mono (channels averaged).

    Raises:
        ServiceError: the bytes are not a 16-bit PCM WAV.
    """
    try:
        with wave.open(io.BytesIO(data)) as wav:
            if wav.getsampwidth() != 2:
                raise ServiceError("espeak-ng wrote a WAV that is not 16-bit PCM")
            rate, channels = wav.getframerate(), wav.getnchannels()
            raw = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    except (wave.Error, EOFError) as exc:
        raise ServiceError(f"espeak-ng wrote an unreadable WAV: {exc}") from exc
    samples = raw.reshape(-1, channels).mean(axis=1) / 32768.0
    return Speech(samples.astype(np.float32), rate)


class EspeakEngine(TtsEngine):
    """espeak-ng through its command line."""

    name = "espeak-ng"

    def __init__(self, binary: str = "espeak-ng") -> None:
        self.binary = binary

    @functools.cached_property
    def executable(self) -> str | None:
        """The espeak-ng program, or None when it is not installed."""
        return shutil.which(self.binary)

    def availability(self) -> str | None:
        """Why espeak-ng cannot run here (None when it can)."""
        if self.executable is None:
            return (
                f"espeak-ng is not installed ({self.binary!r} is not on PATH): install it "
                "with your package manager, e.g. apt-get install espeak-ng"
            )
        return None

    @functools.cached_property
    def _voice_table(self) -> dict[str, str]:
        """Voice (language) name, lower-cased → as espeak spells it; MBROLA voices left out."""
        if self.executable is None:
            return {}
        done = subprocess.run(
            [self.executable, "--voices"], capture_output=True, text=True, timeout=TIMEOUT_S,
            check=False,
        )  # fmt: skip
        table: dict[str, str] = {}
        for line in done.stdout.splitlines()[1:]:
            fields = line.split()
            if len(fields) >= 5 and not fields[4].startswith("mb/"):
                table.setdefault(fields[1].lower(), fields[1])
        return table

    def voices(self) -> list[VoiceInfo]:
        """One voice per language espeak-ng speaks (the voice is named by its language)."""
        return [
            VoiceInfo(engine=self.name, voice=v, languages=[v]) for v in self._voice_table.values()
        ]

    def voice_for(self, language: str, voice: str = "") -> str:
        """``voice`` if espeak has it, else the voice of ``language`` (``pt-BR`` → ``pt-br``).

        Raises:
            ModelUnavailable: espeak-ng is not installed.
            InvalidParams: no such voice, or no voice for the language.
        """
        if (notice := self.availability()) is not None:
            raise ModelUnavailable(notice)
        table = self._voice_table
        if voice:
            if voice.lower() not in table:
                raise InvalidParams(f"espeak-ng has no voice {voice!r}")
            return table[voice.lower()]
        code = language.replace("_", "-").lower()
        primary = primary_subtag(code)
        for candidate in (code, ALIASES.get(primary, primary)):
            if candidate in table:
                return table[candidate]
        raise InvalidParams(f"espeak-ng has no voice for the language {language!r}")

    def speak(self, text: str, voice: str, rate: float) -> Speech:
        """Speak with espeak-ng at ``rate`` × 175 words per minute.

        Raises:
            ServiceError: espeak-ng failed or timed out.
        """
        if self.executable is None:
            raise ModelUnavailable(self.availability())
        wpm = min(MAX_WPM, max(80, round(NATURAL_WPM * rate)))
        handle, path = tempfile.mkstemp(suffix=".wav", prefix="vt-espeak-")
        os.close(handle)
        try:
            done = subprocess.run(
                [self.executable, "-v", voice, "-s", str(wpm), "-w", path],
                input=text.encode("utf-8"), capture_output=True, timeout=TIMEOUT_S, check=False,
            )  # fmt: skip
            if done.returncode != 0:
                message = done.stderr.decode("utf-8", "replace").strip()[:300]
                raise ServiceError(f"espeak-ng failed (exit {done.returncode}): {message}")
            with open(path, "rb") as wav:
                return read_wav(wav.read())
        except subprocess.TimeoutExpired:
            raise ServiceError(f"espeak-ng took longer than {TIMEOUT_S:.0f} s") from None
        finally:
            os.unlink(path)
