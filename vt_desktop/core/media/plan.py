"""Cut the speech of an audio stream into segments of about 30 s, each one ASR call.

Cuts fall in the middle of pauses, never through a word: the longest pause near the target
length wins. Only speech that runs on past ``max_s`` without any pause is cut at its
quietest moment. Silences of ``drop_silence_s`` or more are left out of every segment, so a
file without speech gives an empty plan.

Planning streams the audio (see :mod:`._speech`), so memory does not grow with the file.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vt_desktop.core.media._speech import SpeechRun, find_speech
from vt_desktop.core.media.audio import PCM_RATE, Pcm, iter_pcm, read_pcm
from vt_desktop.core.media.envelope import EnvelopeBuilder, save_envelope

__all__ = [
    "Segment",
    "SegmentPlan",
    "cut_at_pauses",
    "plan_segments",
]

log = logging.getLogger(__name__)

_MIN_FALLBACK_SEGMENT_S = 1.0
_EDGE_PAD_S = 0.25  # extra margin where a segment starts or ends with the speech itself
_QUIET_FRAME_S = 0.02


@dataclass(frozen=True, slots=True)
class Segment:
    """One stretch of the source audio that is recognised in one call.

    Attributes:
        index: Position in the plan, from 0.
        start_s: Start in seconds from the start of the stream.
        end_s: End in seconds from the start of the stream.
    """

    index: int
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        """Length of the segment in seconds."""
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class SegmentPlan:
    """The segments of one audio stream, ordered and non-overlapping.

    Attributes:
        path: The media file.
        stream_index: The audio stream the plan is for.
        duration_s: Length of the decoded audio in seconds.
        speech_s: Total length of the speech the VAD found (with its padding).
        segments: The segments, in time order; empty when nobody speaks.
        speech: The runs of speech the VAD found (padded), in time order: where words can
            start. Recognisers place a word after a pause too early; the pipeline moves
            such a word to where the speech resumes.
    """

    path: Path
    stream_index: int
    duration_s: float
    speech_s: float
    segments: tuple[Segment, ...]
    speech: tuple[tuple[float, float], ...] = ()


def plan_segments(
    path: Path,
    stream_index: int,
    *,
    target_s: float = 30.0,
    max_s: float | None = None,
    drop_silence_s: float = 2.0,
    vad_window_s: float = 60.0,
    on_progress: Callable[[float], None] | None = None,
) -> SegmentPlan:
    """Find the speech in an audio stream and cut it into segments for recognition.

    Args:
        path: The media file (already accepted by ``probe``).
        stream_index: The container's index of the audio stream.
        target_s: The length to aim for; Whisper reads 30 s at a time.
        max_s: No segment is longer; defaults to ``4/3 * target_s``.
        drop_silence_s: Pauses at least this long end a segment and are left out (the
            same length faster-whisper's own VAD filter uses).
        vad_window_s: Seconds of audio analysed at once; bounds the memory used.
        on_progress: Called with the seconds of audio analysed so far, after each block;
            it may raise to abandon planning.

    Returns:
        The plan.

    Raises:
        ValueError: The lengths are inconsistent.
        IntakeError: The audio cannot be opened or decoded.
    """
    stream = SegmentStream(
        path, stream_index, target_s=target_s, max_s=max_s, drop_silence_s=drop_silence_s,
        vad_window_s=vad_window_s, on_progress=on_progress,
    )  # fmt: skip
    segments = tuple(stream)
    return stream.plan(segments)


class SegmentStream:
    """The segments of a plan as they are found, so recognition can start before the whole
    file has been analysed; after the last one, ``plan()`` gives the complete plan. With
    ``keep_s``, the last ``keep_s`` seconds of decoded audio stay at hand for ``pcm()``.
    With ``envelope_to``, the audio's envelope (the Review page's waveform) is written there
    once the whole stream has been decoded, from the same samples.

    Raises (while iterating):
        ValueError: The lengths are inconsistent.
        IntakeError: The audio cannot be opened or decoded.
    """

    def __init__(
        self,
        path: Path,
        stream_index: int,
        *,
        target_s: float = 30.0,
        max_s: float | None = None,
        drop_silence_s: float = 2.0,
        vad_window_s: float = 60.0,
        on_progress: Callable[[float], None] | None = None,
        keep_s: float = 0.0,
        envelope_to: Path | None = None,
    ) -> None:
        self.limit = max_s if max_s is not None else target_s * 4 / 3
        if not 0 < target_s <= self.limit:
            raise ValueError(f"need 0 < target_s <= max_s, got {target_s} and {self.limit}")
        if drop_silence_s <= 2 * _EDGE_PAD_S:
            raise ValueError(f"drop_silence_s must exceed {2 * _EDGE_PAD_S}s, got {drop_silence_s}")
        self.path, self.stream_index = path, stream_index
        self.target_s, self.drop_silence_s = target_s, drop_silence_s
        self.envelope_to = envelope_to
        self.decoded = _Counted(
            iter_pcm(path, stream_index, block_s=10.0), on_progress, round(keep_s * PCM_RATE),
            envelope=EnvelopeBuilder() if envelope_to is not None else None,
        )  # fmt: skip
        self.speech = _Summed(
            find_speech(self.decoded, window_s=vad_window_s, overlap_s=min(5.0, vad_window_s / 4))
        )

    def __iter__(self) -> Iterator[Segment]:
        cuts = cut_at_pauses(
            self.speech,
            target_s=self.target_s,
            max_s=self.limit,
            drop_silence_s=self.drop_silence_s,
            quietest_point=lambda lo, hi: quietest_point(self.path, self.stream_index, lo, hi),
        )
        for i, (start, end) in enumerate(cuts):
            yield Segment(i, start, end)
        self._save_envelope()

    def _save_envelope(self) -> None:
        """Write the envelope of the whole stream (a failure only costs the waveform)."""
        if self.envelope_to is None or self.decoded.envelope is None:
            return
        try:
            save_envelope(self.decoded.envelope.envelope(), self.envelope_to)
        except OSError as exc:
            log.warning("envelope of %s not written: %s", self.path, exc)

    def pcm(self, segment: Segment) -> Pcm | None:
        """The samples of a segment just taken from the stream, cut from the audio already
        decoded for the plan (no second decode), or None when they are no longer kept
        (``keep_s``: a segment that waited out a long silence); then ``read_pcm`` gives them.
        """
        start, end = round(segment.start_s * PCM_RATE), round(segment.end_s * PCM_RATE)
        return self.decoded.window(start, end) if end > start else None

    def plan(self, segments: tuple[Segment, ...]) -> SegmentPlan:
        """The whole plan, once every segment has been taken from the stream."""
        total = self.decoded.seconds
        clipped = tuple(Segment(s.index, s.start_s, min(s.end_s, total)) for s in segments)
        log.info(
            "planned %s: %d segments, %.1fs of speech in %.1fs",
            self.path, len(clipped), self.speech.total_s, total,
        )  # fmt: skip
        return SegmentPlan(
            self.path, self.stream_index, total, self.speech.total_s, clipped,
            tuple(self.speech.seen),
        )  # fmt: skip


def quietest_point(path: Path, stream_index: int, lo_s: float, hi_s: float) -> float:
    """The time in ``[lo_s, hi_s]`` with the least energy, at 20 ms resolution."""
    pcm = read_pcm(path, stream_index, lo_s, hi_s)
    frame = round(_QUIET_FRAME_S * PCM_RATE)
    frames = pcm.size // frame
    if frames == 0:
        return (lo_s + hi_s) / 2
    energy = np.square(pcm[: frames * frame].reshape(frames, frame)).mean(axis=1)
    return lo_s + (int(np.argmin(energy)) + 0.5) * _QUIET_FRAME_S


def cut_at_pauses(
    speech: Iterable[SpeechRun],
    *,
    target_s: float,
    max_s: float,
    drop_silence_s: float,
    quietest_point: Callable[[float, float], float],
) -> Iterator[tuple[float, float]]:
    """Turn sorted runs of speech into ``(start_s, end_s)`` segments; see the module doc.

    The rule for a segment that would run past ``target_s``: cut in the middle of the
    longest pause whose middle lies in the last third before the target; else of the longest
    one between the target and ``max_s``; else, if the speech runs past ``max_s``, of the
    longest one earlier in the segment; else at ``quietest_point(lo, hi)`` between two
    thirds of the target and ``max_s``.

    Where a segment starts or ends with the speech itself (not at a cut), it gets another
    0.25 s of margin, so soft onsets and trailing sounds the VAD missed stay inside.

    Args:
        speech: Non-overlapping runs of speech in time order (consumed lazily).
        target_s: Preferred segment length.
        max_s: Hard limit on a segment's length.
        drop_silence_s: Pauses this long end a segment and are left out.
        quietest_point: ``(lo_s, hi_s) -> time`` of the quietest moment, for forced cuts.
    """
    ahead: deque[tuple[float, float]] = deque()
    runs = iter(speech)
    start: float | None = None
    while _look_ahead(ahead, runs, start, max_s, drop_silence_s):
        start = max(0.0, ahead[0][0] - _EDGE_PAD_S) if start is None else start
        group, following = _group(ahead, start + max_s, drop_silence_s)
        cut = _choose_cut(start, group, following, target_s, max_s)
        if cut is None and group[-1][1] + _EDGE_PAD_S - start > max_s:
            cut = quietest_point(start + target_s * 2 / 3, start + max_s)
        if cut is None:
            yield start, group[-1][1] + _EDGE_PAD_S
            for _ in group:
                ahead.popleft()
            start = None
            continue
        yield start, cut
        while ahead and ahead[0][1] <= cut:
            ahead.popleft()
        if ahead and ahead[0][0] < cut:
            ahead[0] = (cut, ahead[0][1])
        start = cut


def _look_ahead(
    ahead: deque[tuple[float, float]],
    runs: Iterator[SpeechRun],
    start: float | None,
    max_s: float,
    drop: float,
) -> bool:
    """Pull runs until one starts past the segment's limit or after a long pause.

    Returns:
        False when no speech is left.
    """
    if not ahead:
        run = next(runs, None)
        if run is None:
            return False
        ahead.append((run.start_s, run.end_s))
    horizon = (ahead[0][0] if start is None else start) + max_s
    while ahead[-1][0] < horizon and not _has_long_pause(ahead, drop):
        run = next(runs, None)
        if run is None:
            break
        ahead.append((run.start_s, run.end_s))
    return True


def _has_long_pause(ahead: deque[tuple[float, float]], drop: float) -> bool:
    return len(ahead) > 1 and ahead[-1][0] - ahead[-2][1] >= drop


def _group(
    ahead: deque[tuple[float, float]], limit: float, drop: float
) -> tuple[list[tuple[float, float]], tuple[float, float] | None]:
    """The runs a segment may span, and the run just after them if only a short pause parts it."""
    group = [ahead[0]]
    for run in list(ahead)[1:]:
        if run[0] - group[-1][1] >= drop:
            return group, None
        if run[0] >= limit:
            return group, run
        group.append(run)
    return group, None


def _choose_cut(
    start: float,
    group: list[tuple[float, float]],
    following: tuple[float, float] | None,
    target_s: float,
    max_s: float,
) -> float | None:
    """Where to end the segment in a pause, or None to end it with its last run."""
    span = group[-1][1] + _EDGE_PAD_S - start
    pauses = list(zip((r[1] for r in group), (r[0] for r in group[1:]), strict=False))
    if following is not None:
        pauses.append((group[-1][1], following[0]))
    limit = start + max_s
    cuts = [((a + min(b, limit)) / 2, b - a) for a, b in pauses if a < limit]
    if span <= target_s:  # short enough: end at the next pause, or with the speech
        return (group[-1][1] + min(following[0], limit)) / 2 if following is not None else None
    bands = [
        (start + target_s * 2 / 3, start + target_s),
        (start + target_s, limit),
    ]
    if span > max_s or following is not None:
        bands.append((start + _MIN_FALLBACK_SEGMENT_S, start + target_s * 2 / 3))
    target = start + target_s
    for low, high in bands:
        inside = [(cut, length) for cut, length in cuts if low <= cut <= high]
        if inside:
            return max(inside, key=lambda c: (c[1], -abs(c[0] - target)))[0]
    return None


@dataclass(slots=True)
class _Counted:
    """PCM blocks passed through, counting the seconds and reporting progress; the last
    ``keep`` samples stay at hand, so a segment just found can be cut from them."""

    blocks: Iterator[Pcm]
    on_progress: Callable[[float], None] | None
    keep: int = 0
    samples: int = 0
    recent: deque[tuple[int, Pcm]] = field(default_factory=deque)
    envelope: EnvelopeBuilder | None = None

    @property
    def seconds(self) -> float:
        """Seconds of audio passed through so far."""
        return self.samples / PCM_RATE

    def __iter__(self) -> Iterator[Pcm]:
        for block in self.blocks:
            if self.envelope is not None:
                self.envelope.add(block)
            if self.keep:
                self.recent.append((self.samples, block))
                while self.recent and self.samples + block.size - self.recent[0][0] > self.keep:
                    self.recent.popleft()
            self.samples += block.size
            if self.on_progress is not None:
                self.on_progress(self.seconds)
            yield block

    def window(self, start: int, end: int) -> Pcm | None:
        """Samples ``[start, end)`` when they are all still at hand (a copy), else None."""
        if not self.recent or start < self.recent[0][0] or end > self.samples:
            return None
        parts = [
            block[max(0, start - at) : end - at]
            for at, block in self.recent
            if at < end and at + block.size > start
        ]
        return np.concatenate(parts) if parts else None


@dataclass(slots=True)
class _Summed:
    """Speech runs passed through, adding up their length."""

    runs: Iterator[SpeechRun]
    total_s: float = 0.0
    seen: list[tuple[float, float]] = field(default_factory=list)

    def __iter__(self) -> Iterator[SpeechRun]:
        for run in self.runs:
            self.total_s += run.end_s - run.start_s
            self.seen.append((run.start_s, run.end_s))
            yield run
