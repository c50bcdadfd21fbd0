"""Splicing a re-dubbed line into a dub track: the rest decodes the same to the sample.

Two renders of the same dub (the JFK clip ducked under three voiced clips) differ in one clip;
a whole re-encode differs well past it (the AAC encoder carries state from frame to frame),
while the splice keeps the first render's packets outside the changed clip.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from tests.support.media import make_video
from vt_desktop.core.dubbing import RATE, Clip, Timeline
from vt_desktop.core.dubbing.mix import render_track
from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.review import ReviewSession, redub
from vt_desktop.core.review.dub import SPLICE_MARGIN, splice_packets


def voiced(start_s: float, seconds: float, pitch: float, seed: int) -> Clip:
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE)) / RATE
    noise = 1 + 0.3 * rng.standard_normal(t.size)
    return Clip(
        round(start_s * RATE), (0.1 * np.sin(2 * np.pi * pitch * t) * noise).astype(np.float32)
    )


def samples(path: Path) -> npt.NDArray[np.float32]:
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])


def test_a_spliced_line_leaves_every_other_sample_of_the_track_as_it_was(tmp_path: Path) -> None:
    video = make_video(tmp_path / "talk.mp4", size=(160, 90))
    with av.open(str(video)) as container:
        stream = container.streams.audio[0].index
    first, last = voiced(1.0, 1.5, 300, 1), voiced(7.0, 1.5, 500, 3)
    old, new = voiced(4.0, 1.5, 400, 2), voiced(4.0, 0.8, 800, 4)
    tracks = {}
    for name, middle in (("old", old), ("new", new)):
        tracks[name] = tmp_path / f"{name}.m4a"
        render_track(video, stream, Timeline([first, middle, last]), [tracks[name]], duration_s=11)
    spliced = tmp_path / "spliced.m4a"
    pad = round(0.08 * RATE) + SPLICE_MARGIN
    splice_packets(tracks["old"], tracks["new"], spliced, [(old.start - pad, old.end + pad)])

    before, after, whole = samples(tracks["old"]), samples(spliced), samples(tracks["new"])
    assert before.size == after.size == whole.size
    changed = np.nonzero(before != after)[0]
    assert changed.size, "the line was swapped in"
    assert old.start - 2 * pad <= changed[0] and changed[-1] <= old.end + 2 * pad
    assert np.array_equal(
        after[old.start : old.end - RATE // 2], whole[old.start : old.end - RATE // 2]
    )
    reencoded = np.nonzero(before != whole)[0]
    assert reencoded[-1] > last.start, "a whole re-encode changes the later lines too"


def test_redub_says_why_it_sends_nothing(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.sqlite3")
    spec = JobSpec(input=tmp_path / "a.mp4", targets=["pt"], out_dir=tmp_path)
    job = store.create_job(spec)
    cues = [{"start": 1.0, "end": 3.0, "lines": ["Bom dia."], "source": "Good morning."}]
    store.put_artifact(job, "cues-pt", {"bilingual": False, "cues": cues})
    store.update(job, state=JobState.DONE)
    session = ReviewSession.open(store, job, "pt")
    undubbed = asyncio.run(redub(session, None, [0]))
    assert (undubbed.ok, undubbed.message) == (
        False,
        "This job made no dub: there is nothing to re-dub.",
    )
    store.close()
