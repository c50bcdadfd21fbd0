"""Review of a finished job's subtitles: open a language's cues, edit them, redo lines, export.

Qt-free; the Review page drives it. Where each part lives:

* :mod:`.cues`: a cue under review, Review's own flags, times as typed;
* :mod:`.records`: how cues are stored in the job store (and read back from old jobs' files);
* :mod:`.session`: one job's cues in one language, its edits and drafts;
* :mod:`.edits`: editing as in a subtitle editor (split, merge, insert, delete, shift, undo);
* :mod:`.retranslate`: chosen lines translated again;
* :mod:`.heard`: the job's recognised words, and chosen lines recognised again (another model);
* :mod:`.dub`: chosen lines spoken again, and the dub brought up to date on Export;
* :mod:`.tracks`: the dub's packets kept and swapped, so a re-dubbed line changes only itself;
* :mod:`.export`: the cues written back to the job's files (and dub).
* :mod:`.waveform`: the envelope under the waveform, kept in the job's folder while the job is.

The names load on first use (PEP 562): the Review page imports this package before the
window's first paint, and the redo/dub/export parts pull in numpy, PyAV and the pipeline.
Take ``export`` from here, not from ``.export`` (whose loading binds the name to the module).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from vt_desktop.core.review.cues import (
    EMPTY,
    STALE,
    ReviewCue,
    ReviewError,
    describe_flag,
    doubtful_spans,
    format_time,
    parse_time,
)
from vt_desktop.core.review.records import doubtful_lines, draft_key
from vt_desktop.core.review.retranslate import RetranslateResult, retranslate
from vt_desktop.core.review.session import ReviewSession, reviewable_jobs

if TYPE_CHECKING:
    from vt_desktop.core.review.dub import redub
    from vt_desktop.core.review.export import ExportResult, export
    from vt_desktop.core.review.heard import rerecognise

__all__ = [
    "EMPTY",
    "STALE",
    "ExportResult",
    "RetranslateResult",
    "ReviewCue",
    "ReviewError",
    "ReviewSession",
    "describe_flag",
    "doubtful_lines",
    "doubtful_spans",
    "draft_key",
    "export",
    "format_time",
    "parse_time",
    "redub",
    "rerecognise",
    "retranslate",
    "reviewable_jobs",
]

#: Each name's submodule.
_HOME = {
    "ExportResult": "export",
    "export": "export",
    "redub": "dub",
    "rerecognise": "heard",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
        # Loading the submodule ``export`` bound the name to the module: the function wins.
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
