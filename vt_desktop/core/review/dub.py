"""Re-dubbing chosen lines, and the dub brought up to date on Export.

A line's spoken clip is stored like any call of the job (kind ``tts-<lang>``, keyed by the
cue and a digest of the call: text, slot, voice), so the dub of the cues as they stand is
rebuilt from the store: a line whose call is unchanged reuses its stored clip, and only a
changed line is spoken again. Export renders the track anew, then keeps the job's own
packets everywhere outside the changed lines (ducking ramps and a few frames included), so
the rest of the dub stays the same to the sample once the decoder settles (:mod:`.tracks`):
the ``.m4a``'s, and the Opus copy's that Matroska videos carry (kept from the videos before
Export rewrote them); the videos get the tracks again (other languages' as they were).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vt_desktop.core.dubbing import RATE, Clip, DubLine, Timeline, decode_clip, place, plan_lines
from vt_desktop.core.dubbing.mix import RAMP_S, render_track
from vt_desktop.core.errors import VtError
from vt_desktop.core.jobs.naming import dub_mux_track, dub_track, dubbed_video
from vt_desktop.core.jobs.store import call_id
from vt_desktop.core.languages import iso639_2
from vt_desktop.core.pipeline.dub import line_key, params_digest, synthesize_params
from vt_desktop.core.review.cues import ReviewCue
from vt_desktop.core.review.heard import audio_stream
from vt_desktop.core.review.retranslate import RetranslateResult
from vt_desktop.core.review.session import ReviewSession
from vt_desktop.core.review.tracks import dub_title, frame_times, splice_packets
from vt_desktop.core.subtitles import Cue
from vt_desktop.core.video.audio_tracks import AudioTrack, add_audio_tracks
from worker.protocol.errors import RpcError
from worker.protocol.tts import SYNTHESIZE, SynthesizeParams, SynthesizeResult
from worker.transport.client import RpcClient

__all__ = [
    "DUB_TIMEOUT_S",
    "SPLICE_MARGIN",
    "add_dub_tracks",
    "rebuild_dub",
    "redub",
    "splice_packets",
]

log = logging.getLogger(__name__)
DUB_TIMEOUT_S = 120.0
#: Samples kept around a changed line beyond its clip and ramps: an AAC frame's transform
#: spans two frames of 1024 samples, and decoding overlaps each with the one before (an
#: Opus frame, 960 samples, looks 312 ahead).
SPLICE_MARGIN = 3 * 1024


@dataclass(frozen=True)
class _Line:
    """One line to dub: its row, slot, call and the call's stored key (if stored)."""

    row: int
    line: DubLine
    params: SynthesizeParams
    stored: str | None

    @property
    def digest(self) -> str:
        return params_digest(self.params)


def _lines(session: ReviewSession, cues: Sequence[ReviewCue]) -> list[_Line]:
    """The lines of ``cues`` as the dub plans them (numbered by row), with their stored keys."""
    shown = [
        Cue(row + 1, c.start, c.end, c.lines, c.source, c.flags)
        for row, c in enumerate(cues)
        if "".join(c.lines).strip()
    ]
    end = session.duration_s if session.duration_s is not None else max(c.end for c in cues)
    planned, _skipped = plan_lines(shown, end)
    kind = f"tts-{session.lang}"
    by_digest = {k.split("-", 1)[-1]: k for k in session.store.stored_keys(session.record.id, kind)}
    result = []
    for line in planned:
        params = synthesize_params(session.record.spec, session.lang, line)
        result.append(_Line(line.cue - 1, line, params, by_digest.get(params_digest(params))))
    return result


def _clip(session: ReviewSession, item: _Line) -> Clip | None:
    if item.stored is None:
        return None
    stored = session.store.result(call_id(session.record.id, f"tts-{session.lang}", item.stored))
    try:
        audio = decode_clip(SynthesizeResult.model_validate(stored).audio)
    except ValueError:
        return None
    return place(item.line.start, audio, item.line.max_s)[0]


async def _speak(session: ReviewSession, rpc: RpcClient, item: _Line) -> _Line:
    """Speak one line through the ``tts`` workers and store the result like the job's own."""
    result = await rpc.call(
        SYNTHESIZE, item.params, timeout=DUB_TIMEOUT_S, job_id=session.record.id
    )
    key = line_key(item.line, item.params)
    session.store.save_result(
        call_id(session.record.id, f"tts-{session.lang}", key), result.model_dump(mode="json")
    )
    return _Line(item.row, item.line, item.params, key)


async def redub(
    session: ReviewSession, rpc: RpcClient | None, rows: list[int]
) -> RetranslateResult:
    """Speak the lines of ``rows`` again as they read now (only those whose call changed:
    a line already spoken with this text, slot and voice keeps its clip). Export puts them
    into the dub. Never raises for a failed call: the message says which lines failed."""
    wanted = sorted({r for r in rows if 0 <= r < len(session.cues)})
    if not session.record.spec.dub:
        return RetranslateResult([], "This job made no dub: there is nothing to re-dub.", False)
    if not wanted:
        return RetranslateResult([], "Select the lines to re-dub first.", False)
    if rpc is None:
        return RetranslateResult(
            [], "The workers are not running, so nothing can be spoken now.", False
        )
    items = {item.row: item for item in _lines(session, session.cues)}
    spoken: list[int] = []
    problems: list[str] = []
    already: list[str] = []
    for row in wanted:
        item = items.get(row)
        if item is None:
            problems.append(f"Cue {row + 1} is not dubbed (untranslated, blank or no room).")
            continue
        if item.stored is not None:
            already.append(f"Cue {row + 1} is already spoken as it reads now.")
            continue
        try:
            await _speak(session, rpc, item)
        except RpcError as exc:
            problems.append(f"Cue {row + 1} was not spoken: {exc.message}.")
            continue
        spoken.append(row)
    done = f"{len(spoken)} of {len(wanted)} line(s) spoken again; Export puts them in the dub."
    return RetranslateResult(spoken, " ".join([done, *already, *problems]), not problems)


def _spans(items: Sequence[tuple[_Line, Clip]]) -> set[tuple[int, str]]:
    return {(clip.start, item.digest) for item, clip in items}


async def _timeline(
    session: ReviewSession, cues: Sequence[ReviewCue], rpc: RpcClient | None, notes: list[str]
) -> list[tuple[_Line, Clip]]:
    placed = []
    for planned in _lines(session, cues):
        item = planned
        if item.stored is None and rpc is not None:
            try:
                item = await _speak(session, rpc, planned)
            except RpcError as exc:
                notes.append(f"Cue {item.row + 1} is silent in the dub: {exc.message}.")
        clip = _clip(session, item)
        if clip is not None:
            placed.append((item, clip))
        elif item.stored is None and rpc is None:
            notes.append(f"Cue {item.row + 1} is silent in the dub: the workers are not running.")
    return placed


def _windows(old: list[tuple[_Line, Clip]], new: list[tuple[_Line, Clip]]) -> list[tuple[int, int]]:
    """The sample ranges where the new dub differs from the old: the clips that changed, their
    ducking ramps and a few frames around them."""
    gone, came = _spans(old) - _spans(new), _spans(new) - _spans(old)
    pad = round(RAMP_S * RATE) + SPLICE_MARGIN
    return [
        (clip.start - pad, clip.end + pad)
        for item, clip in [*old, *new]
        if (clip.start, item.digest) in gone | came
    ]


async def rebuild_dub(
    session: ReviewSession,
    before: Sequence[ReviewCue],
    rpc: RpcClient | None,
    kept: dict[str, Path] | None = None,
) -> tuple[list[Path], list[str]]:
    """Bring the session language's dub up to date with its cues (see the module's text);
    ``before`` are the cues the dub was last made from, ``kept`` the Opus copies of the
    dubs the videos carried (the session language's is spliced in place). Returns the files
    rewritten, and notes on lines left silent. Nothing is written when no line changed."""
    spec = session.record.spec
    m4a = dub_track(spec, session.lang)
    if not spec.dub or not m4a.is_file():
        return [], []
    notes: list[str] = []
    old = await _timeline(session, before, None, [])
    new = await _timeline(session, session.cues, rpc, notes)
    windows = _windows(old, new)
    if not windows:
        return [], notes
    stream = await asyncio.to_thread(audio_stream, session)
    fresh = m4a.with_name(f".{m4a.stem}.{session.record.id}.new.m4a")
    opus = (kept or {}).get(session.lang)
    renders = [fresh] if opus is None else [fresh, fresh.with_suffix(".mka")]
    try:
        await asyncio.to_thread(
            render_track, spec.input, stream, Timeline([c for _, c in new]), renders,
            mode=spec.dub_mode, duration_s=session.duration_s or 0.0,
            language=iso639_2(session.lang),
        )  # fmt: skip
        await asyncio.to_thread(splice_packets, m4a, fresh, m4a, windows)
        if opus is not None:
            await asyncio.to_thread(_splice_opus, opus, renders[1], windows)
    finally:
        for path in renders:
            with contextlib.suppress(OSError):
                path.unlink()
    log.info(
        "review %s/%s: dub rebuilt, %d span(s) changed",
        session.record.id,
        session.lang,
        len(windows),
    )
    return [m4a], notes


def _splice_opus(kept: Path, fresh: Path, windows: Sequence[tuple[int, int]]) -> None:
    """The fresh render's Opus packets into ``kept`` inside ``windows``; the whole render
    when the kept copy's frames do not line up with it (it was made for another length)."""
    if frame_times(kept) == frame_times(fresh):
        splice_packets(kept, fresh, kept, windows)
    else:
        log.warning("the kept Opus dub %s does not match its new render: rendered whole", kept)
        os.replace(fresh, kept)


async def add_dub_tracks(
    session: ReviewSession, videos: Sequence[Path], kept: dict[str, Path] | None = None
) -> list[str]:
    """Put the job's dubbed tracks (every language's, as last exported) back into ``videos``
    after they were rewritten: the ``.m4a`` into MP4, into Matroska the Opus copy ``kept``
    from the videos (or, for a language none carried, one rendered from the stored clips).
    Returns notes on videos that could not take them."""
    spec = session.record.spec
    langs = [lang for lang in spec.targets if dub_track(spec, lang).is_file()]
    if not spec.dub or not langs or not videos:
        return []
    opus = {lang: path for lang, path in (kept or {}).items() if lang in langs and path.is_file()}
    rendered: list[Path] = []
    notes: list[str] = []
    try:
        if any(v.suffix == ".mkv" for v in videos):
            for lang in [lang for lang in langs if lang not in opus]:
                opus[lang] = dub_mux_track(spec, lang, session.record.id)
                rendered.append(opus[lang])
                await _render_opus(session, lang, opus[lang])
        for video in videos:
            tracks = [
                AudioTrack(
                    opus[lang] if video.suffix == ".mkv" else dub_track(spec, lang),
                    iso639_2(lang), title=dub_title(lang),
                )
                for lang in langs
            ]  # fmt: skip
            source = spec.input if video.name == dubbed_video(spec).name else video
            try:
                await asyncio.to_thread(add_audio_tracks, source, tracks, video)
            except (OSError, ValueError, VtError) as exc:
                notes.append(f"The dubbed tracks could not go back into {video.name}: {exc}")
    finally:
        for path in rendered:
            with contextlib.suppress(OSError):
                path.unlink()
    return notes


async def _render_opus(session: ReviewSession, lang: str, out: Path) -> None:
    """``lang``'s dub rendered whole from its stored clips, as Opus into ``out``."""
    spec = session.record.spec
    other = (
        session
        if lang == session.lang
        else ReviewSession.open(session.store, session.record.id, lang, draft=False)
    )
    clips = [c for _, c in await _timeline(other, other.cues, None, [])]
    stream = await asyncio.to_thread(audio_stream, session)
    await asyncio.to_thread(
        render_track, spec.input, stream, Timeline(clips), [out],
        mode=spec.dub_mode, duration_s=session.duration_s or 0.0, language=iso639_2(lang),
    )  # fmt: skip
