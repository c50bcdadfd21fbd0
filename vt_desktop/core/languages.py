"""Languages by code and by name, from ``langcodes`` and its ``language-data`` (CLDR names).

One place for what the app knows about languages: the tags it writes (``pt-BR``, ``zh-Hant``),
the three-letter track tags of ISO 639-2/B that MKV and MP4 want (``de`` → ``ger``), whether
two tags name the same language (``en-US`` and ``eng``), names in the UI's language
("German", "немецкий"), the list the target field offers, and how the workers would translate
into each (``route_into``).
"""

from __future__ import annotations

import contextlib
import functools
import re
import string
from collections.abc import Sequence

from langcodes import Language, find, standardize_tag, tag_is_valid
from langcodes.tag_parser import LanguageTagError

from worker.protocol.mt import (
    ANY_LANGUAGE,
    PIVOT_LANGUAGE,
    EngineLanguages,
    Route,
    plan_route,
    primary_subtag,
)

__all__ = [
    "REGIONAL_VARIANTS",
    "UnknownLanguage",
    "iso639_2",
    "language_name",
    "offered_languages",
    "parse_language",
    "primary_language",
    "route_into",
    "same_language",
]

#: What a language's name may hold: letters, spaces, brackets, hyphens, apostrophes, dots.
_NAME = re.compile(r"^[^\W\d_]+(?:[\s()'’.-]+[^\W\d_]*)*\)?$")
#: Variants offered beside the plain languages: they change spelling or script.
REGIONAL_VARIANTS = ("pt-BR", "pt-PT", "zh-Hans", "zh-Hant")


class UnknownLanguage(ValueError):
    """Raised for text that is neither a language tag nor a language's name."""


def _language(tag: str) -> Language | None:
    try:
        return Language.get(tag.strip().replace("_", "-"))
    except (LanguageTagError, ValueError):
        return None


def primary_language(tag: str) -> str:
    """The language subtag, as the shortest standard code (``ger``, ``deu``, ``de-AT`` → ``de``;
    ``iw`` → ``he``); text that is no tag is lower-cased up to its first ``-``."""
    language = _language(tag)
    if language is not None and language.language:
        return language.language
    return primary_subtag(tag.strip())


def same_language(tag: str, wanted: str) -> bool:
    """Whether two language tags name the same language (``"en-US"`` matches ``"eng"``)."""
    return primary_language(tag) == primary_language(wanted)


def iso639_2(tag: str) -> str:
    """The ISO 639-2/B track tag for a language tag (``pt-BR`` → ``por``, ``de`` → ``ger``,
    ``zh-Hant`` → ``chi``); a three-letter code is kept as it is; ``und`` when unknown."""
    code = tag.split("-", maxsplit=1)[0].lower()
    if len(code) == 3 and code.isalpha():
        return code
    language = _language(code)
    if language is None:
        return "und"
    try:
        return str(language.to_alpha3(variant="B"))
    except LookupError:
        return "und"


def language_name(tag: str, ui_language: str = "en") -> str:
    """The language's name in ``ui_language``, capitalised for a list ("German", "Немецкий",
    "Portuguese (Brazil)"); the tag itself when nothing is known about it."""
    language = _language(tag)
    if language is None or not tag_is_valid(str(language)):
        return tag
    name = str(language.display_name(ui_language))
    if name.lower().startswith(("unknown language", "неизвестный язык")):
        return tag
    return name[:1].upper() + name[1:]


def parse_language(text: str, ui_language: str = "en") -> str:
    """A standard tag for a code (``de``, ``pt_br``, ``ger``) or a name in any language
    ("German", "Немецкий", "Brazilian Portuguese").

    Raises:
        UnknownLanguage: the text names no language (the message quotes it).
    """
    cleaned = text.strip()
    if not cleaned:
        raise UnknownLanguage("a language is empty: type a name (German) or a code (de)")
    candidate = cleaned.replace("_", "-")
    if tag_is_valid(candidate):
        standard = str(standardize_tag(candidate))
        if language_name(standard, "en") != standard:
            return standard
    unknown = UnknownLanguage(f"{cleaned!r} is not a language code or a language name known here")
    if not _NAME.match(cleaned):
        raise unknown
    name, _, qualifier = cleaned.partition("(")
    found_name = _find(name.strip(), ui_language) if qualifier else None
    if found_name is not None:  # "Portuguese (Brazil)", "Китайский (традиционная)" as listed
        part = qualifier.rstrip(") ")
        for kind in ("territory", "script"):
            for language in dict.fromkeys((ui_language, "en")):
                with contextlib.suppress(LookupError):
                    found = Language.find_name(kind, part, language)
                    return str(Language.get(found_name).update(found))
        raise UnknownLanguage(f"{cleaned!r}: {part!r} is not a region or a script known here")
    tag = _find(cleaned, ui_language)
    if tag is None:
        raise unknown
    return tag


def _find(name: str, ui_language: str) -> str | None:
    """The tag of a language named in the UI's language, in English or in any other."""
    for language in dict.fromkeys((ui_language, "en", None)):
        with contextlib.suppress(LookupError):
            return str(find(name, language=language))
    return None


@functools.cache
def offered_languages() -> tuple[str, ...]:
    """Every ISO 639-1 language with a name, and the regional variants, sorted by tag."""
    codes = {
        code
        for code in (a + b for a in string.ascii_lowercase for b in string.ascii_lowercase)
        if tag_is_valid(code)
        and (language := _language(code)) is not None
        and language.language == code
        and language_name(code) != code
    }
    return tuple(sorted(codes | set(REGIONAL_VARIANTS)))


def route_into(
    engines: Sequence[EngineLanguages], source: str | None, target: str, engine: str | None = None
) -> Route | None:
    """How the workers whose ``mt.languages`` answer is ``engines`` would translate into
    ``target`` (``plan_route``); with the spoken language unknown (``None``) the way from a
    language some model translates into ``target`` from, English first. ``None`` when nothing
    translates into it."""
    if source is not None:
        return plan_route(engines, source, target, engine)
    wanted = primary_language(target)
    sources: dict[str, None] = {}
    for e in engines:
        if not e.available or (e.engine != engine if engine else not e.takes_text):
            continue
        for group in e.pairs:
            targets = {primary_language(t) for t in group.targets}
            if wanted in targets or ANY_LANGUAGE in group.targets:
                for code in group.sources:
                    sources[PIVOT_LANGUAGE if code == ANY_LANGUAGE else code] = None
    ordered = sorted(sources, key=lambda code: primary_language(code) != PIVOT_LANGUAGE)
    for candidate in ordered:
        if primary_language(candidate) == wanted:
            continue
        route = plan_route(engines, candidate, target, engine)
        if route is not None:
            return route
    return None
