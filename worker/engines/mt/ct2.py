"""CTranslate2 NMT models: Opus-MT (Marian), NLLB-200 and M2M100, converted for CTranslate2.

A model is a directory holding ``model.bin``, its vocabulary (``shared_vocabulary.json`` or
``target_vocabulary.json``/``.txt``) and its sentencepiece model(s):

* **Marian / Opus-MT:** ``source.spm`` + ``target.spm``; source pieces end with ``</s>``. The
  pair comes from an ``opus-mt-<src>-<tgt>`` directory name or from ``vt-mt.json``.
* **NLLB-200:** one ``sentencepiece.bpe.model``; the source is ``[src_Latn, pieces…, </s>]`` and
  the decoder is forced to start with the target language token (``target_prefix``), which is
  stripped from the output. Languages come from the vocabulary's ``xxx_Xxxx`` tokens.
* **M2M100:** the same with ``__pt__``-style tokens.
* **MADLAD-400** (T5): one ``spiece.model``; the source is ``[<2de>, pieces…, </s>]`` naming
  the target, and nothing is forced on the decoder. Languages come from the ``<2xx>`` tags.

An optional ``vt-mt.json`` (``{"family": "nllb", "sources": [...], "targets": [...]}``)
overrides what the directory says; its ``source_prefix`` (e.g. ``[">>cmn_Hans<<"]``) is put
before every source, as Opus-MT models with several targets want. ``discover_models`` finds
model directories under roots such as the worker's model cache (``<cache_dir>/models/ct2``).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from worker.engines.mt.base import (
    BatchResult,
    BatchWarning,
    BlockingEngine,
    BlockingRunner,
    check_cancelled,
)
from worker.engines.mt.glossary import protect, restore
from worker.engines.mt.languages import (
    is_language_token,
    m2m100_languages,
    m2m100_token,
    nllb_languages,
    nllb_token,
)
from worker.protocol.errors import InvalidParams, ModelUnavailable
from worker.protocol.mt import TRANSLATE_BATCH, LanguagePairs, primary_subtag

log = logging.getLogger(__name__)

_MADLAD_TOKEN = re.compile(r"^<2([a-z]{2,3})>$")
_OPUS_NAME = re.compile(r"opus-mt-([a-z]{2,3})-([a-z]{2,3})(?![a-z])")
_SPECIAL_TOKENS = frozenset({"<s>", "</s>", "<pad>", "<unk>"})
SIDECAR = "vt-mt.json"


class Ct2Family(StrEnum):
    """How a model tokenises and names languages."""

    MARIAN = "marian"
    NLLB = "nllb"
    M2M100 = "m2m100"
    MADLAD = "madlad"


@dataclass(frozen=True)
class Ct2ModelInfo:
    """What a model directory holds, read without loading the model."""

    name: str
    path: Path
    family: Ct2Family
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    source_spm: Path
    target_spm: Path
    source_prefix: tuple[str, ...] = ()  # tokens a multi-target Opus-MT pair wants first

    @property
    def multilingual(self) -> bool:
        """True for one model of many languages (NLLB, M2M100), False for a Marian pair."""
        return self.family is not Ct2Family.MARIAN

    @property
    def non_commercial(self) -> bool:
        """True when the model's licence forbids commercial use (NLLB-200: CC-BY-NC 4.0)."""
        return self.family is Ct2Family.NLLB

    def pairs(self) -> list[LanguagePairs]:
        """The model's language pairs as one group, named by the model."""
        return [
            LanguagePairs(
                sources=list(self.sources),
                targets=list(self.targets),
                model=self.name,
                multilingual=self.multilingual,
                non_commercial=self.non_commercial,
            )
        ]


def _read_vocabulary(path: Path) -> list[str]:
    for name in ("shared_vocabulary", "target_vocabulary"):
        json_file, txt_file = path / f"{name}.json", path / f"{name}.txt"
        if json_file.is_file():
            tokens = json.loads(json_file.read_text(encoding="utf-8"))
            return [str(t) for t in tokens]
        if txt_file.is_file():
            return txt_file.read_text(encoding="utf-8").splitlines()
    raise ModelUnavailable(f"CTranslate2 model {path} has no vocabulary file")


def _read_sidecar(path: Path) -> dict[str, Any]:
    sidecar = path / SIDECAR
    if not sidecar.is_file():
        return {}
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelUnavailable(f"{sidecar} is not readable JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ModelUnavailable(f"{sidecar} must hold a JSON object")
    return data


def _shared_spm(path: Path) -> Path:
    for name in ("sentencepiece.bpe.model", "spm.model", "sentencepiece.model", "spiece.model"):
        if (path / name).is_file():
            return path / name
    candidates = sorted(path.glob("*.model"))
    if len(candidates) == 1:
        return candidates[0]
    raise ModelUnavailable(f"CTranslate2 model {path} has no sentencepiece model")


def _marian_languages(path: Path, sidecar: dict[str, Any]) -> tuple[list[str], list[str]]:
    if "sources" in sidecar and "targets" in sidecar:
        return [str(s) for s in sidecar["sources"]], [str(t) for t in sidecar["targets"]]
    match = _OPUS_NAME.search(path.name.lower())
    if match is None:
        raise ModelUnavailable(
            f"cannot tell the language pair of Marian model {path}: name the directory "
            f"opus-mt-<src>-<tgt> or add {SIDECAR} with sources and targets"
        )
    return [match.group(1)], [match.group(2)]


def inspect_model_dir(path: Path) -> Ct2ModelInfo:
    """Read a model directory's family, languages and tokenizer files.

    Raises:
        ModelUnavailable: the directory is not a usable CTranslate2 translation model.
    """
    if not (path / "model.bin").is_file():
        raise ModelUnavailable(f"{path} holds no CTranslate2 model.bin")
    sidecar = _read_sidecar(path)
    vocabulary = _read_vocabulary(path)
    family_name = sidecar.get("family")
    if (path / "source.spm").is_file() and (path / "target.spm").is_file():
        family = Ct2Family(family_name or Ct2Family.MARIAN)
        src_spm, tgt_spm = path / "source.spm", path / "target.spm"
    else:
        src_spm = tgt_spm = _shared_spm(path)
        if family_name:
            family = Ct2Family(family_name)
        elif nllb_languages(vocabulary):
            family = Ct2Family.NLLB
        elif m2m100_languages(vocabulary):
            family = Ct2Family.M2M100
        elif madlad_languages(vocabulary):
            family = Ct2Family.MADLAD
        else:
            raise ModelUnavailable(f"{path}: no Marian, NLLB, M2M100 or MADLAD layout recognised")
    if family is Ct2Family.MARIAN:
        sources, targets = _marian_languages(path, sidecar)
    else:
        found = {
            Ct2Family.NLLB: nllb_languages,
            Ct2Family.M2M100: m2m100_languages,
            Ct2Family.MADLAD: madlad_languages,
        }[family](vocabulary)
        sources = [str(s) for s in sidecar.get("sources", found)]
        targets = [str(t) for t in sidecar.get("targets", found)]
    prefix = sidecar.get("source_prefix", [])
    if not isinstance(prefix, list) or not all(isinstance(t, str) for t in prefix):
        raise ModelUnavailable(f"{path / SIDECAR}: source_prefix must be a list of tokens")
    return Ct2ModelInfo(
        path.name, path, family, tuple(sources), tuple(targets), src_spm, tgt_spm, tuple(prefix)
    )


def madlad_languages(vocabulary: list[str]) -> list[str]:
    """Wire codes of every ``<2xx>`` target tag in a MADLAD-400 (T5) vocabulary."""
    return sorted({m.group(1) for token in vocabulary if (m := _MADLAD_TOKEN.match(token))})


def discover_models(roots: Sequence[Path]) -> list[Ct2ModelInfo]:
    """Every usable model found at ``roots`` (a model directory, or a folder of them)."""
    found: dict[str, Ct2ModelInfo] = {}
    for root in roots:
        candidates = (
            [root]
            if (root / "model.bin").is_file()
            else sorted(p for p in (root.iterdir() if root.is_dir() else ()) if p.is_dir())
        )
        for candidate in candidates:
            try:
                info = inspect_model_dir(candidate)
            except (ModelUnavailable, ValueError, OSError) as exc:
                log.warning("skipping CTranslate2 model %s: %s", candidate, exc)
                continue
            found.setdefault(info.name, info)
    return list(found.values())


class Ct2Engine(BlockingEngine):
    """One CTranslate2 model, loaded on first use and kept."""

    name = "ct2"

    def __init__(
        self,
        info: Ct2ModelInfo,
        runner: BlockingRunner | None = None,
        *,
        device: str = "cpu",
        compute_type: str = "default",
        beam_size: int = 2,
        max_decoding_length: int = 256,
        max_batch_size: int = TRANSLATE_BATCH,
        threads: int = 0,
    ) -> None:
        super().__init__(runner)
        self.info = info
        self._device = device
        self._compute_type = compute_type
        self._threads = threads
        self._beam_size = beam_size
        self._max_decoding_length = max_decoding_length
        self._max_batch_size = max(1, max_batch_size)
        self._loaded: tuple[Any, Any, Any] | None = None
        self._load_lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """The model directory's name."""
        return self.info.name

    def models(self) -> list[str]:
        """This engine's one model."""
        return [self.info.name]

    def pairs(self) -> list[LanguagePairs]:
        """What the model's directory says it translates."""
        return self.info.pairs()

    def _load(self) -> tuple[Any, Any, Any]:
        with self._load_lock:
            if self._loaded is None:
                self._loaded = self._load_now()
            return self._loaded

    def _load_now(self) -> tuple[Any, Any, Any]:
        try:
            import ctranslate2
            import sentencepiece
        except ImportError as exc:
            raise ModelUnavailable(f"the ct2 engine needs {exc.name}, not installed") from None
        try:
            translator = ctranslate2.Translator(
                str(self.info.path),
                device=self._device,
                compute_type=self._compute_type,
                intra_threads=self._threads,
            )
            source_sp = sentencepiece.SentencePieceProcessor(model_file=str(self.info.source_spm))
            target_sp = sentencepiece.SentencePieceProcessor(model_file=str(self.info.target_spm))
        except (RuntimeError, OSError, ValueError) as exc:
            raise ModelUnavailable(
                f"cannot load CTranslate2 model {self.info.name}: {exc}"
            ) from None
        log.info("ct2 model %s (%s) loaded", self.info.name, self.info.family)
        return translator, source_sp, target_sp

    def language_token(self, code: str) -> str | None:
        """The model's token for a language (``None`` for Marian, which has none)."""
        if self.info.family is Ct2Family.NLLB:
            token = nllb_token(code)
            if token is None:
                raise InvalidParams(f"no NLLB language code is known for {code!r}")
            return token
        if self.info.family is Ct2Family.M2M100:
            return m2m100_token(code)
        return None

    def source_tokens(self, source_sp: Any, text: str, source: str, target: str = "") -> list[str]:
        """The pieces fed to the encoder: [language token], pieces, ``</s>``; MADLAD-400 names
        the target instead (``<2de>``) and starts the decoder itself."""
        pieces = [str(p) for p in source_sp.encode(text, out_type=str)]
        if self.info.family is Ct2Family.MADLAD:
            return [f"<2{primary_subtag(target)}>", *pieces, "</s>"]
        token = self.language_token(source)
        return [*self.info.source_prefix] + ([token] if token else []) + pieces + ["</s>"]

    def target_prefix(self, target: str) -> list[str] | None:
        """The tokens the decoder is forced to start with (NLLB/M2M100), else ``None``."""
        token = self.language_token(target)
        return [token] if token else None

    @staticmethod
    def detokenize(target_sp: Any, tokens: Sequence[str]) -> str:
        """Text from output pieces, without language and special tokens."""
        pieces = [
            t
            for t in tokens
            if t not in _SPECIAL_TOKENS and not is_language_token(t) and not _MADLAD_TOKEN.match(t)
        ]
        return str(target_sp.decode(pieces)).strip()

    def _run(self, texts: Sequence[str], source: str, target: str) -> list[str]:
        translator, source_sp, target_sp = self._load()
        prefix = self.target_prefix(target)
        outputs: list[str] = []
        for start in range(0, len(texts), self._max_batch_size):
            check_cancelled()
            chunk = texts[start : start + self._max_batch_size]
            results = translator.translate_batch(
                [self.source_tokens(source_sp, text, source, target) for text in chunk],
                target_prefix=[prefix] * len(chunk) if prefix else None,
                beam_size=self._beam_size,
                max_decoding_length=self._max_decoding_length,
            )
            outputs += [self.detokenize(target_sp, r.hypotheses[0]) for r in results]
        return outputs

    def translate_blocking(
        self,
        sentences: Sequence[str],
        source: str,
        target: str,
        context: Sequence[str],
        glossary: Mapping[str, str],
    ) -> BatchResult:
        """Translate the batch in chunks, keeping glossary terms through placeholders."""
        if primary_subtag(source) == primary_subtag(target):
            raise InvalidParams("source and target languages are the same")
        protected = [protect(sentence, glossary) for sentence in sentences]
        outputs = self._run([p.text for p in protected], source, target)
        result = BatchResult(translations=[])
        fallback: list[int] = []
        for index, (output, prot) in enumerate(zip(outputs, protected, strict=True)):
            restored = restore(output, prot) if prot.protects_anything else output
            if restored is None:
                fallback.append(index)
            result.translations.append(restored)
        if fallback:
            plain = self._run([sentences[i] for i in fallback], source, target)
            for index, text in zip(fallback, plain, strict=True):
                result.translations[index] = text
            result.warnings.append(
                BatchWarning(tuple(fallback), "glossary terms could not be kept on these lines")
            )
        return result
