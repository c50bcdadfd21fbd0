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

The paths take turns, ``--rounds`` rounds of all five, on models and worker processes made
once, and each path's best round counts (like ``timeit``). On a shared 2-core VM one path's
runs varied by up to 40 % within minutes; taking turns spreads such drift over every path, and
the first run of a fresh CTranslate2 model (up to 20 % slower while its buffers grow to the
batch's size) decides nothing. The first round's figures are printed too.
Run: ``python bench/asr_throughput.py [--seconds 190] [--model tiny.en] [--rounds 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from _system import System, running_system
from faster_whisper import BatchedInferencePipeline, WhisperModel

from tests.support.media import JFK_TEXT, SENTENCES, join_talk, speech_clips, write_wav
from tests.support.wer import norm_words, wer
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.pipeline.streaming import transcribe_file
from worker.engines.models import ModelManager

Run = tuple[float, str]  # wall seconds, transcript


def direct(model: WhisperModel, audio: Path, batched: bool, timestamps: bool = False) -> Run:
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


async def system(sys_: System, audio: Path, model: str) -> Run:
    store = JobStore(sys_.base / "jobs.sqlite3")  # a fresh job each time: nothing reused
    t = time.perf_counter()
    _, results = await transcribe_file(
        sys_.rpc, sys_.events, store, audio, model=model, language="en"
    )
    elapsed = time.perf_counter() - t
    return elapsed, " ".join(s.text for r in results for s in r.segments)


async def measure(
    audio: Path, model_name: str, model_path: str, rounds: int
) -> dict[str, list[Run]]:
    """Every path's runs, the paths taking turns round by round."""
    model = WhisperModel(model_path, device="cpu", compute_type="int8", cpu_threads=2)

    def threaded(batched: bool, timestamps: bool = False) -> Callable[[], Awaitable[Run]]:
        # in a thread, so the event loop keeps the systems' connections alive meanwhile
        return lambda: asyncio.to_thread(direct, model, audio, batched, timestamps)

    async with contextlib.AsyncExitStack() as stack:
        one = await stack.enter_async_context(
            running_system(1, prefetch=8, threads=2, model=model_name)
        )
        two = await stack.enter_async_context(
            running_system(2, prefetch=4, threads=1, model=model_name)
        )
        paths: dict[str, Callable[[], Awaitable[Run]]] = {
            "direct sequential": threaded(False),
            "direct batched (8)": threaded(True),
            "batched, timestamps on": threaded(True, True),
            "system, 1 worker": lambda: system(one, audio, model_name),
            "system, 2 workers": lambda: system(two, audio, model_name),
        }
        runs: dict[str, list[Run]] = {name: [] for name in paths}
        for r in range(rounds):
            for name, run in paths.items():
                runs[name].append(await run())
                print(f"round {r + 1}/{rounds} {name}: {runs[name][-1][0]:.2f} s", flush=True)
        return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seconds", type=float, default=190.0)
    ap.add_argument("--model", default="tiny.en")
    ap.add_argument("--rounds", type=int, default=3, help="turns of every path; the best counts")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vt-asr-bench-"))
    samples, where, _ = join_talk(speech_clips(folder), args.seconds)
    texts = [JFK_TEXT, *SENTENCES]
    reference = [w for i in range(len(where)) for w in norm_words(texts[i % len(texts)])]
    audio = write_wav(folder / "talk.wav", samples)
    length = len(samples) / 16000
    model_path = str(ModelManager.for_worker_cache(str(folder / "cache")).resolve(args.model).path)
    rounds = max(1, args.rounds)
    runs = asyncio.run(measure(audio, args.model, model_path, rounds))
    rows: dict[str, tuple[float, float, float]] = {}
    for name, done in runs.items():
        elapsed, text = min(done, key=lambda r: r[0])
        rows[name] = (length / elapsed, length / done[0][0], wer(reference, norm_words(text)))
    print(f"\n{length:.0f} s of audio, model {args.model}, 2 threads in all, best of {rounds}")
    base, seq = rows["direct batched (8)"][0], rows["direct sequential"][0]
    stamped = rows["batched, timestamps on"][0]
    print(
        f"{'path':<24}{'audio s / wall s':>17}{'vs batched':>12}{'vs stamped':>12}"
        f"{'vs sequential':>15}{'WER':>7}{'round 1':>10}"
    )
    for name, (speed, first, err) in rows.items():
        print(
            f"{name:<24}{speed:>16.1f}x{speed / base:>11.2f}x{speed / stamped:>11.2f}x"
            f"{speed / seq:>14.2f}x{err:>7.3f}{first:>9.1f}x"
        )


if __name__ == "__main__":
    main()
