"""Fit one spoken line into its slot: speed up (capped), then shorten its pauses, then flag.

Every decision is made on the measured audio (speech onset to end), never on the engine's
nominal pace: engines do not speed up linearly (Hibari at "1.3" is about 1.18× on speech).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from worker.engines.tts.audio import shorten_pauses, trim
from worker.engines.tts.base import Speech

#: The engine pace may be pushed this far above the measured need to reach it.
MAX_NOMINAL_RATE = 2.5
#: Good enough: within 2 % of the wanted rate.
RATE_TOLERANCE = 0.02
#: Synthesis passes spent searching the engine's pace setting.
MAX_TRIES = 5

Speak = Callable[[float], Speech]


@dataclass(frozen=True)
class FittedLine:
    """A trimmed line and how it was fitted (``rate`` as measured on the audio)."""

    speech: Speech
    natural_s: float
    rate: float
    pauses_removed_s: float
    fitted: bool


def _spoken(speak: Speak, nominal: float) -> Speech:
    speech = trim(speak(nominal))
    if speech.duration_s == 0:
        raise ValueError("the engine produced no audible speech for this text")
    return speech


def _speed_up(speak: Speak, natural: Speech, wanted: float, check: Callable[[], None]) -> Speech:
    """The line spoken as close to ``wanted`` times faster as a few tries get, never faster.

    Engines answer their pace setting unevenly (Hibari: 1.3 → 1.15×, 1.4 → 1.55×), so this
    searches the setting: scale it by the shortfall until a try overshoots, then bisect.
    """
    low, high = 1.0, MAX_NOMINAL_RATE
    nominal = wanted
    best, best_rate = natural, 1.0
    for _ in range(MAX_TRIES):
        check()
        candidate = _spoken(speak, nominal)
        measured = natural.duration_s / candidate.duration_s
        if measured <= wanted * (1 + RATE_TOLERANCE):
            if measured > best_rate:
                best, best_rate = candidate, measured
            if measured >= wanted * (1 - RATE_TOLERANCE):
                break
            low = nominal
            nominal = min((low + high) / 2, nominal * wanted / measured)
        else:
            high = nominal
            nominal = (low + high) / 2
    return best


def fit_line(
    speak: Speak,
    target_s: float | None,
    max_s: float | None,
    max_rate: float,
    check: Callable[[], None] = lambda: None,
) -> FittedLine:
    """Speak a line and fit it into ``target_s`` seconds, never past ``max_s`` if possible.

    Order (as the issue asks): natural pace if it fits the target; else speak faster, at
    most ``max_rate`` times; then the line may use the silence after its cue up to ``max_s``;
    then the pauses inside it are shortened; what still does not fit is flagged (``fitted``
    False) for the caller.

    Raises:
        ValueError: the engine produced no audible speech.
    """
    natural = _spoken(speak, 1.0)
    limit = max_s if max_s is not None else target_s
    if target_s is None or natural.duration_s <= target_s:
        return FittedLine(natural, natural.duration_s, 1.0, 0.0, True)
    wanted = min(max_rate, natural.duration_s / target_s)
    speech = _speed_up(speak, natural, wanted, check) if wanted > 1 + RATE_TOLERANCE else natural
    removed = 0.0
    if limit is not None and speech.duration_s > limit:
        speech, removed = shorten_pauses(speech, speech.duration_s - limit)
    fitted = limit is None or speech.duration_s <= limit + 1e-6
    rate = natural.duration_s / (speech.duration_s + removed)
    return FittedLine(speech, natural.duration_s, round(rate, 4), round(removed, 4), fitted)
