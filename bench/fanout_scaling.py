"""Fan-out at scale: one planned 2-hour recording recognised by 1, 4, 16 and 64 workers.

The workers are real ``python -m worker`` processes serving a stand-in ``asr`` plugin
(``bench/plugins/asr_standin_service.py``, in place of the built-in ``asr``:
``VT_WORKER_REPLACE_BUILTINS=asr``): it answers the real ``asr.transcribe`` with a
result of the real shape after sleeping for the segment's duration ÷ ``speed``. So the job's
ideal wall time is known exactly, ``audio ÷ (workers × speed)``, and whatever the job takes
beyond it is the system's own cost: the client's planning of the first wave, the in-flight
bound, presence updates, store writes, the broker. Efficiency = ideal ÷ wall.

The recording: the English recordings of ``tests/data/speech`` (real speech, LibriSpeech),
shuffled with short pauses into a part of about 10 minutes, planned by the app's own planner
(the real VAD cuts it into ~30 s segments), and that part repeated into 2 hours of 16 kHz mono
WAV, its plan repeated with it (see ``prepare``; planning is not part of the runs). Each run
is then the app's path for a planned job (``vt jobs resume``, or a job whose plan is
stored): the spoken language detected once on the first segment, then ``recognise``, every
segment read from the file, encoded as FLAC and sent as its own call, results stored in a
fresh ``JobStore`` as they arrive, as many in flight as the workers take.

``audio`` is the planned segments' total length (the workers' whole work); ``speed`` is
chosen per run so that every run's ideal is the same (``--ideal``, 30 s): 1 worker at 240×,
64 at 3.75×. The 2 cores here cannot run 64 processes, so "N workers" are
``min(N, --processes)`` worker processes with a prefetch of N ÷ processes each: the stand-in
runs its calls side by side, as N single-call workers would, and the client sees the same
capacity (its in-flight bound is read from the workers' presence). A detection is modelled
as ``DETECT_SHARE`` of a transcription of the same audio (an encoder pass, no decoding).
The client's own CPU (all its threads: reading and encoding segments, the wire, the store)
is measured with ``time.process_time``, in all and per call: the client reads and encodes
every segment, so on a machine whose cores are busy with other work it is what runs out
first (each row gives the load average).

Run: ``python bench/fanout_scaling.py [--quick] [--workers 1 4 16 64] [--ideal 30]
[--compare] [--fresh]``. ``--quick`` runs 1 and 16 workers (about 2 minutes) and prints
``efficiency at 16 workers: X``. ``--compare`` runs each count the way it was before
2026-12-04 too; ``--fresh`` runs each count as a new job too (``plan_and_recognise``: the
file planned by the VAD while the segments it finds are recognised, the ideal taken from that
plan).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import wave
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _system import spawn_workers  # noqa: E402

from tests.support.media import real_talk  # noqa: E402
from vt_desktop.core.jobs.model import JobSpec  # noqa: E402
from vt_desktop.core.jobs.store import JobStore  # noqa: E402
from vt_desktop.core.media import Segment, SegmentPlan, probe  # noqa: E402
from vt_desktop.core.media.plan import plan_segments  # noqa: E402
from vt_desktop.core.pipeline import recognise as recognise_module  # noqa: E402
from vt_desktop.core.pipeline.context import JobContext  # noqa: E402
from vt_desktop.core.pipeline.recognise import (  # noqa: E402
    SegmentRecogniser,
    recognise,
    words_of,
)
from vt_desktop.core.pipeline.streaming import plan_and_recognise  # noqa: E402
from vt_desktop.core.supervisor.broker import BrokerNode, free_port  # noqa: E402
from worker.transport.client import RpcClient  # noqa: E402
from worker.transport.connection import connect  # noqa: E402
from worker.transport.events import EventStream  # noqa: E402
from worker.transport.settings import BrokerSettings  # noqa: E402
from worker.transport.topology import Names  # noqa: E402

PLUGINS = ROOT / "bench" / "plugins"
SHM = Path("/dev/shm")  # noqa: S108 (a private mkdtemp inside it)
RATE = 16_000
TWO_HOURS_S = 7200.0
PART_S = 600.0
GAP_S = 3.0


@dataclass
class Row:
    """One run's figures."""

    workers: int
    path: str
    layout: str
    speed: float
    ideal_s: float
    wall_s: float
    detect_s: float
    calls: int
    cpu_per_call_ms: float
    cpu_s: float
    words: int
    load: float

    @property
    def efficiency(self) -> float:
        return self.ideal_s / self.wall_s


def write_wav(path: Path, samples: np.ndarray) -> Path:
    """16 kHz mono 16-bit WAV."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())
    return path


def prepare(base: Path, seconds: float) -> tuple[SegmentPlan, float, float]:
    """The recording, its plan, the length of the part planned and the seconds that took.

    A part of about ``PART_S`` (the English recordings, shuffled, with pauses, then
    ``GAP_S`` of silence) is planned by the app's planner, and the recording is that part
    repeated up to ``seconds``: the planner never cuts across a pause of 2 s, so the plan
    of the whole is the part's plan repeated (planning 2 hours here costs 21 s of CPU on an
    idle machine, minutes on a busy one, and is not what this bench measures).
    """
    one = real_talk("en")
    talk = real_talk("en", repeats=max(1, round(PART_S / (one.samples.size / RATE))))
    part = np.concatenate([talk.samples, np.zeros(round(GAP_S * RATE), dtype=np.float32)])
    started = time.perf_counter()
    part_plan = plan_segments(write_wav(base / "part.wav", part), 0)
    planned_in = time.perf_counter() - started
    part_s = part.size / RATE
    times = max(1, math.ceil(seconds / part_s))
    wav = write_wav(base / "talk-2h.wav", np.tile(part, times))
    n = len(part_plan.segments)
    plan = SegmentPlan(
        path=wav, stream_index=0, duration_s=part_s * times, speech_s=part_plan.speech_s * times,
        segments=tuple(Segment(k * n + s.index, s.start_s + k * part_s, s.end_s + k * part_s)
                       for k in range(times) for s in part_plan.segments),
        speech=tuple((a + k * part_s, b + k * part_s)
                     for k in range(times) for a, b in part_plan.speech),
    )  # fmt: skip
    return plan, part_s, planned_in


def start_workers(
    url: str, base: Path, workers: int, processes: int, speed: float
) -> tuple[list[subprocess.Popen[bytes]], str, int]:
    """``processes`` workers serving the stand-in under a fresh prefix; (procs, prefix,
    prefetch each)."""
    procs_n = min(workers, processes)
    prefetch = workers // procs_n
    prefix = f"f{uuid.uuid4().hex[:6]}"
    config = base / prefix / "config"
    (config / "services").mkdir(parents=True)
    (config / "services" / "asr.toml").write_text(f"rpc_enabled = true\nspeed = {speed!r}\n")
    env = dict(
        os.environ,
        RABBITMQ_URL=url,
        RABBITMQ_RPC_QUEUE=prefix,
        VT_CONFIG_DIR=str(config),
        VT_CACHE_DIR=str(base / prefix / "cache"),
        VT_LOG_DIR=str(base / prefix / "logs"),
        VT_PLUGIN_DIR=str(PLUGINS),
        VT_WORKER_SERVICES="asr",
        VT_WORKER_REPLACE_BUILTINS="asr",  # the stand-in plugin, not the built-in
        VT_WORKER_PREFETCH=str(prefetch),
        LOG_LEVEL="WARNING",
    )
    return spawn_workers(env, procs_n, prefix), prefix, prefetch


async def one_run(
    node: BrokerNode,
    base: Path,
    plan: SegmentPlan,
    *,
    workers: int,
    processes: int,
    ideal: float,
    path: str = "app",
) -> Row:
    """Recognise the recording once with ``workers`` workers. ``path``: "app", the app's
    path for a planned job; "before", the way it was before 2026-12-04 (``--compare``);
    "fresh", a new job's path (``--fresh``: ``plan_and_recognise``, the plan made while the
    segments it finds are recognised)."""
    audio = sum(s.duration_s for s in plan.segments)
    speed = audio / (workers * ideal)
    procs, prefix, prefetch = start_workers(node.url, base, workers, processes, speed)
    conn = await connect(BrokerSettings(), url=node.url, name="fanout-bench")
    rpc = RpcClient(conn, client_id=f"fanout{uuid.uuid4().hex[:6]}", names=Names(prefix))
    try:
        await rpc.start()
        events = EventStream(await conn.channel(), Names(prefix), rpc.client_id)
        await events.start()
        await events.wait_for_workers(len(procs), "asr", timeout=120)
        store = JobStore(base / prefix / "jobs.sqlite3")
        spec = JobSpec(input=plan.path, targets=["en"], out_dir=base / prefix / "out")
        ctx = JobContext(store.create_job(spec), spec, rpc, events, store)
        detected = math.nan
        report = ctx.report

        def noting(stage: str, fraction: float, message: str = "", level: str = "INFO") -> None:
            nonlocal detected
            if message.startswith("spoken language"):
                detected = time.perf_counter() - started
            report(stage, fraction, message, level)

        ctx.report = noting  # type: ignore[method-assign]
        started, cpu = time.perf_counter(), time.process_time()
        if path == "fresh":  # the runner's path for a new job: the file is planned too
            info = await asyncio.to_thread(probe, plan.path, max_size=1 << 40)
            plan, _, results = await plan_and_recognise(ctx, info, 0)
            ideal = sum(s.duration_s for s in plan.segments) / (workers * speed)
        elif path == "before":  # as before: the detection awaited first, the calls in plan order
            with mock.patch.object(recognise_module, "last_wave_longest_first",
                                   lambda segments, _capacity: list(segments)):  # fmt: skip
                rec = SegmentRecogniser(ctx, plan.path, plan.stream_index)
                language = await rec.language(plan.segments[0])  # its own read and encode
                _, results = await recognise(ctx, plan, language)
        else:  # the app's path (the runner's)
            _, results = await recognise(ctx, plan, None)
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu
    finally:
        await rpc.close()
        await conn.close()
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
    if len(results) != len(plan.segments):
        raise RuntimeError(f"{len(results)} results for {len(plan.segments)} segments")
    return Row(
        workers=workers, path=path, layout=f"{len(procs)}×{prefetch}",
        speed=speed, ideal_s=ideal,
        wall_s=wall, detect_s=detected, calls=ctx.calls_sent,
        cpu_per_call_ms=1000 * cpu / max(ctx.calls_sent, 1), cpu_s=cpu,
        words=len(words_of(results, plan.speech)), load=os.getloadavg()[0],
    )  # fmt: skip


async def run(
    counts: list[int], processes: int, ideal: float, seconds: float, paths: list[str]
) -> list[Row]:
    base = Path(tempfile.mkdtemp(prefix="vt-fanout-", dir=SHM if SHM.is_dir() else None))
    node = BrokerNode(base / "broker", port=free_port())
    prepared = asyncio.ensure_future(asyncio.to_thread(prepare, base, seconds))
    await node.start()
    try:
        plan, part_s, plan_s = await prepared
        audio = sum(s.duration_s for s in plan.segments)
        print(f"recording {plan.duration_s / 3600:.2f} h ({plan.duration_s / part_s:.0f} × a "
              f"{part_s:.0f} s part, planned in {plan_s:.1f} s); plan: {len(plan.segments)} "
              f"segments, {audio:.0f} s of audio in them; load average "
              f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
        print("| workers | path | processes × prefetch | speed | ideal s | wall s | efficiency "
              "| language detection s | client CPU s | client CPU ms/call | calls | load |"
              )  # fmt: skip
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        rows = []
        for n, way in [(n, way) for n in counts for way in paths]:
            row = await one_run(
                node, base, plan, workers=n, processes=processes, ideal=ideal, path=way
            )
            rows.append(row)
            print(f"| {row.workers} | {row.path} | {row.layout} | {row.speed:.2f}× "
                  f"| {row.ideal_s:.1f} | {row.wall_s:.2f} | {row.efficiency:.3f} "
                  f"| {row.detect_s:.2f} "
                  f"| {row.cpu_s:.1f} | {row.cpu_per_call_ms:.1f} | {row.calls} | {row.load:.1f} |",
                  flush=True)  # fmt: skip
        return rows
    finally:
        await node.stop()
        shutil.rmtree(base, ignore_errors=True)  # on tmpfs: the broker's data is memory


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 and 16 workers only")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16, 64])
    ap.add_argument("--ideal", type=float, default=30.0, help="each run's ideal wall time, s")
    ap.add_argument("--processes", type=int, default=4, help="most worker processes per run")
    ap.add_argument("--seconds", type=float, default=TWO_HOURS_S, help="the recording's length")
    ap.add_argument(
        "--compare", action="store_true",
        help="each count the way before (detection first, calls in plan order), then the app's",
    )  # fmt: skip
    ap.add_argument(
        "--fresh", action="store_true",
        help="each count also as a new job: the file planned while its segments are recognised",
    )  # fmt: skip
    args = ap.parse_args()
    counts = [1, 16] if args.quick else args.workers
    paths = ["before"] * args.compare + ["app"] + ["fresh"] * args.fresh
    rows = asyncio.run(run(counts, args.processes, args.ideal, args.seconds, paths))
    for n in counts:
        before = [r.efficiency for r in rows if r.workers == n and r.path == "before"]
        app = [r.efficiency for r in rows if r.workers == n and r.path == "app"]
        fresh = [r.efficiency for r in rows if r.workers == n and r.path == "fresh"]
        if fresh:
            print(f"{n} workers: efficiency as a new job {fresh[0]:.3f}, planned {app[0]:.3f}")
        if before:
            print(f"{n} workers: efficiency before {before[0]:.3f}, app {app[0]:.3f} "
                  f"({app[0] / before[0]:.3f}×)")  # fmt: skip
        if n == 16:
            print(f"efficiency at 16 workers: {app[0]:.3f}")


if __name__ == "__main__":
    main()
