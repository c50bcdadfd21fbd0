"""Review of a real finished job: load its cues, edit and validate them, re-translate, export.

The job is run for real once per module (private broker, one real worker, tiny.en) on the
JFK clip, into Portuguese and German, the workers choosing the engines: Bergamot translates
Portuguese, and German goes to the one engine that offers it, a chat endpoint (the true
outside boundary, faked in its real shape) that refuses the key. That batch fails, so the
German cues come out untranslated and flagged, as a failed batch does in real use.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import pysubs2
import pytest

from tests.mt.chat_server import ChatServer, Reply
from tests.support.media import make_video
from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.review import (
    ReviewError,
    ReviewSession,
    describe_flag,
    export,
    format_time,
    parse_time,
    retranslate,
    reviewable_jobs,
)
from vt_desktop.core.runtime import AppRuntime
from vt_desktop.core.service_config import LlmConfig, write_llm
from vt_desktop.core.supervisor.broker import free_port

pytestmark = pytest.mark.slow


@dataclass
class FinishedJob:
    home: Path
    job_id: str
    video: Path
    out: Path

    def settings(self) -> AppSettings:
        return AppSettings(
            data_dir=self.home / "data", cache_dir=self.home / "cache", log_dir=self.home / "logs",
            config_dir=self.home / "config", workers=1, rabbitmq_port=free_port(),
        )  # fmt: skip

    def store(self) -> JobStore:
        return JobStore(self.home / "data" / "jobs.sqlite3")


async def run_job(job: FinishedJob) -> str:
    rt = AppRuntime(job.settings())
    await rt.start()
    try:
        assert rt.events is not None and rt.runner is not None
        await rt.events.wait_for_workers(1, "asr", timeout=120)
        spec = JobSpec(
            input=job.video, targets=["pt", "de"], out_dir=job.out, model="tiny.en",
            formats=["srt", "vtt", "ass", "mkv"],
        )  # fmt: skip
        job_id = rt.store.create_job(spec)
        await rt.runner.run(job_id)
        return job_id
    finally:
        await rt.stop()


@pytest.fixture(scope="module")
def refusing_endpoint() -> Iterator[ChatServer]:
    """A chat endpoint that answers every request with 401 (a refused key)."""
    chat = ChatServer()
    chat.script = lambda request, n: Reply(status=401)
    chat.start()
    yield chat
    chat.stop()


@pytest.fixture(scope="module")
def finished(
    tmp_path_factory: pytest.TempPathFactory, refusing_endpoint: ChatServer
) -> FinishedJob:
    home = tmp_path_factory.mktemp("review")
    job = FinishedJob(home, "", make_video(home / "jfk talk.mp4"), home / "out")
    write_llm(home / "config", LlmConfig(base_url=refusing_endpoint.base_url, model="refuses"))
    job.job_id = asyncio.run(run_job(job))
    return job


@pytest.fixture
def store(finished: FinishedJob) -> Iterator[JobStore]:
    opened = finished.store()
    yield opened
    opened.close()


def subtitle_texts(path: Path) -> list[str]:
    return [event.plaintext for event in pysubs2.load(str(path), encoding="utf-8")]


def mkv_subtitle_texts(path: Path) -> dict[str, str]:
    """Each subtitle track's language → all its packets' text, from the muxed file itself."""
    texts: dict[str, str] = {}
    with av.open(str(path)) as container:
        streams = [s for s in container.streams if s.type == "subtitle"]
        for packet in container.demux(streams):
            if packet.size:
                lang = packet.stream.metadata.get("language", "?")
                texts[lang] = texts.get(lang, "") + bytes(packet).decode("utf-8") + "\n"
    return texts


def test_times_are_parsed_and_written_back_plainly() -> None:
    assert format_time(64.5) == "01:04.500"
    assert format_time(3725.25) == "1:02:05.250"
    assert parse_time("01:04.500") == pytest.approx(64.5)
    assert parse_time("1:04,5") == pytest.approx(64.5)
    assert parse_time("0:01:04.5") == pytest.approx(64.5)
    assert parse_time(" 64.5 ") == pytest.approx(64.5)
    with pytest.raises(ReviewError, match="'soon' is not a time: write minutes:seconds"):
        parse_time("soon")


def test_a_finished_job_loads_its_cues_with_source_translation_times_and_flags(
    finished: FinishedJob, store: JobStore
) -> None:
    assert [r.id for r in reviewable_jobs(store)] == [finished.job_id]
    pt = ReviewSession.open(store, finished.job_id, "pt")
    assert pt.cues and not pt.from_file and not pt.dirty
    heard = " ".join(c.source for c in pt.cues).lower().replace(",", "")
    assert "ask not what your country can do for you" in heard
    assert "país" in " ".join(c.text for c in pt.cues).lower()
    starts = [c.start for c in pt.cues]
    assert starts == sorted(starts) and all(c.start < c.end for c in pt.cues)
    assert all(a.end <= b.start for a, b in zip(pt.cues, pt.cues[1:], strict=False))
    srt = subtitle_texts(finished.out / "jfk talk.pt.srt")
    assert srt == [c.text for c in pt.cues]
    de = ReviewSession.open(store, finished.job_id, "de")
    assert all("untranslated" in c.flags for c in de.cues), [c.flags for c in de.cues]
    shown = " ".join(c.text.replace("\n", " ") for c in de.cues)
    assert shown == " ".join(c.source for c in de.cues), "untranslated cues show the source"
    assert describe_flag("untranslated", de.rules) == "not translated: it shows the source text"
    with pytest.raises(ReviewError, match="has no fr subtitles \\(its languages: pt, de\\)"):
        ReviewSession.open(store, finished.job_id, "fr")
    with pytest.raises(ReviewError, match="There is no job nope"):
        ReviewSession.open(store, "nope", "pt")


def test_time_edits_are_validated_and_a_refused_edit_changes_nothing(
    finished: FinishedJob, store: JobStore
) -> None:
    session = ReviewSession.open(store, finished.job_id, "pt")
    assert len(session.cues) >= 2, "the clip makes at least two Portuguese cues"
    first, second = session.cues[0], session.cues[1]
    with pytest.raises(ReviewError, match=r"Cue 1: the start \(00:03.000\) must be before the end"):
        session.edit_times(0, 3.0, 2.0)
    with pytest.raises(ReviewError, match=f"Cue 2 would overlap cue 1, which ends at "
                       f"{format_time(first.end)}"):  # fmt: skip
        session.edit_time_text(1, "start", format_time(first.end - 0.5))
    with pytest.raises(ReviewError, match="Cue 1 would overlap cue 2, which starts at"):
        session.edit_times(0, first.start, second.start + 0.2)
    with pytest.raises(ReviewError, match="is past the end of the video"):
        session.edit_times(len(session.cues) - 1, session.cues[-1].start, 99.0)
    with pytest.raises(ReviewError, match="'4s' is not a time"):
        session.edit_time_text(0, "end", "4s")
    assert session.cues[:2] == [first, second] and not session.dirty
    short = session.edit_times(0, first.start, first.start + 0.4)
    assert short.start == first.start and short.end == pytest.approx(first.start + 0.4)
    assert {"too_short", "cps"} <= short.flags, "a 0.4 s cue is flagged again after the edit"
    assert session.dirty
    back = session.edit_times(0, first.start, first.end)
    assert "too_short" not in back.flags


def test_text_edits_are_rewrapped_by_the_rules_and_reflagged(
    finished: FinishedJob, store: JobStore
) -> None:
    session = ReviewSession.open(store, finished.job_id, "de")
    row = 0
    edited = session.edit_text(row, "Und so, meine amerikanischen Mitbürger, fragt nicht")
    assert "untranslated" not in edited.flags, "an edited line is a reviewed translation"
    assert all(len(line) <= session.rules.max_chars_per_line for line in edited.lines)
    assert " ".join(edited.lines) == "Und so, meine amerikanischen Mitbürger, fragt nicht"
    long = session.edit_text(row, " ".join(["Wort"] * 40))
    assert "too_many_lines" in long.flags and len(long.lines) > 2
    own = session.edit_text(row, "Erste Zeile\nzweite Zeile")
    assert own.lines == ("Erste Zeile", "zweite Zeile")
    with pytest.raises(ReviewError, match="Cue 1 needs text"):
        session.edit_text(row, "   ")
    assert session.cues[row] == own


async def test_export_rewrites_every_subtitle_output_and_reopening_shows_the_edits(
    finished: FinishedJob, store: JobStore
) -> None:
    session = ReviewSession.open(store, finished.job_id, "pt")
    original_de = subtitle_texts(finished.out / "jfk talk.de.srt")
    session.edit_text(0, "Portanto, meus caros americanos revisados")
    end = session.cues[0].end
    session.edit_times(0, session.cues[0].start, end - 0.1)
    result = await export(session)
    names = sorted(p.name for p in result.written)
    assert names == sorted(["jfk talk.pt.srt", "jfk talk.pt.vtt", "jfk talk.pt.ass",
                            "jfk talk.subtitled.mkv"])  # fmt: skip
    for fmt in ("srt", "vtt", "ass"):
        texts = subtitle_texts(finished.out / f"jfk talk.pt.{fmt}")
        assert texts[0] == "Portanto, meus caros americanos revisados", fmt
        assert texts[1:] == [c.text for c in session.cues[1:]], fmt
    srt = pysubs2.load(str(finished.out / "jfk talk.pt.srt"))
    assert srt[0].end == round((end - 0.1) * 1000)
    assert subtitle_texts(finished.out / "jfk talk.de.srt") == original_de, "other language kept"
    muxed = mkv_subtitle_texts(finished.out / "jfk talk.subtitled.mkv")
    assert "revisados" in muxed["por"] and "revisados" not in muxed["ger"]
    assert not session.dirty
    again = ReviewSession.open(store, finished.job_id, "pt")
    assert again.cues == session.cues


async def test_export_refuses_up_front_when_the_source_video_is_gone(
    finished: FinishedJob, store: JobStore
) -> None:
    session = ReviewSession.open(store, finished.job_id, "de")
    session.edit_text(0, "Nicht geschrieben")
    srt = finished.out / "jfk talk.de.srt"
    before = srt.read_bytes()
    moved = finished.video.with_suffix(".away")
    shutil.move(finished.video, moved)
    try:
        with pytest.raises(ReviewError, match=r"The source video .* is gone, so jfk talk.subtitled"
                           r"\.mkv cannot be rebuilt; nothing was written"):  # fmt: skip
            await export(session)
    finally:
        shutil.move(moved, finished.video)
    assert srt.read_bytes() == before
    assert session.dirty, "the edit is still there to export"


async def test_retranslate_through_the_mt_service_and_a_failure_keeps_the_old_text(
    finished: FinishedJob,
) -> None:
    rt = AppRuntime(finished.settings())
    await rt.start()
    try:
        assert rt.events is not None
        await rt.events.wait_for_workers(1, "mt", timeout=120)
        assert rt.store.get(finished.job_id).state is JobState.DONE
        pt = ReviewSession.open(rt.store, finished.job_id, "pt")
        pt.edit_text(0, "xyz")
        result = await retranslate(pt, rt.rpc, [0])
        assert (result.ok, result.changed, result.message) == (
            True,
            [0],
            "1 of 1 line(s) re-translated.",
        )
        assert "xyz" not in pt.cues[0].text and pt.cues[0].text.strip()
        assert "meus" in pt.cues[0].text.lower() or "americanos" in pt.cues[0].text.lower()
        de = ReviewSession.open(rt.store, finished.job_id, "de")
        old, drafted = list(de.cues), de.dirty  # earlier tests left edits in its draft
        failed = await retranslate(de, rt.rpc, [0, 1])
        assert not failed.ok and failed.changed == []
        assert failed.message.startswith("0 of 2 line(s) re-translated. Re-translation failed: ")
        assert "The old text is kept." in failed.message
        assert de.cues == old and de.dirty == drafted
        offline = await retranslate(pt, None, [0])
        assert offline.message == "The workers are not running, so nothing can be translated now."
        nothing = await retranslate(pt, rt.rpc, [])
        assert nothing.message == "Select the lines to re-translate first."
    finally:
        await rt.stop()
