"""Language codes as multilingual NMT models spell them.

The wire speaks BCP-47 style codes (``pt``, ``pt-BR``, ``zh-Hant``). NLLB-200 names languages
by FLORES-200 codes (``por_Latn``); M2M100 by ``__pt__`` tokens. This table covers the
languages people subtitle most; a model's vocabulary decides which of them it really has.
"""

from __future__ import annotations

import re

from worker.protocol.mt import primary_subtag

#: ISO 639-1 (or 639-3 where there is no 1) → FLORES-200 code used by NLLB.
NLLB_CODES: dict[str, str] = {
    "af": "afr_Latn", "ar": "arb_Arab", "bg": "bul_Cyrl", "bn": "ben_Beng", "ca": "cat_Latn",
    "cs": "ces_Latn", "cy": "cym_Latn", "da": "dan_Latn", "de": "deu_Latn", "el": "ell_Grek",
    "en": "eng_Latn", "es": "spa_Latn", "et": "est_Latn", "eu": "eus_Latn", "fa": "pes_Arab",
    "fi": "fin_Latn", "fr": "fra_Latn", "ga": "gle_Latn", "gl": "glg_Latn", "gu": "guj_Gujr",
    "he": "heb_Hebr", "hi": "hin_Deva", "hr": "hrv_Latn", "hu": "hun_Latn", "hy": "hye_Armn",
    "id": "ind_Latn", "is": "isl_Latn", "it": "ita_Latn", "ja": "jpn_Jpan", "ka": "kat_Geor",
    "kk": "kaz_Cyrl", "km": "khm_Khmr", "kn": "kan_Knda", "ko": "kor_Hang", "lt": "lit_Latn",
    "lv": "lvs_Latn", "mk": "mkd_Cyrl", "ml": "mal_Mlym", "mr": "mar_Deva", "ms": "zsm_Latn",
    "my": "mya_Mymr", "nb": "nob_Latn", "ne": "npi_Deva", "nl": "nld_Latn", "no": "nob_Latn",
    "pa": "pan_Guru", "pl": "pol_Latn", "pt": "por_Latn", "ro": "ron_Latn", "ru": "rus_Cyrl",
    "sk": "slk_Latn", "sl": "slv_Latn", "sq": "als_Latn", "sr": "srp_Cyrl", "sv": "swe_Latn",
    "sw": "swh_Latn", "ta": "tam_Taml", "te": "tel_Telu", "th": "tha_Thai", "tl": "tgl_Latn",
    "tr": "tur_Latn", "uk": "ukr_Cyrl", "ur": "urd_Arab", "uz": "uzn_Latn", "vi": "vie_Latn",
    "zh": "zho_Hans", "zu": "zul_Latn",
}  # fmt: skip

_NLLB_TOKEN = re.compile(r"^[a-z]{3}_[A-Z][a-z]{3}$")
_M2M_TOKEN = re.compile(r"^__([a-z]{2,3})__$")


def nllb_token(code: str) -> str | None:
    """The NLLB language token for a wire code (``pt-BR`` → ``por_Latn``), if known."""
    normalised = code.replace("-", "_")
    if _NLLB_TOKEN.match(normalised):
        return normalised
    parts = code.replace("_", "-").split("-")
    if primary_subtag(code) == "zh" and any(p.lower() in ("hant", "tw", "hk") for p in parts):
        return "zho_Hant"
    return NLLB_CODES.get(primary_subtag(code))


def m2m100_token(code: str) -> str:
    """The M2M100 language token for a wire code (``pt-BR`` → ``__pt__``)."""
    return f"__{primary_subtag(code)}__"


def nllb_languages(vocabulary: list[str]) -> list[str]:
    """Wire codes of the table languages whose NLLB token is in ``vocabulary``."""
    present = {token for token in vocabulary if _NLLB_TOKEN.match(token)}
    return sorted(code for code, token in NLLB_CODES.items() if token in present)


def m2m100_languages(vocabulary: list[str]) -> list[str]:
    """Wire codes of every ``__xx__`` language token in ``vocabulary``."""
    return sorted({m.group(1) for token in vocabulary if (m := _M2M_TOKEN.match(token))})


def is_language_token(token: str) -> bool:
    """True for NLLB and M2M100 language tokens (stripped from model output)."""
    return bool(_NLLB_TOKEN.match(token) or _M2M_TOKEN.match(token))
