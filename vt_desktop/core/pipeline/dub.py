"""The dub stage: a translated voice track per target language, in sync with the picture.

Each cue of a language becomes one ``tts.synthesize`` call (stored like every call, so a
resumed job does not speak a line twice); the worker fits the line to its slot; here it is
placed at its own cue start, cut with a fade if it still runs long (and flagged), mixed over
the original (ducked) or alone, written as a standalone ``.m4a`` and added as a tagged audio
track to the videos this job wrote (or to a new ``.dubbed.mkv`` when it wrote none).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from pathlib import Path

from vt_desktop.core.dubbing import (
    Clip,
    DubLine,
    Timeline,
    decode_clip,
    place,
    plan_lines,
    render_track,
    voice_for,
)
from vt_desktop.core.jobs.model import JobSpec
from vt_desktop.core.jobs.naming import dub_mux_track, dub_track, dubbed_video
from vt_desktop.core.media import MediaInfo
from vt_desktop.core.pipeline.context import JobContext, bounded_gather
from vt_desktop.core.pipeline.write import iso639_2
from vt_desktop.core.subtitles import Sentence, layout_cues, rules_for
from vt_desktop.core.video import MediaError
from vt_desktop.core.video.audio_tracks import AudioTrack, add_audio_tracks
from worker.protocol.errors import BrokerError, Cancelled, NoWorker, RpcError
from worker.protocol.tts import SYNTHESIZE, SynthesizeParams

log = logging.getLogger(__name__)
STAGE = "dub"
#: Share of the stage spent speaking lines; the rest is mixing and muxing.
SPEAK_SHARE = 0.8


def params_digest(params: SynthesizeParams) -> str:
    """A short digest of a line's call: it changes when the text, slot or voice changes."""
    digest = hashlib.sha1(params.model_dump_json().encode(), usedforsecurity=False)
    return digest.hexdigest()[:10]


def line_key(line: DubLine, params: SynthesizeParams) -> str:
    """A stored-call key (kind ``tts-<lang>``) that changes when the line or its voice
    changes (Review finds a line's stored clip by the digest after the dash)."""
    return f"{line.cue}-{params_digest(params)}"


def synthesize_params(spec: JobSpec, lang: str, line: DubLine) -> SynthesizeParams:
    """The ``tts.synthesize`` call that speaks ``line`` in ``lang`` with the job's voice."""
    choice = voice_for(spec.dub_voices, lang, line.speaker)
    return SynthesizeParams(
        text=line.text[:400], language=lang, engine=choice.engine, voice=choice.voice,
        target_s=min(60.0, line.target_s), max_s=min(60.0, line.max_s),
    )  # fmt: skip


class _Speaker:
    """Speaks one language's lines through the ``tts`` workers."""

    def __init__(self, ctx: JobContext, lang: str, lines: list[DubLine], total: int) -> None:
        self.ctx, self.lang, self.lines, self.total = ctx, lang, lines, max(1, total)
        self.clips: list[Clip] = []
        self.failures: list[tuple[DubLine, str]] = []
        self.flagged: list[int] = []

    async def one(self, line: DubLine) -> None:
        params = synthesize_params(self.ctx.spec, self.lang, line)
        try:
            result = await self.ctx.call(
                SYNTHESIZE, params, f"tts-{self.lang}", line_key(line, params)
            )
            clip, cut = place(line.start, decode_clip(result.audio), line.max_s)
        except (NoWorker, BrokerError, Cancelled):
            raise
        except (RpcError, ValueError) as exc:
            self.failures.append((line, exc.message if isinstance(exc, RpcError) else str(exc)))
        else:
            self.clips.append(clip)
            if cut or not result.fitted:
                self.flagged.append(line.cue)
        done = len(self.clips) + len(self.failures)
        self.ctx.report(
            STAGE, SPEAK_SHARE * done / self.total, f"{self.lang}: spoke {done} line(s)"
        )

    async def run(self) -> Timeline:
        await bounded_gather(
            self.lines, self.one, lambda: self.ctx.in_flight("tts"), self.ctx.events.heard
        )
        return Timeline(self.clips)

    def warn(self) -> None:
        """Tell the user which lines were cut or not spoken, and why."""
        ctx, lang = self.ctx, self.lang
        if self.failures and not self.clips:
            ctx.warn(STAGE, f"{lang}: no dub: {self.failures[0][1]}")
        elif self.failures:
            cues = ", ".join(str(line.cue) for line, _ in self.failures)
            ctx.warn(STAGE, f"{lang}: cue(s) {cues} not dubbed: {self.failures[0][1]}")
        if self.flagged:
            cues = ", ".join(str(c) for c in sorted(self.flagged))
            ctx.warn(
                STAGE,
                f"{lang}: cue(s) {cues} too long to speak in their slot even 1.3× faster: "
                f"cut at the next cue (shorten the translation to keep every word)",
            )


async def dub_outputs(
    ctx: JobContext, info: MediaInfo, stream: int, per_lang: dict[str, list[Sentence]]
) -> list[Path]:
    """Speak, mix and write every language's dub; returns the files written or updated.

    Raises:
        NoWorker: no worker serves ``tts``.
        IntakeError: the original audio cannot be decoded for ducking.
    """
    spec = ctx.spec
    planned: dict[str, list[DubLine]] = {}
    for lang, sentences in per_lang.items():
        cues = layout_cues(sentences, rules_for(lang, **spec.rule_overrides()), bilingual=False)
        planned[lang], skipped = plan_lines(cues, info.duration_s)
        if skipped:
            ctx.warn(STAGE, f"{lang}: {len(skipped)} cue(s) not dubbed (untranslated or no room)")
    total = sum(len(lines) for lines in planned.values())
    speakers = [_Speaker(ctx, lang, lines, total) for lang, lines in planned.items()]
    tracks: list[tuple[str, Path, Path]] = []
    written: list[Path] = []
    for speaker in speakers:
        timeline = await speaker.run()
        speaker.warn()
        if not speaker.clips:
            continue
        m4a, mka = _track_paths(ctx, speaker.lang)
        ctx.written.append(m4a)
        await asyncio.to_thread(
            render_track, info.path, stream, timeline, [m4a, mka],
            mode=spec.dub_mode, duration_s=info.duration_s, language=iso639_2(speaker.lang),
        )  # fmt: skip
        written.append(m4a)
        tracks.append((speaker.lang, m4a, mka))
    try:
        written += await _mux(ctx, info, tracks)
    finally:
        for _lang, _m4a, mka in tracks:
            with contextlib.suppress(OSError):
                mka.unlink()
    ctx.report(STAGE, 1.0, f"dubbed {len(tracks)} language(s)")
    return written


def _track_paths(ctx: JobContext, lang: str) -> tuple[Path, Path]:
    return dub_track(ctx.spec, lang), dub_mux_track(ctx.spec, lang, ctx.job_id)


async def _mux(
    ctx: JobContext, info: MediaInfo, tracks: list[tuple[str, Path, Path]]
) -> list[Path]:
    """Add the tracks to the videos this job wrote, or to a new ``.dubbed.mkv``."""
    if not tracks or info.video is None:
        return []
    videos = [p for p in ctx.written if p.suffix in (".mkv", ".mp4") and p != ctx.spec.input]
    fresh = not videos  # no video written: a new one from the input
    if fresh:
        videos = [dubbed_video(ctx.spec)]
    for video in videos:
        matroska = video.suffix == ".mkv"
        audio = [
            AudioTrack(mka if matroska else m4a, iso639_2(lang), title=f"{lang} (dub)")
            for lang, m4a, mka in tracks
        ]
        source = ctx.spec.input if fresh else video
        try:
            await asyncio.to_thread(add_audio_tracks, source, audio, video)
        except MediaError as exc:
            ctx.warn(STAGE, f"the dubbed track could not go into {video.name}: {exc}")
            continue
        if video not in ctx.written:
            ctx.written.append(video)
        ctx.report(STAGE, SPEAK_SHARE + (1 - SPEAK_SHARE) * (videos.index(video) + 1) / len(videos))
    return videos
