"""What checking each segment's language costs, and what it buys.

A job whose spoken language the user did not force detects it on the first segment and asks
the workers to check every segment (``check_language``): a segment confidently in another
language is transcribed in its own. Batched, the check reads the language off the encoder
output the batch computes anyway; a segment decoded alone pays one detection pass.

On real speech from tests/data/speech (see its SOURCES.md), with the multilingual model, one
worker (2 threads), the system runs each recording with the language forced (no check) and
detected (checked), taking turns for ``--rounds`` rounds; the best round of each counts. It
prints audio-seconds per wall-second, the ratio (the check's cost), and the word error rate
against the reference texts:

* English only (LibriSpeech, repeated to ``--repeats``): the check must cost little and
  change nothing;
* English then German (LibriSpeech, then FLEURS): forced to English, the German half comes out
  as invented English; checked, it is German.

Run: ``python bench/asr_language_check.py [--model base] [--rounds 2] [--repeats 2]``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import numpy as np
from _system import System, running_system

from tests.support.media import real_talk, write_wav
from tests.support.wer import norm_words, wer
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.pipeline.streaming import transcribe_file

RATE = 16000


async def run(sys_: System, audio: Path, model: str, language: str | None) -> tuple[float, str]:
    store = JobStore(sys_.base / "jobs.sqlite3")  # a fresh job each time: nothing reused
    t = time.perf_counter()
    _, results = await transcribe_file(
        sys_.rpc, sys_.events, store, audio, model=model, language=language
    )
    return time.perf_counter() - t, " ".join(s.text for r in results for s in r.segments)


def recordings(folder: Path, repeats: int) -> dict[str, tuple[Path, list[str], float]]:
    """name → (file, reference words, seconds)."""
    english = real_talk("en", repeats=repeats)
    german = real_talk("de")
    pause = np.zeros(round(2.5 * RATE), dtype=np.float32)  # the plan cuts at pauses ≥ 2 s
    mixed = np.concatenate([english.samples, pause, german.samples])
    out: dict[str, tuple[Path, list[str], float]] = {}
    for name, samples, texts in (
        ("English only", english.samples, english.texts),
        ("English then German", mixed, english.texts + german.texts),
    ):
        path = write_wav(folder / f"{name.replace(' ', '_')}.wav", samples)
        out[name] = (path, [w for t in texts for w in norm_words(t)], len(samples) / RATE)
    return out


async def measure(folder: Path, model: str, rounds: int, repeats: int) -> None:
    files = recordings(folder, repeats)
    async with running_system(1, prefetch=8, threads=2, model=model) as one:
        await run(one, next(iter(files.values()))[0], model, "en")  # load the model once
        best: dict[tuple[str, str], tuple[float, str]] = {}
        for r in range(rounds):
            for name, (path, _, _) in files.items():
                for mode, language in (("forced en", "en"), ("detected, checked", None)):
                    elapsed, text = await run(one, path, model, language)
                    key = (name, mode)
                    if key not in best or elapsed < best[key][0]:
                        best[key] = (elapsed, text)
                    print(f"round {r + 1}/{rounds} {name}, {mode}: {elapsed:.2f} s", flush=True)
    print(f"\nmodel {model}, 1 worker, 2 threads, best of {rounds}")
    print(f"{'recording':<22}{'language':<20}{'audio s / wall s':>17}{'vs forced':>11}{'WER':>7}")
    for name, (_, reference, seconds) in files.items():
        forced = seconds / best[(name, "forced en")][0]
        for mode in ("forced en", "detected, checked"):
            elapsed, text = best[(name, mode)]
            speed = seconds / elapsed
            err = wer(reference, norm_words(text))
            print(f"{name:<22}{mode:<20}{speed:>16.1f}x{speed / forced:>10.2f}x{err:>7.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="base")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2, help="times each English clip is heard")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vt-lang-bench-"))
    asyncio.run(measure(folder, args.model, max(1, args.rounds), max(1, args.repeats)))


if __name__ == "__main__":
    main()
