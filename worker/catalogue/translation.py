"""The CTranslate2 translation models a worker can fetch by name, with their licences.

Every entry is a ready CTranslate2 conversion on the Hugging Face Hub. The repo ids, revisions
and file layouts were checked against public code that downloads these repos (see the README's
"Languages" section); a revision of ``"main"`` means no commit hash was found to pin yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from worker.protocol.mt import primary_subtag

TranslationFamily = Literal["marian", "m2m100", "nllb", "madlad"]

#: The 100 languages of M2M100 (its ``__xx__`` tokens), any to any.
M2M100_LANGUAGES: tuple[str, ...] = (
    "af", "am", "ar", "ast", "az", "ba", "be", "bg", "bn", "br", "bs", "ca", "ceb", "cs", "cy",
    "da", "de", "el", "en", "es", "et", "fa", "ff", "fi", "fr", "fy", "ga", "gd", "gl", "gu",
    "ha", "he", "hi", "hr", "ht", "hu", "hy", "id", "ig", "ilo", "is", "it", "ja", "jv", "ka",
    "kk", "km", "kn", "ko", "lb", "lg", "ln", "lo", "lt", "lv", "mg", "mk", "ml", "mn", "mr",
    "ms", "my", "ne", "nl", "no", "ns", "oc", "or", "pa", "pl", "ps", "pt", "ro", "ru", "sd",
    "si", "sk", "sl", "so", "sq", "sr", "ss", "su", "sv", "sw", "ta", "th", "tl", "tn", "tr",
    "uk", "ur", "uz", "vi", "wo", "xh", "yi", "yo", "zh", "zu",
)  # fmt: skip

_OPUS_PAIR = re.compile(r"^opus-mt-([a-z]{2,3})-([a-z]{2,3})$")
#: Opus-MT pairs whose CTranslate2 repo code users were seen downloading, with the commit a
#: code user pinned where one was found.
OPUS_MT_PINNED: dict[str, str] = {
    "en-zh": "dcd22168f08b99dd34c62bc2195e31dc2f04e90b",
    "zh-en": "05d8fc158397bae0c65b8d46c858b6c18e094c12",
}
#: The target token a multi-target Opus-MT model wants before each source sentence (the
#: en-zh model serves several Chinese scripts; code users send ``>>cmn_Hans<<``).
OPUS_MT_SOURCE_PREFIX: dict[str, str] = {"en-zh": ">>cmn_Hans<<"}
#: Pairs listed on the Models page (any other ``opus-mt-xx-yy`` is fetched by name too).
OPUS_MT_LISTED: tuple[str, ...] = (
    "en-de", "en-es", "en-fr", "en-zh", "de-en", "es-en", "fr-en", "it-en", "nl-en", "zh-en",
)  # fmt: skip

OPUS_MT_FILES: tuple[str, ...] = (
    "config.json",
    "model.bin",
    "shared_vocabulary.*",
    "source.spm",
    "target.spm",
)
OPUS_MT_ATTRIBUTION = (
    "OPUS-MT by Jörg Tiedemann and the Language Technology Research Group at the University "
    "of Helsinki (Helsinki-NLP), CC-BY 4.0; CTranslate2 conversion by gaudi on the Hugging "
    "Face Hub"
)


@dataclass(frozen=True)
class TranslationEntry:
    """A named CTranslate2 translation model on the Hugging Face Hub."""

    name: str  # catalogue name and directory name in ``<cache>/models/ct2``
    title: str
    family: TranslationFamily
    repo_id: str
    revision: str  # a commit hash, or "main" where none was verified
    download_mb: int
    licence: str  # SPDX identifier
    attribution: str
    languages: tuple[str, ...]  # wire codes; for a pair (source, target)
    language_summary: str
    patterns: tuple[str, ...]  # what to fetch, nothing else
    required: tuple[str, ...]  # files a usable download must hold (globs allowed)
    non_commercial: bool = False
    default: bool = False  # the any-to-any model offered first

    @property
    def pinned(self) -> bool:
        """True when the revision is a commit hash, not a branch."""
        return re.fullmatch(r"[0-9a-f]{40}", self.revision) is not None

    def sidecar(self) -> dict[str, object]:
        """The ``vt-mt.json`` the ct2 engine reads: family, and a Marian model's pair."""
        data: dict[str, object] = {"family": self.family}
        if self.family == "marian":
            data["sources"], data["targets"] = [self.languages[0]], [self.languages[1]]
            prefix = OPUS_MT_SOURCE_PREFIX.get("-".join(self.languages))
            if prefix:
                data["source_prefix"] = [prefix]
        return data


def opus_mt(source: str, target: str) -> TranslationEntry:
    """The entry of the Opus-MT pair ``source`` → ``target`` (gaudi's CTranslate2 repos)."""
    pair = f"{source}-{target}"
    return TranslationEntry(
        name=f"opus-mt-{pair}",
        title=f"Opus-MT {source} → {target}",
        family="marian",
        repo_id=f"gaudi/opus-mt-{pair}-ctranslate2",
        revision=OPUS_MT_PINNED.get(pair, "main"),
        download_mb=155,
        licence="CC-BY-4.0",
        attribution=OPUS_MT_ATTRIBUTION,
        languages=(source, target),
        language_summary=f"{source} → {target}",
        patterns=OPUS_MT_FILES,
        required=("model.bin", "source.spm", "target.spm", "shared_vocabulary.*"),
    )


_M2M100_FILES = ("config.json", "model.bin", "shared_vocabulary.*", "sentencepiece.bpe.model")
_M2M100_ATTRIBUTION = (
    "M2M100 by Facebook AI (fairseq), MIT; CTranslate2 int8 conversion by jncraton on the "
    "Hugging Face Hub"
)

#: Name → the multilingual models (Opus-MT pairs come from ``opus_mt``).
MULTILINGUAL: dict[str, TranslationEntry] = {
    "m2m100-418m": TranslationEntry(
        name="m2m100-418m",
        title="M2M100 418M (int8)",
        family="m2m100",
        repo_id="jncraton/m2m100_418M-ct2-int8",
        revision="7c1b2620a4e58dacecbd8bf89cfd6da7eb9eb7b0",
        download_mb=483,
        licence="MIT",
        attribution=_M2M100_ATTRIBUTION,
        languages=M2M100_LANGUAGES,
        language_summary="100 languages",
        patterns=_M2M100_FILES,
        required=("model.bin", "sentencepiece.bpe.model", "shared_vocabulary.*"),
        default=True,
    ),
    "m2m100-1.2b": TranslationEntry(
        name="m2m100-1.2b",
        title="M2M100 1.2B (int8)",
        family="m2m100",
        repo_id="jncraton/m2m100_1.2B-ct2-int8",
        revision="e50078df6be13a88592b70ea42f4d74c2082e448",
        download_mb=1240,
        licence="MIT",
        attribution=_M2M100_ATTRIBUTION,
        languages=M2M100_LANGUAGES,
        language_summary="100 languages",
        patterns=_M2M100_FILES,
        required=("model.bin", "sentencepiece.bpe.model", "shared_vocabulary.*"),
    ),
    "madlad400-3b": TranslationEntry(
        name="madlad400-3b",
        title="MADLAD-400 3B MT (int8)",
        family="madlad",
        repo_id="Nextcloud-AI/madlad400-3b-mt-ct2-int8",
        revision="aa32bbdeba7880eff2096ec044cb155a340a9400",
        download_mb=2960,
        licence="Apache-2.0",
        attribution=(
            "MADLAD-400 3B MT by Google Research, Apache-2.0; CTranslate2 int8 conversion by "
            "Nextcloud-AI on the Hugging Face Hub"
        ),
        languages=(),
        language_summary="400+ languages",
        patterns=("config.json", "model.bin", "shared_vocabulary.*", "spiece.model"),
        required=("model.bin", "spiece.model", "shared_vocabulary.*"),
    ),
    "nllb-200-600m": TranslationEntry(
        name="nllb-200-600m",
        title="NLLB-200 distilled 600M (int8)",
        family="nllb",
        repo_id="JustFrederik/nllb-200-distilled-600M-ct2-int8",
        revision="main",
        download_mb=628,
        licence="CC-BY-NC-4.0",
        attribution=(
            "NLLB-200 by Meta AI, CC-BY-NC 4.0 (non-commercial use only); CTranslate2 int8 "
            "conversion by JustFrederik on the Hugging Face Hub"
        ),
        languages=(),
        language_summary="200 languages",
        patterns=("config.json", "model.bin", "shared_vocabulary.*", "sentencepiece.bpe.model"),
        required=("model.bin", "sentencepiece.bpe.model", "shared_vocabulary.*"),
        non_commercial=True,
    ),
}


def translation_entry(name: str) -> TranslationEntry | None:
    """The catalogue entry for ``name`` (a multilingual name or ``opus-mt-xx-yy``), if any."""
    name = name.strip().lower()
    if name in MULTILINGUAL:
        return MULTILINGUAL[name]
    match = _OPUS_PAIR.match(name)
    if match is None:
        return None
    source, target = match.groups()
    if source == target:
        return None
    return opus_mt(source, target)


def listed_translation_entries() -> list[TranslationEntry]:
    """The translation models the Models page and ``vt models`` list when not installed."""
    pairs = [opus_mt(*pair.split("-")) for pair in OPUS_MT_LISTED]
    return [*MULTILINGUAL.values(), *pairs]


def translation_names_hint() -> str:
    """The names ``vt models download`` takes, for error messages."""
    return f"{', '.join(MULTILINGUAL)} or opus-mt-<source>-<target> (e.g. opus-mt-en-de)"


def suggest_downloads(source: str, target: str) -> str:
    """The downloads that would translate ``source`` → ``target``, in words for a refusal:
    the Opus-MT pair (fetched by name; whether the Hub has it shows at download), then the
    smallest multilingual model that has both languages (never the non-commercial NLLB)."""
    src, tgt = primary_subtag(source), primary_subtag(target)
    options = [f"`vt models download opus-mt-{src}-{tgt}` (≈ {opus_mt(src, tgt).download_mb} MB)"]
    m2m100 = MULTILINGUAL["m2m100-418m"]
    if src in m2m100.languages and tgt in m2m100.languages:
        options.append(f"`vt models download {m2m100.name}` (≈ {m2m100.download_mb} MB)")
    else:
        madlad = MULTILINGUAL["madlad400-3b"]
        options.append(f"`vt models download {madlad.name}` (≈ {madlad.download_mb / 1000:.1f} GB)")
    return " or ".join(options)
