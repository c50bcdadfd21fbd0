"""The Review table's columns and the cue flags' short names, colours and counts.

Kept apart from the view model so the table, the waveform and the tests can name a column
without the view model, and the view model can re-export them without an import loop.
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import QCoreApplication, Qt

from vt_desktop.core.review import EMPTY, STALE, ReviewSession
from vt_desktop.core.subtitles import DOUBTFUL, PIVOTED, SUSPECT, UNRECOGNISED
from vt_desktop.ui.i18n import QT_TRANSLATE_NOOP

__all__ = [
    "COLUMNS",
    "DOUBT_BACKGROUND",
    "DOUBT_TEXT",
    "EDITABLE",
    "FLAGGED_BACKGROUND",
    "FLAGGED_TEXT",
    "FLAG_NAMES",
    "RICH_TEXT_ROLE",
    "flag_counts",
    "flag_name",
]

COLUMNS = (
    "#",
    QT_TRANSLATE_NOOP("CuesTableModel", "Flags"),
    QT_TRANSLATE_NOOP("CuesTableModel", "Source"),
    QT_TRANSLATE_NOOP("CuesTableModel", "Translation"),
    QT_TRANSLATE_NOOP("CuesTableModel", "Start"),
    QT_TRANSLATE_NOOP("CuesTableModel", "End"),
)
EDITABLE = {"Source": "source", "Translation": "text", "Start": "start", "End": "end"}
#: Light-palette colours (``theme.colour`` gives the dark partner): flagged row, flag text.
FLAGGED_BACKGROUND = "#fef2f2"
FLAGGED_TEXT = "#b91c1c"
#: A doubtful word: amber behind, warning-brown text (light palette).
DOUBT_BACKGROUND = "#fef3c7"
DOUBT_TEXT = "#b45309"
# Each flag's short name, for the Flags column, the filter and the status line.
FLAG_NAMES = {
    "cps": QT_TRANSLATE_NOOP("CuesTableModel", "too fast"),
    "too_long_line": QT_TRANSLATE_NOOP("CuesTableModel", "line too long"),
    "too_many_lines": QT_TRANSLATE_NOOP("CuesTableModel", "too many lines"),
    "too_short": QT_TRANSLATE_NOOP("CuesTableModel", "too short"),
    "too_long": QT_TRANSLATE_NOOP("CuesTableModel", "too long"),
    "untranslated": QT_TRANSLATE_NOOP("CuesTableModel", "untranslated"),
    UNRECOGNISED: QT_TRANSLATE_NOOP("CuesTableModel", "unrecognised gap"),
    SUSPECT: QT_TRANSLATE_NOOP("CuesTableModel", "suspect"),
    DOUBTFUL: QT_TRANSLATE_NOOP("CuesTableModel", "doubtful words"),
    PIVOTED: QT_TRANSLATE_NOOP("CuesTableModel", "via English"),
    EMPTY: QT_TRANSLATE_NOOP("CuesTableModel", "no text"),
    STALE: QT_TRANSLATE_NOOP("CuesTableModel", "source changed"),
}


def flag_name(flag: str) -> str:
    """A flag's short name in the window's language."""
    return QCoreApplication.translate("CuesTableModel", FLAG_NAMES.get(flag, flag))


def flag_counts(session: ReviewSession) -> Counter[str]:
    """How many cues carry each flag, in the order of :data:`FLAG_NAMES`."""
    counts = Counter(f for c in session.cues for f in c.flags)
    order = list(FLAG_NAMES)
    return Counter(dict(sorted(counts.items(), key=lambda kv: (
        order.index(kv[0]) if kv[0] in order else len(order), kv[0]))))  # fmt: skip


#: The item data role of a cell's text as HTML with its doubtful words marked (None: plain).
RICH_TEXT_ROLE = Qt.ItemDataRole.UserRole + 1
