"""Writing: cues laid out per language, subtitle files, soft-subtitle videos, burn-in."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from vt_desktop.core import languages
from vt_desktop.core.jobs.naming import burned_video, subtitle_file, subtitled_video
from vt_desktop.core.jobs.options import SUBTITLE_FORMATS, VIDEO_FORMATS
from vt_desktop.core.media import MediaInfo
from vt_desktop.core.pipeline.context import JobContext
from vt_desktop.core.pipeline.recognise import stored_gaps
from vt_desktop.core.subtitles import (
    SUSPECT,
    UNRECOGNISED,
    Cue,
    Sentence,
    layout_cues,
    rules_for,
    write_subtitles,
)
from vt_desktop.core.video import SubtitleTrack, burn_subtitles, mux_soft_subtitles

STAGE = "write"


def iso639_2(lang: str) -> str:
    """A three-letter track tag for a language code (``und`` when unknown); MKV and MP4 want
    ISO 639-2/B (``de`` → ``ger``, ``pt-BR`` → ``por``)."""
    return languages.iso639_2(lang)


def cues_for(ctx: JobContext, sentences: list[Sentence], lang: str) -> list[Cue]:
    """Lay out one language's cues by its rules (and the job's overrides from the settings)."""
    rules = rules_for(lang, **ctx.spec.rule_overrides())
    return layout_cues(sentences, rules, bilingual=ctx.spec.bilingual)


def cue_records(
    cues: list[Cue], bilingual: bool, gaps: Iterable[dict[str, Any]] = ()
) -> dict[str, Any]:
    """One language's cues as the JSON artifact ``cues-<lang>`` the Review page loads.

    Each segment left as a gap (``gaps``) is a cue of its own there, with no text and the
    flag ``unrecognised``, so the reviewer sees where speech is missing; subtitle files and
    videos never carry it (see ``UNRECOGNISED``).
    """
    records = [
        {"start": c.start, "end": c.end, "lines": list(c.lines), "source": c.source_text,
         "flags": sorted(c.flags), "words": [list(w) for w in c.source_words]}
        for c in cues
    ]  # fmt: skip
    records += [
        {"start": float(g["start"]), "end": float(g["end"]), "lines": [],
         "source": str(g.get("reason", "")), "flags": [UNRECOGNISED]}
        for g in gaps
    ]  # fmt: skip
    records.sort(key=lambda r: (r["start"], r["end"]))
    return {"bilingual": bilingual, "cues": records}


async def write_outputs(
    ctx: JobContext, info: MediaInfo, per_lang: dict[str, list[Sentence]]
) -> list[Path]:
    """Write every requested output; returns their paths (each write atomic; each path is
    added to ``ctx.written`` as soon as it exists, so a cancel can remove it)."""
    spec = ctx.spec
    spec.out_dir.mkdir(parents=True, exist_ok=True)
    written = ctx.written
    cue_sets: dict[str, list[Cue]] = {}
    steps = len(per_lang) + 2
    for i, (lang, sentences) in enumerate(per_lang.items()):
        cues = cue_sets[lang] = cues_for(ctx, sentences, lang)
        records = cue_records(cues, spec.bilingual, stored_gaps(ctx).values())
        ctx.store.put_artifact(ctx.job_id, f"cues-{lang}", records)
        flagged = sum(1 for c in cues if c.flags - {"untranslated", SUSPECT})
        if flagged:
            ctx.warn(
                STAGE,
                f"{lang}: {flagged} of {len(cues)} cues break a subtitle rule (flagged for review)",
            )
        for fmt in SUBTITLE_FORMATS:
            if fmt in spec.formats:
                path = subtitle_file(spec, lang, fmt)
                await _off_loop(ctx, path, partial(write_subtitles, cues, path))
        ctx.report(STAGE, (i + 1) / steps)
    if info.video is None:
        if {"mkv", "mp4"} & set(spec.formats) or spec.burn_in:
            ctx.warn(STAGE, "the input has no video stream: no video outputs were written")
        return written
    tracks = [SubtitleTrack(cues, iso639_2(lang), title=lang) for lang, cues in cue_sets.items()]
    for fmt in VIDEO_FORMATS:
        if fmt in spec.formats:
            out = subtitled_video(spec, fmt)
            await _off_loop(ctx, out, partial(mux_soft_subtitles, spec.input, tracks, out))
    ctx.report(STAGE, (len(per_lang) + 1) / steps)
    if spec.burn_in:
        written.append(await _burn(ctx, cue_sets))
    ctx.report(STAGE, 1.0)
    return written


async def _off_loop(ctx: JobContext, path: Path, write: Callable[[], Path]) -> Path:
    """Run one blocking write (a remux takes 100 ms and more) in a thread, so the window's
    event loop never waits on it. The path is listed in ``ctx.written`` first, and a cancel
    lets the write finish before it goes on, so the cancel removes the finished file."""
    ctx.written.append(path)
    work = asyncio.ensure_future(asyncio.to_thread(write))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await work
        raise


async def _burn(ctx: JobContext, cue_sets: dict[str, list[Cue]]) -> Path:
    spec = ctx.spec
    lang = spec.targets[0]
    ass = subtitle_file(spec, lang, "ass")
    made_ass = not ass.exists()
    if made_ass:
        write_subtitles(cue_sets[lang], ass)
    out = burned_video(spec, lang)
    try:
        await burn_subtitles(
            spec.input, ass, out, progress=lambda f: ctx.report(STAGE, 0.8 + 0.2 * f, "burning in")
        )
    finally:
        if made_ass and "ass" not in spec.formats:
            with contextlib.suppress(OSError):
                ass.unlink()
    return out
