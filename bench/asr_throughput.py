"""Speech recognition throughput: direct faster-whisper against the system, same audio.

On one ≥ 3-minute recording (real and synthetic speech), one model and one thread budget
(2 threads in all), prints audio-seconds per wall-second for:

* direct ``WhisperModel.transcribe`` (sequential), word timestamps on;
* direct ``BatchedInferencePipeline`` with batch 8, word timestamps on;
* the system (plan + fan-out over RabbitMQ) with 1 worker (2 threads, prefetch 8) and with
  2 workers (1 thread each, prefetch 4),

and the ratios against the batched pipeline and against sequential.
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

from tests.support.media import join_talk, speech_clips, write_wav
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.pipeline.recognise import transcribe_file
from worker.engines.models import ModelManager


def direct(model_path: str, audio: Path, batched: bool) -> float:
    model = WhisperModel(model_path, device="cpu", compute_type="int8", cpu_threads=2)
    t = time.perf_counter()
    if batched:
        segs, _ = BatchedInferencePipeline(model).transcribe(
            str(audio), batch_size=8, language="en", word_timestamps=True
        )
    else:
        segs, _ = model.transcribe(str(audio), language="en", word_timestamps=True)
    words = sum(len(s.words or []) for s in segs)
    elapsed = time.perf_counter() - t
    print(f"  ({words} words)")
    return elapsed


async def system(audio: Path, workers: int, model: str) -> float:
    threads, prefetch = (2, 8) if workers == 1 else (1, 4)
    async with running_system(workers, prefetch=prefetch, threads=threads, model=model) as sys_:
        store = JobStore(sys_.base / "jobs.sqlite3")
        t = time.perf_counter()
        _, results = await transcribe_file(
            sys_.rpc, sys_.events, store, audio, model=model, language="en"
        )
        elapsed = time.perf_counter() - t
        words = sum(len(s.words) for r in results for s in r.segments)
        print(f"  ({words} words, {len(results)} segments)")
        return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=190.0)
    ap.add_argument("--model", default="tiny.en")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vt-asr-bench-"))
    samples, _, _ = join_talk(speech_clips(folder), args.seconds)
    audio = write_wav(folder / "talk.wav", samples)
    length = len(samples) / 16000
    model_path = str(ModelManager.for_worker_cache(str(folder / "cache")).resolve(args.model).path)
    rows: dict[str, float] = {}
    runs: list[tuple[str, Callable[[], float]]] = [
        ("direct sequential", lambda: direct(model_path, audio, batched=False)),
        ("direct batched (8)", lambda: direct(model_path, audio, batched=True)),
        ("system, 1 worker", lambda: asyncio.run(system(audio, 1, args.model))),
        ("system, 2 workers", lambda: asyncio.run(system(audio, 2, args.model))),
    ]
    for name, run in runs:
        print(f"{name}…")
        rows[name] = length / run()
    print(f"\n{length:.0f} s of audio, model {args.model}, 2 threads in all")
    print(f"{'path':<22}{'audio s / wall s':>18}{'vs batched':>12}{'vs sequential':>15}")
    for name, speed in rows.items():
        print(
            f"{name:<22}{speed:>17.1f}x{speed / rows['direct batched (8)']:>11.2f}x"
            f"{speed / rows['direct sequential']:>14.2f}x"
        )


if __name__ == "__main__":
    main()
