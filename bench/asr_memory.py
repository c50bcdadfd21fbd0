"""Memory of the ASR worker's model copies: one copy, two separate copies, two that share
their weights (what the worker loads on a CPU with two threads or more).

Each way is measured in a fresh process: resident memory (VmRSS) added by loading, and after
one 20 s batched call on each copy from two threads at once (as a split batch runs), with
the ratios against one copy measured in the same run.
Run: ``python bench/asr_memory.py [--model base] [--rounds 2]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WAYS = ("one copy", "two separate copies", "two shared copies")


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def measure(way: str, path: str) -> tuple[float, float]:
    """(MB added by loading, MB added after one call on each copy), in this process."""
    import numpy as np
    from faster_whisper import BatchedInferencePipeline, WhisperModel

    from worker.engines.asr.whisper import _sharing_weights

    def load(workers: int = 1) -> WhisperModel:
        return WhisperModel(
            path, device="cpu", compute_type="int8", cpu_threads=1, num_workers=workers,
            local_files_only=True,
        )  # fmt: skip

    before = _rss_mb()
    if way == "one copy":
        copies = [load()]
    elif way == "two separate copies":
        copies = [load(), load()]
    else:
        shared = load(2)
        copies = [shared, _sharing_weights(shared)]
    loaded = _rss_mb() - before
    audio = (np.random.default_rng(0).standard_normal(16000 * 20) * 0.05).astype(np.float32)

    def call(model: WhisperModel) -> None:
        segments, _ = BatchedInferencePipeline(model).transcribe(
            audio, language="en", vad_filter=False, batch_size=1, without_timestamps=False,
            clip_timestamps=[{"start": 0.0, "end": 20.0}],
        )  # fmt: skip
        list(segments)

    with ThreadPoolExecutor(len(copies)) as pool:
        list(pool.map(call, copies))
    return loaded, _rss_mb() - before


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="base")
    ap.add_argument("--rounds", type=int, default=2, help="fresh processes per way; the least")
    ap.add_argument("--child", nargs=2, metavar=("WAY", "PATH"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        loaded, used = measure(args.child[0], args.child[1])
        print(f"{loaded:.1f} {used:.1f}")
        return
    from worker.engines.models import ModelManager

    cache = tempfile.mkdtemp(prefix="vt-asr-memory-")
    path = str(ModelManager.for_worker_cache(cache).resolve(args.model).path)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    rows: dict[str, tuple[float, float]] = {}
    for way in WAYS:
        runs = []
        for _ in range(max(1, args.rounds)):
            out = subprocess.run(
                [sys.executable, __file__, "--child", way, path],
                check=True, capture_output=True, text=True, env=env, cwd=ROOT,
            )  # fmt: skip
            loaded, used = (float(x) for x in out.stdout.split()[-2:])
            runs.append((loaded, used))
        rows[way] = (min(r[0] for r in runs), min(r[1] for r in runs))
    base_load, base_used = rows["one copy"]
    print(f"\nmodel {args.model}, CPU int8, 1 thread per copy, least of {args.rounds} processes")
    print(f"{'way':<22}{'loaded MB':>11}{'vs one':>8}{'after calls MB':>16}{'vs one':>8}")
    for way, (loaded, used) in rows.items():
        print(
            f"{way:<22}{loaded:>11.0f}{loaded / base_load:>7.2f}x"
            f"{used:>16.0f}{used / base_used:>7.2f}x"
        )


if __name__ == "__main__":
    main()
