"""Speech recognition accuracy on real speech, per language: the app against faster-whisper.

For each language of the real-speech set (``tests/data/speech``: LibriSpeech/LibriVox English,
FLEURS German, French and Spanish, MLS Spanish), the recordings are joined with 0.7-1.0 s
pauses into one file (60-80 s, so the app's plan cuts it into several segments that the
worker decodes in batches), and transcribed twice with the same model:

* **direct**: ``WhisperModel.transcribe`` on the whole file (sequential, word timestamps on),
  as faster-whisper users run it;
* **app**: the app's own path: plan (VAD) + fan-out of segments over RabbitMQ to one worker
  (2 threads, prefetch 8, batched), language detected by the app.

Each transcript is scored against the recordings' reference texts (case and punctuation
removed), and the app's WER is printed beside the direct WER with their difference (the
target: app ≤ direct + 0.01). English uses tiny.en, the others multilingual base.
Run: ``python bench/asr_accuracy.py [--languages en,de,fr,es]``.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from pathlib import Path

from _system import System, running_system
from faster_whisper import WhisperModel

from tests.support.media import real_talk, write_wav
from tests.support.wer import wer
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.pipeline.streaming import transcribe_file
from worker.engines.models import ModelManager

MODELS = {"en": "tiny.en", "de": "base", "fr": "base", "es": "base"}
RATE = 16000


def words(text: str) -> list[str]:
    """Lower-case words of any script, without punctuation (apostrophes kept)."""
    return re.findall(r"[^\W_]+(?:'[^\W_]+)*", text.lower().replace("’", "'"))


def joined(lang: str, folder: Path) -> tuple[Path, list[str], float]:
    """The language's recordings joined with pauses: the file, its reference words, seconds."""
    talk = real_talk(lang)
    reference = [w for text in talk.texts for w in words(text)]
    return write_wav(folder / f"{lang}.wav", talk.samples), reference, len(talk.samples) / RATE


def direct(model_path: str, audio: Path, language: str | None) -> tuple[str, float]:
    model = WhisperModel(model_path, device="cpu", compute_type="int8", cpu_threads=2)
    t = time.perf_counter()
    segs, _ = model.transcribe(str(audio), language=language, word_timestamps=True)
    text = " ".join(s.text for s in segs)  # decoding is lazy: this runs the model
    return text, time.perf_counter() - t


async def app(sys_: System, audio: Path, model: str) -> tuple[str, float]:
    store = JobStore(sys_.base / "jobs.sqlite3")  # a fresh job each time: nothing reused
    t = time.perf_counter()
    _, results = await transcribe_file(sys_.rpc, sys_.events, store, audio, model=model)
    return " ".join(s.text for r in results for s in r.segments), time.perf_counter() - t


async def measure(languages: list[str], folder: Path) -> None:
    manager = ModelManager.for_worker_cache(str(folder / "cache"))
    rows = []
    async with running_system(1, prefetch=8, threads=2, model="tiny.en") as system:
        for lang in languages:
            audio, reference, seconds = joined(lang, folder)
            name = MODELS[lang]
            path = str(manager.resolve(name).path)
            forced = "en" if name.endswith(".en") else None
            d_text, d_s = await asyncio.to_thread(direct, path, audio, forced)
            a_text, a_s = await app(system, audio, name)
            d_wer, a_wer = wer(reference, words(d_text)), wer(reference, words(a_text))
            rows.append((lang, name, seconds, len(reference), d_wer, a_wer, d_s, a_s))
            print(f"{lang}: direct {d_wer:.3f} in {d_s:.1f} s, app {a_wer:.3f} in {a_s:.1f} s",
                  flush=True)  # fmt: skip
    print(
        f"\n{'lang':<5}{'model':<9}{'audio s':>8}{'words':>7}{'direct WER':>12}{'app WER':>9}"
        f"{'app - direct':>14}{'app / direct':>14}"
    )
    for lang, name, seconds, n, d_wer, a_wer, _, _ in rows:
        ratio = a_wer / d_wer if d_wer else float("nan")
        print(f"{lang:<5}{name:<9}{seconds:>8.1f}{n:>7}{d_wer:>12.3f}{a_wer:>9.3f}"
              f"{a_wer - d_wer:>+14.3f}{ratio:>13.2f}x")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--languages", default="en,de,fr,es")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vt-asr-accuracy-"))
    asyncio.run(measure([lang for lang in args.languages.split(",") if lang], folder))


if __name__ == "__main__":
    main()
