"""The Whisper engine: faster-whisper models loaded once per process, one segment per call.

Models load lazily on first use and stay in memory; loading is serialised so two calls never
load the same model twice. Several waiting segments may run through one batched model call
(``transcribe_batch``); the results equal those of transcribing each segment alone.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from functools import partial
from typing import Any

import numpy as np

from worker.engines.asr.audio import SAMPLE_RATE
from worker.engines.asr.batched_decode import run_batch
from worker.engines.asr.device import DeviceChoice, DeviceRequest, choose_device
from worker.engines.asr.hallucination import screened
from worker.engines.asr.loaded_model import (
    SWITCH_P,
    LoadedWhisper,
    Replica,
    redecode,
    segment_from_whisper,
)
from worker.engines.asr.types import LanguageGuess, SpeechSegment, TranscribeRequest, Transcript
from worker.engines.models import ModelManager, packaged_models
from worker.protocol.errors import InvalidParams, ModelUnavailable

log = logging.getLogger(__name__)


def cpu_split(threads: int, replicas: int) -> tuple[int, int]:
    """(copies, threads per copy) for a CPU budget of ``threads`` (0: every core).

    ``replicas`` 0 chooses: two copies when there are at least two threads, since one
    copy's threads wait on each other in the decoder's serial steps and two copies fill
    those gaps (``bench/asr_throughput.py``; figures in the README).
    """
    budget = threads or os.cpu_count() or 1
    copies = max(1, min(replicas or (2 if budget >= 2 else 1), budget))
    if copies == 1:
        return 1, threads  # as configured (0: CTranslate2's own default)
    return copies, max(1, budget // copies)


def _sharing_weights(model: Any) -> Any:
    """Another copy of ``model`` for a thread of its own, sharing its weights.

    The CTranslate2 model was loaded with one worker per copy (``num_workers``): it runs that
    many calls side by side on one set of weights. Each copy is a ``WhisperModel`` of its own
    (the batched path patches word timing per model, and the feature extractor keeps the
    last chunk length), so only the weights, the tokenizer and the settings are shared.
    """
    import copy

    from faster_whisper.feature_extractor import FeatureExtractor

    twin = copy.copy(model)
    twin.feature_extractor = FeatureExtractor(**model.feat_kwargs)
    return twin


class WhisperEngine:
    """Speech recognition with faster-whisper, on CUDA when it works, else on the CPU."""

    def __init__(
        self,
        manager: ModelManager,
        *,
        default_model: str = "base",
        device: DeviceRequest = "auto",
        compute_type: str = "auto",
        cpu_threads: int = 0,
        replicas: int = 1,
    ) -> None:
        self.manager = manager
        self._replicas = replicas
        self.default_model = default_model
        self._device_request: DeviceRequest = device
        self._compute_type = compute_type
        self._cpu_threads = cpu_threads
        self._choice: DeviceChoice | None = None
        self._load_lock = threading.Lock()
        self._models: dict[str, LoadedWhisper] = {}

    # -- device and loading -------------------------------------------------------------

    @property
    def device_choice(self) -> DeviceChoice | None:
        """The device decided so far (None until the first load or ``decide_device``)."""
        return self._choice

    def decide_device(self) -> DeviceChoice:
        """Decide (once) where models run, test-loading a tiny model on CUDA if one is seen.

        Raises:
            ModelUnavailable: ``cuda`` was required and does not work.
        """
        with self._load_lock:
            return self._decide_device_locked()

    def _decide_device_locked(self) -> DeviceChoice:
        if self._choice is None:
            self._choice = choose_device(self._device_request, self._compute_type, self._probe)
            if self._choice.notice:
                log.info("asr device: %s (%s)", self._choice.device, self._choice.notice)
        return self._choice

    def _probe(self, compute_type: str) -> None:
        from faster_whisper import WhisperModel

        tiny = packaged_models().get("tiny.en")
        path = tiny.directory if tiny and tiny.directory else None
        if path is None:
            path = self.manager.resolve(self.default_model).path
        probe = WhisperModel(str(path), device="cuda", compute_type=compute_type)
        probe.detect_language(np.zeros(SAMPLE_RATE, dtype=np.float32))

    def loaded(self, name: str | None = None) -> LoadedWhisper:
        """The model ``name`` (default: the configured one), loading it on first use.

        Raises:
            ModelUnavailable: the model cannot be found, fetched or loaded.
        """
        wanted = name or self.default_model
        with self._load_lock:
            found = self._models.get(wanted)
            if found is not None:
                return found
            choice = self._decide_device_locked()
            resolved = self.manager.resolve(wanted)
            loaded = self._models.get(resolved.name)
            if loaded is None:
                loaded = self._load(resolved.name, resolved.path, choice)
            self._models[wanted] = self._models[resolved.name] = loaded
            return loaded

    def _load(self, name: str, path: Any, choice: DeviceChoice) -> LoadedWhisper:
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        copies, threads = 1, self._cpu_threads
        if choice.device == "cpu":
            copies, threads = cpu_split(self._cpu_threads, self._replicas)
        started = time.perf_counter()
        try:
            first = WhisperModel(
                str(path),
                device=choice.device,
                compute_type=choice.compute_type,
                cpu_threads=threads,
                num_workers=copies,
                local_files_only=True,
            )
        except Exception as exc:  # a corrupt model.bin or a CUDA failure: say which model
            raise ModelUnavailable(f"cannot load model {name} from {path}: {exc}") from None
        models = [first, *(_sharing_weights(first) for _ in range(copies - 1))]
        load_s = time.perf_counter() - started
        log.info(
            "loaded model %s on %s/%s in %.2fs (%d cop%s, %s thread(s) each)",
            name, choice.device, choice.compute_type, load_s, copies,
            "y" if copies == 1 else "ies", threads or "default",
        )  # fmt: skip
        model = models[0]
        return LoadedWhisper(
            name=name,
            model=model,
            pipeline=BatchedInferencePipeline(model),
            device=choice.device,
            multilingual=bool(model.model.is_multilingual),
            load_s=load_s,
            lock=threading.Lock(),
            spares=tuple(
                Replica(m, BatchedInferencePipeline(m), threading.Lock()) for m in models[1:]
            ),
        )

    def loaded_names(self) -> list[str]:
        """Names of the models in memory."""
        return sorted({m.name for m in self._models.values()})

    # -- inference ----------------------------------------------------------------------

    def detect_language(self, audio: Any, model: str | None = None) -> LanguageGuess:
        """The language spoken in the first 30 s of ``audio``.

        Raises:
            ModelUnavailable: the model cannot be loaded.
        """
        loaded = self.loaded(model)
        duration = float(audio.shape[0]) / SAMPLE_RATE
        if not loaded.multilingual:
            return LanguageGuess("en", 1.0, [("en", 1.0)], duration, loaded.name)
        language, probability, ranked = loaded.model.detect_language(audio)
        candidates = [(str(code), float(p)) for code, p in ranked[:5]]
        return LanguageGuess(str(language), float(probability), candidates, duration, loaded.name)

    def transcribe(self, request: TranscribeRequest, model: str | None = None) -> Transcript:
        """Transcribe one segment alone, checking ``request.checkpoint`` between segments.

        Raises:
            ModelUnavailable: the model cannot be loaded.
            InvalidParams: a non-English language was asked of an English-only model.
            Cancelled, DeadlinePassed: raised by ``request.checkpoint``.
        """
        loaded = self.loaded(model)
        language = self.language_for(loaded, request.language)
        _check(request)
        started = time.perf_counter()
        switched: float | None = None  # the detection's probability when the language changed
        if request.check_language and loaded.multilingual and language is not None:
            # Alone, the check costs a pass over the audio (batched, it reads the encoder
            # output the batch computes anyway: see decode_hooks.languages_heard).
            guess = self.detect_language(request.audio, loaded.name)
            if guess.language != language and guess.probability >= SWITCH_P:
                language, switched = guess.language, guess.probability
        segments: list[SpeechSegment] = []
        with loaded.lock:
            segments_iter, info = loaded.model.transcribe(
                request.audio,
                language=language,
                task=request.task,
                beam_size=request.beam_size,
                word_timestamps=request.word_timestamps,
                initial_prompt=request.initial_prompt,
                vad_filter=False,
            )
            for raw in segments_iter:  # decoding happens lazily, one segment at a time
                segments.append(segment_from_whisper(raw, 0.0))
                if request.progress is not None:
                    request.progress(min(1.0, raw.end / max(request.duration, 1e-6)))
                _check(request)
            if request.check_hallucinations:
                again = partial(
                    redecode, loaded.model, request, str(info.language), request.checkpoint
                )
                segments = screened(segments, request.audio, again, request.call_id)
        return Transcript(
            language=str(info.language),
            language_probability=float(info.language_probability if switched is None else switched),
            duration=request.duration,
            segments=segments,
            model=loaded.name,
            device=loaded.device,
            compute_s=time.perf_counter() - started,
        )

    @staticmethod
    def language_for(loaded: LoadedWhisper, language: str | None) -> str | None:
        """The language to force for ``loaded`` (None: detect it).

        Raises:
            InvalidParams: a non-English language was asked of an English-only model.
        """
        if loaded.multilingual:
            return language
        if language not in (None, "en"):
            raise InvalidParams(
                f"model {loaded.name} understands English only; it cannot transcribe "
                f"{language!r}: use a multilingual model such as 'base' or 'small'"
            )
        return "en"

    def transcribe_batch(
        self, requests: list[TranscribeRequest], model: str | None = None
    ) -> list[Transcript | Exception]:
        """Transcribe several segments, sharing batched model calls where their options match.

        Each entry of the result is that request's transcript or the error that stopped it
        (a cancelled request does not stop the others).

        Raises:
            ModelUnavailable: the model cannot be loaded (every request fails alike).
        """
        loaded = self.loaded(model)
        if len(requests) == 1:
            return [_outcome(lambda: self.transcribe(requests[0], loaded.name))]
        return run_batch(self, loaded, requests)


def _check(request: TranscribeRequest) -> None:
    if request.checkpoint is not None:
        request.checkpoint()


def _outcome(fn: Any) -> Transcript | Exception:
    try:
        result: Transcript = fn()
    except Exception as exc:  # handed back per request; the service raises it for that call
        return exc
    return result
