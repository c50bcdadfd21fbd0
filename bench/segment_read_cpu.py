"""A segment's read + encode on the client: CPU per segment, before and after batching.

Before it is sent, every segment is read from the source (``read_pcm``: seek, decode,
resample to 16 kHz mono float32) and encoded for its call (``call_audio``: FLAC, base64),
one after another on one thread of the app's one process (``EncodedAhead``). At 64 workers
that is what the client runs out of first (``bench/fanout_scaling.py``). This bench times
both halves on the planned segments of real speech (the English recordings of
``tests/data/speech``, as in ``fanout_scaling``):

* ``old``: the reading and encoding as they were (``tests/media/per_frame_pcm.py``): one
  resampler call per decoded frame (~470 to a 30 s segment), 16-bit samples made in copies;
* ``new``: the app's code: frames gathered in an ``AudioFifo`` and resampled once per
  window, samples scaled in place.

on two sources: the 16 kHz mono WAV the fan-out bench reads, and the same talk as 48 kHz AAC
in an MP4 (what a user's video gives: real resampling). The paths take turns segment by
segment, ``--rounds`` times, and each cell is the median CPU (``time.process_time``) per
segment; the bytes each path gives are checked equal. ``--profile`` adds a cProfile of each
path's read + encode of every segment of the MP4.

Run: ``python bench/segment_read_cpu.py [--seconds 300] [--rounds 3] [--profile]``.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.media import per_frame_pcm as old  # noqa: E402
from tests.support.media import make_video, real_talk, write_wav  # noqa: E402
from vt_desktop.core.media import Segment  # noqa: E402
from vt_desktop.core.media.audio import PCM_RATE, Pcm, read_pcm  # noqa: E402
from vt_desktop.core.media.encode import encode_pcm  # noqa: E402
from vt_desktop.core.media.plan import plan_segments  # noqa: E402

Reader = Callable[[Path, int, Segment], Pcm]
Encoder = Callable[[Pcm], bytes]
PATHS: dict[str, tuple[Reader, Encoder]] = {
    "old": (
        lambda p, i, s: old.read_pcm(p, i, s.start_s, s.end_s, PCM_RATE),
        old.encode_flac,
    ),
    "new": (
        lambda p, i, s: read_pcm(p, i, s.start_s, s.end_s),
        lambda pcm: encode_pcm(pcm, codec="flac"),
    ),
}  # fmt: skip


def recordings(base: Path, seconds: float) -> tuple[list[tuple[str, Path, int]], list[Segment]]:
    """The WAV and the MP4 of about ``seconds`` of real talk, and its planned segments."""
    talk = real_talk("en", repeats=max(1, round(seconds / 90)))
    samples = talk.samples[: round(seconds * PCM_RATE)]
    wav = write_wav(base / "talk.wav", samples)
    mp4 = make_video(base / "talk.mp4", wav, size=(64, 48), fps=2)
    plan = plan_segments(wav, 0)
    return [("16 kHz WAV", wav, 0), ("48 kHz AAC in MP4", mp4, 1)], list(plan.segments)


def one(
    path: Path, index: int, seg: Segment, reader: Reader, encoder: Encoder
) -> tuple[float, float, str]:
    """(read CPU s, encode CPU s, the call's audio) of one segment."""
    t0 = time.process_time()
    pcm = reader(path, index, seg)
    t1 = time.process_time()
    audio = base64.b64encode(encoder(pcm)).decode("ascii")
    return t1 - t0, time.process_time() - t1, audio


def measure(
    path: Path, index: int, segments: list[Segment], rounds: int
) -> dict[str, list[tuple[float, float]]]:
    """Per path: the (read, encode) CPU of every segment in every round, paths taking turns."""
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in PATHS}
    for r in range(rounds):
        for k, seg in enumerate(segments):
            names = list(PATHS) if (r + k) % 2 == 0 else list(PATHS)[::-1]
            audio = {}
            for name in names:
                read_s, encode_s, audio[name] = one(path, index, seg, *PATHS[name])
                times[name].append((read_s, encode_s))
            if audio["old"] != audio["new"]:
                raise AssertionError(f"segment {seg.index} of {path.name}: the bytes differ")
    return times


def profile(path: Path, index: int, segments: list[Segment]) -> None:
    for name, (reader, encoder) in PATHS.items():
        prof = cProfile.Profile()
        prof.enable()
        for seg in segments:
            base64.b64encode(encoder(reader(path, index, seg)))
        prof.disable()
        print(f"\ncProfile, {name} path, {len(segments)} segments of {path.name}:")
        pstats.Stats(prof).sort_stats("tottime").print_stats(12)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=300.0, help="length of the recording")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="cProfile both paths on the MP4")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="vt-segread-") as tmp:
        sources, segments = recordings(Path(tmp), args.seconds)
        audio_s = sum(s.duration_s for s in segments)
        print(f"{len(segments)} planned segments, {audio_s / len(segments):.1f} s on average; "
              f"{args.rounds} rounds, paths taking turns; CPU ms per segment (median)")  # fmt: skip
        print("| source | path | read | encode (FLAC + base64) | read + encode | new ÷ old |")
        print("|---|---|---|---|---|---|")
        for label, path, index in sources:
            times = measure(path, index, segments, args.rounds)
            total = {n: statistics.median(r + e for r, e in t) for n, t in times.items()}
            for name, t in times.items():
                read = 1000 * statistics.median(r for r, _ in t)
                enc = 1000 * statistics.median(e for _, e in t)
                ratio = f"{total['new'] / total['old']:.2f}" if name == "new" else ""
                print(f"| {label} | {name} | {read:.1f} | {enc:.1f} | "
                      f"{1000 * total[name]:.1f} | {ratio} |", flush=True)  # fmt: skip
            if args.profile and path.suffix == ".mp4":
                profile(path, index, segments)


if __name__ == "__main__":
    main()
