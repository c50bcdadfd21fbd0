"""Media intake and the segment plan: everything between the user's file and the ASR calls.

``probe`` accepts or refuses a file (raising an :class:`IntakeError` subclass with a plain
reason), ``pick_audio_stream`` chooses the stream to translate, ``plan_segments`` finds the
speech and cuts it into ~30 s segments at pauses, and ``encode_segment`` packs one segment
into a small Ogg/Opus or FLAC file for an ``asr.transcribe`` call. Nothing here writes to
disk or touches the source file.

The names load on first use (PEP 562), so that importing a light submodule (``errors``)
does not pull in numpy, PyAV and faster-whisper's VAD: the window imports it before its
first paint.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vt_desktop.core.media.audio import PCM_RATE, iter_pcm, read_pcm
    from vt_desktop.core.media.encode import (
        OPUS_BIT_RATE,
        SegmentCodec,
        decode_segment_bytes,
        encode_pcm,
        encode_segment,
    )
    from vt_desktop.core.media.errors import (
        AudioUndecodableError,
        CorruptMediaError,
        EmptyMediaError,
        IntakeError,
        IsADirectoryMediaError,
        MediaNotFoundError,
        MediaTooLargeError,
        NoAudioStreamError,
        NoSuchAudioStreamError,
        NotARegularFileError,
        NotMediaError,
        SymlinkLoopError,
        UnreadableMediaError,
        ZeroDurationError,
    )
    from vt_desktop.core.media.intake import (
        AudioStream,
        MediaInfo,
        VideoInfo,
        pick_audio_stream,
        probe,
    )
    from vt_desktop.core.media.plan import Segment, SegmentPlan, plan_segments

__all__ = [
    "OPUS_BIT_RATE",
    "PCM_RATE",
    "AudioStream",
    "AudioUndecodableError",
    "CorruptMediaError",
    "EmptyMediaError",
    "IntakeError",
    "IsADirectoryMediaError",
    "MediaInfo",
    "MediaNotFoundError",
    "MediaTooLargeError",
    "NoAudioStreamError",
    "NoSuchAudioStreamError",
    "NotARegularFileError",
    "NotMediaError",
    "Segment",
    "SegmentCodec",
    "SegmentPlan",
    "SymlinkLoopError",
    "UnreadableMediaError",
    "VideoInfo",
    "ZeroDurationError",
    "decode_segment_bytes",
    "encode_pcm",
    "encode_segment",
    "iter_pcm",
    "pick_audio_stream",
    "plan_segments",
    "probe",
    "read_pcm",
]

#: Each name's submodule.
_HOME = {
    "AudioStream": "intake",
    "AudioUndecodableError": "errors",
    "CorruptMediaError": "errors",
    "EmptyMediaError": "errors",
    "IntakeError": "errors",
    "IsADirectoryMediaError": "errors",
    "MediaInfo": "intake",
    "MediaNotFoundError": "errors",
    "MediaTooLargeError": "errors",
    "NoAudioStreamError": "errors",
    "NoSuchAudioStreamError": "errors",
    "NotARegularFileError": "errors",
    "NotMediaError": "errors",
    "OPUS_BIT_RATE": "encode",
    "PCM_RATE": "audio",
    "Segment": "plan",
    "SegmentCodec": "encode",
    "SegmentPlan": "plan",
    "SymlinkLoopError": "errors",
    "UnreadableMediaError": "errors",
    "VideoInfo": "intake",
    "ZeroDurationError": "errors",
    "decode_segment_bytes": "encode",
    "encode_pcm": "encode",
    "encode_segment": "encode",
    "iter_pcm": "audio",
    "pick_audio_stream": "intake",
    "plan_segments": "plan",
    "probe": "intake",
    "read_pcm": "audio",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
