"""Match language tags written as ISO 639-1 (``en``) or ISO 639-2 B/T (``eng``, ``ger``/``deu``)."""

from __future__ import annotations

__all__ = ["same_language"]

# ISO 639-1 code -> its ISO 639-2 codes (bibliographic and terminology forms where they differ).
_ISO_639_2 = {
    "ar": ("ara",), "bg": ("bul",), "ca": ("cat",), "cs": ("cze", "ces"), "da": ("dan",),
    "de": ("ger", "deu"), "el": ("gre", "ell"), "en": ("eng",), "es": ("spa",),
    "et": ("est",), "fa": ("per", "fas"), "fi": ("fin",), "fr": ("fre", "fra"),
    "he": ("heb",), "hi": ("hin",), "hr": ("hrv",), "hu": ("hun",), "id": ("ind",),
    "it": ("ita",), "ja": ("jpn",), "ko": ("kor",), "lt": ("lit",), "lv": ("lav",),
    "ms": ("may", "msa"), "nl": ("dut", "nld"), "no": ("nor",), "pl": ("pol",),
    "pt": ("por",), "ro": ("rum", "ron"), "ru": ("rus",), "sk": ("slo", "slk"),
    "sl": ("slv",), "sr": ("srp",), "sv": ("swe",), "th": ("tha",), "tr": ("tur",),
    "uk": ("ukr",), "vi": ("vie",), "zh": ("chi", "zho"),
}  # fmt: skip
_TO_PRIMARY = {code: short for short, longs in _ISO_639_2.items() for code in longs}


def _primary(tag: str) -> str:
    base = tag.strip().lower().replace("_", "-").split("-")[0]
    return _TO_PRIMARY.get(base, base)


def same_language(tag: str, wanted: str) -> bool:
    """Whether two language tags name the same language (``"en-US"`` matches ``"eng"``)."""
    return _primary(tag) == _primary(wanted)
