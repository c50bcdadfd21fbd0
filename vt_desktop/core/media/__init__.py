"""Media intake and the segment plan: everything between the user's file and the ASR calls.

``probe`` accepts or refuses a file (raising an :class:`IntakeError` subclass with a plain
reason), ``pick_audio_stream`` chooses the stream to translate, ``plan_segments`` finds the
speech and cuts it into ~30 s segments at pauses, and ``encode_segment`` packs one segment
into a small Ogg/Opus or FLAC file for an ``asr.transcribe`` call. Nothing here writes to
disk or touches the source file.
"""

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
