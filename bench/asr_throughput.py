"""Speech recognition throughput: direct faster-whisper against the system, same audio.

On one ≥ 3-minute recording (real and synthetic speech), one model and one thread budget
(2 threads in all), prints audio-seconds per wall-second for:

* direct ``WhisperModel.transcribe`` (sequential), word timestamps on;
* direct ``BatchedInferencePipeline`` with batch 8, word timestamps on (its default decodes
  text tokens only; also run with segment timestamps on, as the system decodes);
* the system (plan + fan-out over RabbitMQ) with 1 worker (2 threads, prefetch 8) and with
  2 workers (1 thread each, prefetch 4),

and the ratios against the batched pipeline and against sequential, with each transcript's
word error rate against the text the recording was made from (speed at equal quality).
Run: ``python bench/asr_throughput.py [--seconds 190] [--model tiny.en]``.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _system import running_system
from faster_whisper import BatchedInferencePipeline, WhisperModel

from tests.support.media import JFK_TEXT, SENTENCES, join_talk, speech_clips, write_wav
from tests.support.wer import norm_words, wer
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.pipeline.recognise import transcribe_file
from worker.engines.models import ModelManager

Run = tuple[float, str]  # wall seconds, transcript


def direct(model_path: str, audio: Path, batched: bool, timestamps: bool = False) -> Run:
    model = WhisperModel(model_path, device="cpu", compute_type="int8", cpu_threads=2)
    t = time.perf_counter()
    if batched:
        segs, _ = BatchedInferencePipeline(model).transcribe(
            str(audio), batch_size=8, language="en", word_timestamps=True,
            without_timestamps=not timestamps,
        )  # fmt: skip
    else:
        segs, _ = model.transcribe(str(audio), language="en", word_timestamps=True)
    text = " ".join(s.text for s in segs)  # decoding is lazy: this runs the model
    return time.perf_counter() - t, text


async def system(audio: Path, workers: int, model: str) -> Run:
    threads, prefetch = (2, 8) if workers == 1 else (1, 4)
    async with running_system(workers, prefetch=prefetch, threads=threads, model=model) as sys_:
        store = JobStore(sys_.base / "jobs.sqlite3")
        t = time.perf_counter()
        _, results = await transcribe_file(
            sys_.rpc, sys_.events, store, audio, model=model, language="en"
        )
        elapsed = time.perf_counter() - t
        return elapsed, " ".join(s.text for r in results for s in r.segments)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=190.0)
    ap.add_argument("--model", default="tiny.en")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vt-asr-bench-"))
    samples, where, _ = join_talk(speech_clips(folder), args.seconds)
    texts = [JFK_TEXT, *SENTENCES]
    reference = [w for i in range(len(where)) for w in norm_words(texts[i % len(texts)])]
    audio = write_wav(folder / "talk.wav", samples)
    length = len(samples) / 16000
    model_path = str(ModelManager.for_worker_cache(str(folder / "cache")).resolve(args.model).path)
    rows: dict[str, tuple[float, float]] = {}
    runs: list[tuple[str, Callable[[], Run]]] = [
        ("direct sequential", lambda: direct(model_path, audio, batched=False)),
        ("direct batched (8)", lambda: direct(model_path, audio, batched=True)),
        ("batched, timestamps on", lambda: direct(model_path, audio, True, timestamps=True)),
        ("system, 1 worker", lambda: asyncio.run(system(audio, 1, args.model))),
        ("system, 2 workers", lambda: asyncio.run(system(audio, 2, args.model))),
    ]
    for name, run in runs:
        print(f"{name}…")
        elapsed, text = run()
        rows[name] = (length / elapsed, wer(reference, norm_words(text)))
    print(f"\n{length:.0f} s of audio, model {args.model}, 2 threads in all")
    base, seq = rows["direct batched (8)"][0], rows["direct sequential"][0]
    print(f"{'path':<24}{'audio s / wall s':>17}{'vs batched':>12}{'vs sequential':>15}{'WER':>7}")
    for name, (speed, err) in rows.items():
        print(f"{name:<24}{speed:>16.1f}x{speed / base:>11.2f}x{speed / seq:>14.2f}x{err:>7.3f}")


if __name__ == "__main__":
    main()
