"""The target-language field: several languages at once, searched by name, marked by what the
workers can translate into now.

The field holds tags separated by commas (``pt, de``: what the settings and the CLI hold too),
and names typed in any language are taken as well ("German", "Немецкий"). While typing, a
popup lists the languages whose name (in the UI's language or in English) or tag holds the
word being typed; picking one puts its tag in place of the word. The list button beside the
field opens the whole list. Each entry is marked ✓ when the workers can translate into it now,
and the line under the field says, per language typed, which way: direct, multilingual model,
via English, LLM, or not available.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFocusEvent, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCompleter, QLabel, QLineEdit, QWidget

from vt_desktop.core.languages import (
    UnknownLanguage,
    language_name,
    offered_languages,
    parse_language,
    primary_language,
    route_into,
)
from vt_desktop.ui import resources
from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP
from worker.catalogue.translation import TranslationEntry, opus_mt
from worker.protocol.mt import EngineLanguages, Route, RouteKind

#: The role holding an entry's tag.
TAG_ROLE = Qt.ItemDataRole.UserRole + 1
#: The role holding whether the workers translate into the entry now (True, False, None).
AVAILABLE_ROLE = Qt.ItemDataRole.UserRole + 2
#: The role the search matches: the name in the UI's language, in English, and the tag.
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 3
MARK = "✓"
_TAG = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$")
WAYS = {
    RouteKind.DIRECT: QT_TRANSLATE_NOOP("LanguageField", "direct"),
    RouteKind.MULTILINGUAL: QT_TRANSLATE_NOOP("LanguageField", "multilingual model"),
    RouteKind.PIVOT: QT_TRANSLATE_NOOP("LanguageField", "via English"),
    RouteKind.LLM: QT_TRANSLATE_NOOP("LanguageField", "LLM"),
}


def split_entries(text: str) -> list[str]:
    """The languages typed: separated by commas; a part of tags only may use spaces too
    (``"de pt-BR"``), while a name keeps its spaces ("Brazilian Portuguese")."""
    entries: list[str] = []
    for part in text.split(","):
        words = part.split()
        if len(words) > 1 and all(_is_tag(w) for w in words):
            entries += words
        elif part.strip():
            entries.append(part.strip())
    return entries


def _is_tag(word: str) -> bool:
    if not _TAG.match(word):
        return False
    try:
        parse_language(word, "en")
    except UnknownLanguage:
        return False
    return True


class _TokenCompleter(QCompleter):
    """Completes the word after the last comma and keeps the languages before it.

    The languages before the word are taken when the word is typed (``splitPath``): moving
    through the popup shows each entry in the field, and must not pile them up.
    """

    def __init__(self, model: QStandardItemModel, field: QLineEdit) -> None:
        super().__init__(model, field)
        self.before: list[str] = []
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCompletionRole(SEARCH_ROLE)
        self.setMaxVisibleItems(12)

    def splitPath(self, path: str) -> list[str]:  # noqa: N802 (Qt override)
        """Match on the word being typed only."""
        before, _, word = path.rpartition(",")
        self.before = split_entries(before)
        return [word.strip()]

    def pathFromIndex(self, index: QModelIndex | QPersistentModelIndex) -> str:  # noqa: N802
        """The languages before the word, then the picked tag in place of the word."""
        tag = str(index.data(TAG_ROLE))
        return ", ".join(dict.fromkeys([*self.before, tag])) + ", "


class LanguageField(QLineEdit):
    """Target languages by tag or name, with the search popup and the ways line (``ways``)."""

    #: The field took the focus: a good moment to ask the workers again what they translate.
    refresh_wanted = Signal()
    #: The ways line changed (the languages typed, or what the workers can do).
    ways_changed = Signal()

    def __init__(self, ui_language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ui_language = ui_language
        self.ways = QLabel()
        self.ways.setObjectName("Muted")
        self.ways.setWordWrap(True)
        self._engines: list[EngineLanguages] | None = None
        self._source: str | None = None
        self._engine: str | None = None
        self._routes: dict[str, Route | None] = {}
        self.languages = QStandardItemModel(self)
        self._completer = _TokenCompleter(self.languages, self)
        self.setCompleter(self._completer)
        self.list_action = self.addAction(
            resources.icon("chevron-down"), QLineEdit.ActionPosition.TrailingPosition
        )
        self.list_action.setToolTip(self.tr("All languages"))
        self.list_action.triggered.connect(self.show_all)
        self.textChanged.connect(self._show_ways)
        self._fill()

    # -- what the workers translate -----------------------------------------------------------

    def set_engines(self, engines: Sequence[EngineLanguages] | None) -> None:
        """The workers' ``mt.languages`` answer (``None``: not known now)."""
        self._engines = None if engines is None else list(engines)
        self._routes.clear()
        self._fill()

    def set_source(self, source: str | None, engine: str | None) -> None:
        """The spoken language (``None``: detected) and the engine chosen (``None``: the
        workers choose)."""
        if (source, engine) != (self._source, self._engine):
            self._source, self._engine = source, engine
            self._routes.clear()
            self._fill()

    def route(self, tag: str) -> Route | None:
        """How the workers would translate into ``tag`` now (``None``: they cannot, or it is
        not known)."""
        if self._engines is None:
            return None
        if tag not in self._routes:
            self._routes[tag] = route_into(self._engines, self._source, tag, self._engine)
        return self._routes[tag]

    def available(self, tag: str) -> bool | None:
        """Whether the workers can translate into ``tag`` now (``None``: not known)."""
        if self._engines is None:
            return None
        if self._source is not None and primary_language(self._source) == primary_language(tag):
            return True
        return self.route(tag) is not None

    def way(self, tag: str) -> str:
        """How ``tag`` will be translated, in words of the UI."""
        if self._source is not None and primary_language(self._source) == primary_language(tag):
            return self.tr("the spoken language, nothing to translate")
        if self._engines is None:
            return self.tr("known once the workers run")
        route = self.route(tag)
        if route is None:
            return self.tr("not available")
        return self.tr(WAYS[route.kind])

    # -- the list -----------------------------------------------------------------------------

    def _fill(self) -> None:
        entries = []
        for tag in offered_languages():
            name = language_name(tag, self.ui_language)
            english = language_name(tag, "en")
            entries.append((self.available(tag), name, english, tag))
        entries.sort(key=lambda e: (e[0] is not True, e[1].casefold()))
        self.languages.clear()
        for available, name, english, tag in entries:
            mark = f"{MARK} " if available else "    "
            item = QStandardItem(f"{mark}{name} — {tag}")
            item.setData(f"{name} {english} {tag}", SEARCH_ROLE)
            item.setData(tag, TAG_ROLE)
            item.setData(available, AVAILABLE_ROLE)
            if available is not None:
                item.setToolTip(self.way(tag))
            self.languages.appendRow(item)
        self._show_ways()

    def show_all(self) -> None:
        """Open the whole list (after the languages already typed)."""
        self.setFocus()
        if self.text().strip() and not self.text().rstrip().endswith(","):
            self.setText(self.text().rstrip() + ", ")
        self._completer.before = split_entries(self.text())
        self._completer.setCompletionPrefix("")
        self._completer.complete()

    def entries(self) -> list[tuple[str, str, bool | None]]:
        """What the list shows: (text, tag, available) per entry, in order."""
        return [
            (
                str(self.languages.item(row).data(Qt.ItemDataRole.DisplayRole)),
                str(self.languages.item(row).data(TAG_ROLE)),
                self.languages.item(row).data(AVAILABLE_ROLE),
            )
            for row in range(self.languages.rowCount())
        ]

    def matches(self, typed: str) -> list[str]:
        """The tags the popup lists for ``typed`` (the word after the last comma)."""
        self._completer.setCompletionPrefix(self._completer.splitPath(typed)[0])
        found = self._completer.completionModel()
        return [str(found.index(row, 0).data(TAG_ROLE)) for row in range(found.rowCount())]

    # -- the ways line ------------------------------------------------------------------------

    def tags(self) -> list[str]:
        """The languages typed, as tags (a name or tag not understood is left out)."""
        tags: list[str] = []
        for entry in split_entries(self.text()):
            try:
                tags.append(parse_language(entry, self.ui_language))
            except UnknownLanguage:
                continue
        return list(dict.fromkeys(tags))

    def _show_ways(self) -> None:
        parts = []
        for tag in self.tags():
            available = self.available(tag)
            mark = {True: f"{MARK} ", False: "✗ ", None: ""}[available]
            parts.append(f"{mark}{language_name(tag, self.ui_language)}: {self.way(tag)}")
        self.ways.setText("  ·  ".join(parts))
        self.ways_changed.emit()
        self.ways.setToolTip(
            "\n".join(
                f"{language_name(t, self.ui_language)}: {r.describe()}"
                for t in self.tags()
                if (r := self.route(t)) is not None
            )
        )

    def wanted_download(self) -> TranslationEntry | None:
        """The model that would serve the first language typed that the workers cannot
        translate into now (the Opus-MT pair from the spoken language, English when it is
        detected), or None."""
        for tag in self.tags():
            if self.available(tag) is False:
                source = primary_language(self._source or "en")
                return opus_mt(source, primary_language(tag))
        return None

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt override)
        """Ask for a fresh answer from the workers when the user comes to the field."""
        super().focusInEvent(event)
        self.refresh_wanted.emit()
