"""A re-dubbed line changes only itself in the MKV's Opus dub track too (issue 20).

A finished dubbed job on the JFK clip (Portuguese and Spanish, three lines each, the MKV
made by a first Export) has its 4.0-5.5 s Portuguese line edited, spoken again and exported.
Opus carries encoder state from frame to frame, so a whole re-encode (what Export did before)
differs from the line to the end of the track; Export now keeps the old track's packets
outside the changed window and takes a whole new render's inside it. Measured: packets that
differ, when, and the largest sample difference outside the window (the decoder settles
within :data:`SETTLE_S` after it); every other track of the MKV is copied unchanged.
"""

from __future__ import annotations

import asyncio
import base64
import io
import shutil
import zlib
from pathlib import Path
from typing import Any, cast

import av
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from tests.support.media import make_video
from vt_desktop.core.dubbing import RATE, Clip, Timeline, decode_clip, place, render_track
from vt_desktop.core.dubbing.mix import RAMP_S
from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.jobs.naming import dub_track, subtitle_file, subtitled_video
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.review import ReviewSession, export, redub
from vt_desktop.core.review.dub import SPLICE_MARGIN, _splice_opus
from worker.protocol.tts import SynthesizeParams, SynthesizeResult
from worker.transport.client import RpcClient

#: How long after a swapped window the Opus decoder may still differ: measured 0.36-0.43 s
#: (lines 1-3, longer and shorter), and under 2e-7 (float rounding) after 0.3 s.
SETTLE_S = 0.5
ROUNDING = 1e-6
DURATION_S = 11.0
SLOTS = ((1.0, 2.5), (4.0, 5.5), (7.0, 8.5))
TEXTS = {
    "pt": ("Primeira frase.", "Segunda frase.", "Terceira frase."),
    "es": ("Primera frase.", "Segunda frase.", "Tercera frase."),
}
ROW = 1


class Speaker:
    """Stands in for the ``tts`` workers: a voiced tone per text, 0.1 s a letter (at most
    its slot)."""

    def __init__(self) -> None:
        self.audio: dict[str, str] = {}

    async def call(self, method: Any, params: BaseModel, **_: Any) -> SynthesizeResult:
        assert isinstance(params, SynthesizeParams)
        seconds = min(params.target_s or 1.0, 0.1 * len(params.text))
        rng = np.random.default_rng(zlib.crc32(params.text.encode()))
        t = np.arange(round(seconds * RATE)) / RATE
        pitch = 200 + zlib.crc32(params.text.encode()) % 600
        tone = 0.1 * np.sin(2 * np.pi * pitch * t) * (1 + 0.3 * rng.standard_normal(t.size))
        buffer = io.BytesIO()
        with av.open(buffer, "w", format="wav") as out:
            stream = out.add_stream("pcm_s16le", rate=RATE, layout="mono")
            frame = av.AudioFrame.from_ndarray(
                (tone * 32767).astype(np.int16).reshape(1, -1), format="s16", layout="mono"
            )
            frame.sample_rate, frame.pts = RATE, 0
            for packet in [*stream.encode(frame), *stream.encode(None)]:
                out.mux(packet)
        self.audio[params.text] = base64.b64encode(buffer.getvalue()).decode("ascii")
        return SynthesizeResult(
            audio=self.audio[params.text], sample_rate=RATE, duration_s=seconds,
            natural_s=seconds, engine="tone", voice="tone",
        )  # fmt: skip


Packets = list[tuple[int, bytes]]
Track = tuple[str, dict[str, str], int, str, Packets]


def tracks(video: Path) -> list[Track]:
    """Each stream of ``video``: type, tags, disposition, codec and its packets."""
    with av.open(str(video)) as container:
        streams: list[Track] = [
            (s.type, dict(s.metadata), int(s.disposition), s.codec_context.name, [])
            for s in container.streams
        ]
        for packet in container.demux():
            if packet.size and packet.pts is not None:
                streams[packet.stream.index][4].append((packet.pts, bytes(packet)))
    return streams


def samples(path: Path, index: int) -> npt.NDArray[np.float32]:
    """The decoded audio of stream ``index`` of ``path``."""
    with av.open(str(path)) as container:
        position = [s.index for s in container.streams.audio].index(index)
        frames = container.decode(audio=position)
        return np.concatenate([f.to_ndarray().reshape(-1) for f in frames]).astype(np.float32)


def dub_index(video: Path, title: str) -> int:
    with av.open(str(video)) as container:
        return next(s.index for s in container.streams.audio if s.metadata.get("title") == title)


def finished_job(tmp_path: Path, speaker: Speaker) -> tuple[JobStore, str]:
    """A done, dubbed job whose MKV (soft subtitles, both dubs) came from a first Export."""
    store = JobStore(tmp_path / "jobs.sqlite3")
    video = make_video(tmp_path / "talk.mp4", size=(160, 90))
    spec = JobSpec(
        input=video, targets=["pt", "es"], out_dir=tmp_path / "out", formats=["srt", "mkv"],
        dub=True, audio_stream=1,
    )  # fmt: skip
    spec.out_dir.mkdir()
    job = store.create_job(spec)
    store.put_artifact(job, "plan", {"duration_s": DURATION_S})
    for lang, texts in TEXTS.items():
        cues = [
            {"start": a, "end": b, "lines": [text], "source": f"Line {i}."}
            for i, ((a, b), text) in enumerate(zip(SLOTS, texts, strict=True))
        ]
        store.put_artifact(job, f"cues-{lang}", {"bilingual": False, "cues": cues})
    store.update(job, state=JobState.DONE)
    rpc = cast(RpcClient, speaker)
    for lang, texts in TEXTS.items():
        session = ReviewSession.open(store, job, lang)
        assert asyncio.run(redub(session, rpc, list(range(len(texts))))).ok
        clips = [clip(speaker, text, start) for (start, _), text in zip(SLOTS, texts, strict=True)]
        render_track(video, 1, Timeline(clips), [dub_track(spec, lang)], duration_s=DURATION_S)
    outputs = [subtitle_file(spec, "pt", "srt"), subtitled_video(spec, "mkv")]
    store.update(job, outputs=[str(p) for p in outputs])
    asyncio.run(export(ReviewSession.open(store, job, "pt")))
    return store, job


def clip(speaker: Speaker, text: str, start: float) -> Clip:
    return place(start, decode_clip(speaker.audio[text]), 10.0)[0]


def test_a_redubbed_line_changes_only_its_window_of_the_mkvs_opus_dub(tmp_path: Path) -> None:
    speaker = Speaker()
    store, job = finished_job(tmp_path, speaker)
    spec = store.get(job).spec
    mkv = subtitled_video(spec, "mkv")
    old = tmp_path / "old.mkv"
    shutil.copy(mkv, old)

    session = ReviewSession.open(store, job, "pt")
    new_text = "Já mudou."
    session.edit_text(ROW, new_text)
    assert asyncio.run(redub(session, cast(RpcClient, speaker), [ROW])).ok
    result = asyncio.run(export(session))
    assert mkv in result.written
    assert not list(spec.out_dir.glob(".*")), "no hidden track left behind"

    before, after = tracks(old), tracks(mkv)
    assert [t[:4] for t in before] == [t[:4] for t in after], "same tracks, tags, dispositions"
    dub = dub_index(mkv, "pt (dub)")
    assert dub == dub_index(old, "pt (dub)")
    for index, (kind, tags, _, _, packets) in enumerate(before):
        if index != dub and tags.get("language") != "por":
            assert packets == after[index][4], f"{kind} track {index} ({tags}) copied unchanged"

    # The changed line's window (its old and new clip, ramps and margin), as Review's.
    start = SLOTS[ROW][0]
    was, now = clip(speaker, TEXTS["pt"][ROW], start), clip(speaker, new_text, start)
    pad = round(RAMP_S * RATE) + SPLICE_MARGIN
    lo, hi = (was.start - pad) / RATE, (max(was.end, now.end) + pad) / RATE
    whole = tmp_path / "whole.mka"  # the new dub rendered whole: what Export muxed before
    texts = list(TEXTS["pt"])
    texts[ROW] = new_text
    clips = [clip(speaker, text, s) for (s, _), text in zip(SLOTS, texts, strict=True)]
    render_track(spec.input, 1, Timeline(clips), [whole], duration_s=DURATION_S)
    fresh = dict(tracks(whole)[0][4])

    report = {}
    old_packets, new_packets = before[dub][4], after[dub][4]
    assert [p for p, _ in old_packets] == [p for p, _ in new_packets]
    a, b, w = samples(old, dub), samples(mkv, dub), samples(whole, 0)
    assert a.size == b.size == w.size
    for name, packets, decoded in (("before", list(fresh.items()), w), ("after", new_packets, b)):
        differ = [pts for (pts, data), (_, was) in zip(packets, old_packets, strict=True)
                  if data != was]  # fmt: skip
        changed = np.nonzero(a != decoded)[0] / RATE
        gap = np.abs(a - decoded)
        report[name] = (len(differ), len(old_packets), differ[0] / 1000, differ[-1] / 1000,
                        changed[0], changed[-1], float(gap[: round(lo * RATE)].max()),
                        float(gap[round((hi + 0.3) * RATE) :].max()),
                        float(gap[round((hi + SETTLE_S) * RATE) :].max()))  # fmt: skip
        print(
            "{}: {}/{} packets differ, {:.3f}-{:.3f} s; samples differ {:.3f}-{:.3f} s "
            "(window {:.3f}-{:.3f} s); max |diff| before the window {:.2g}, from 0.3 s after "
            "it {:.2g}, from {} s after it {:.2g}".format(
                name, *report[name][:6], lo, hi, report[name][6], report[name][7], SETTLE_S,
                report[name][8],
            )
        )  # fmt: skip
    assert report["before"][3] > hi + 1.0, "a whole re-encode changes the track past the line"
    count, _, first, last, since, until, early, settling, later = report["after"]
    assert count > 0 and lo <= first and last <= hi, "packets swapped only inside the window"
    assert lo <= since and until <= hi + SETTLE_S, "samples differ only in window + settle"
    assert early == later == 0.0 and settling < ROUNDING
    inside = [(pts, data) for pts, data in new_packets if lo <= pts / 1000 <= hi]
    assert inside == [(pts, fresh[pts]) for pts, _ in inside], "the window is the new render's"
    span = slice(round(lo * RATE), round(hi * RATE))
    assert np.array_equal(b[span], w[span]), "decoded as the whole new render inside it"
    outside = np.ones(a.size, dtype=bool)
    outside[round(lo * RATE) : round((hi + SETTLE_S) * RATE)] = False
    assert np.array_equal(a[outside], b[outside])
    store.close()


def test_a_kept_opus_dub_that_does_not_line_up_gives_way_to_the_whole_render(
    tmp_path: Path,
) -> None:
    video = make_video(tmp_path / "talk.mp4", size=(160, 90))
    kept, fresh = tmp_path / "kept.mka", tmp_path / "fresh.mka"
    render_track(video, 1, Timeline([]), [kept], duration_s=DURATION_S + 2)
    render_track(video, 1, Timeline([]), [fresh], duration_s=DURATION_S)
    expected = tracks(fresh)[0][4]
    _splice_opus(kept, fresh, [(RATE, 2 * RATE)])
    assert tracks(kept)[0][4] == expected
