"""Speech recognition with faster-whisper: device choice, decoding, batching.

``whisper`` loads models and transcribes one segment; ``batched_decode`` runs several through
one model call (``decode_hooks``: what it records inside the model meanwhile);
``micro_batcher`` gathers the calls that wait into such batches; ``loaded_model`` is what the
two decodes share.
"""

from worker.engines.asr.audio import MAX_SEGMENT_S, SAMPLE_RATE, decode_segment
from worker.engines.asr.device import DeviceChoice, choose_device, explain_cuda_failure
from worker.engines.asr.loaded_model import LoadedWhisper
from worker.engines.asr.micro_batcher import MicroBatcher
from worker.engines.asr.types import (
    LanguageGuess,
    SpeechSegment,
    TranscribeRequest,
    Transcript,
    WordTiming,
)
from worker.engines.asr.whisper import WhisperEngine

__all__ = [
    "MAX_SEGMENT_S",
    "SAMPLE_RATE",
    "DeviceChoice",
    "LanguageGuess",
    "LoadedWhisper",
    "MicroBatcher",
    "SpeechSegment",
    "TranscribeRequest",
    "Transcript",
    "WhisperEngine",
    "WordTiming",
    "choose_device",
    "decode_segment",
    "explain_cuda_failure",
]
