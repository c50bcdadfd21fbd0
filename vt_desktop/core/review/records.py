"""The stored cue records: how a language's cues are kept in the job store, and read back.

The pipeline stores each language's laid-out cues as the ``cues-<lang>`` artifact (times,
lines, source text, flags, the recogniser's words); Review keeps its edits not yet exported
as ``review-draft-<lang>`` in the same shape. A job finished before cues were stored is read
back from its subtitle file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pysubs2

from vt_desktop.core.jobs.model import JobRecord
from vt_desktop.core.jobs.naming import subtitle_file
from vt_desktop.core.jobs.options import SUBTITLE_FORMATS
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.review.cues import ReviewCue, ReviewError
from vt_desktop.core.subtitles import DOUBTFUL, doubtful

__all__ = [
    "cue_from_record",
    "cue_records",
    "cues_from_file",
    "cues_key",
    "doubtful_lines",
    "draft_key",
    "fingerprint",
]


def cues_key(lang: str) -> str:
    """The store artifact holding a language's cues as last written (by the job or Export)."""
    return f"cues-{lang}"


def draft_key(lang: str) -> str:
    """The store artifact holding a language's edits not yet exported."""
    return f"review-draft-{lang}"


def fingerprint(value: Any) -> str:
    """A short digest of a stored artifact (as the store keeps it, JSON)."""
    text = json.dumps(value, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _squash(text: str) -> str:
    return "".join(text.split())


def _split_bilingual(lines: list[str], source: str) -> int:
    """How many of a bilingual cue's lines are its source text (0 when none match)."""
    for count in range(1, len(lines)):
        if _squash("".join(lines[:count])) == _squash(source):
            return count
    return 0


def cue_from_record(item: dict[str, Any], bilingual: bool) -> ReviewCue:
    """One stored cue record as a :class:`ReviewCue`."""
    lines = [str(line) for line in item["lines"]]
    source = str(item.get("source", ""))
    flags = frozenset(str(f) for f in item.get("flags", []))
    count = item.get("source_lines")
    if count is None:
        count = _split_bilingual(lines, source) if bilingual and "untranslated" not in flags else 0
    words = tuple((str(text), float(p)) for text, p in item.get("words", []))
    return ReviewCue(
        float(item["start"]),
        float(item["end"]),
        "\n".join(lines[count:]),
        source,
        flags,
        tuple(lines[:count]),
        words,
    )


def cue_records(cues: Sequence[ReviewCue], bilingual: bool, from_file: bool) -> dict[str, Any]:
    """Cues as Review stores them (``doubtful`` is left out: it follows the user's setting)."""
    return {
        "bilingual": bilingual,
        "edited": True,
        "from_file": from_file,
        "cues": [
            {"start": c.start, "end": c.end, "lines": list(c.source_lines + c.lines),
             "source": c.source, "flags": sorted(c.flags - {DOUBTFUL}),
             "source_lines": len(c.source_lines), "words": [list(w) for w in c.words]}
            for c in cues
        ],
    }  # fmt: skip


def cues_from_file(record: JobRecord, lang: str) -> list[ReviewCue]:
    """The cues of a job finished before cues were stored, read from its subtitle file.

    Raises:
        ReviewError: the file cannot be read, or there is none.
    """
    for fmt in SUBTITLE_FORMATS:
        name = subtitle_file(record.spec, lang, fmt).name
        path = next((Path(p) for p in record.outputs if Path(p).name == name), None)
        if path is None or not path.is_file():
            continue
        try:
            document = pysubs2.load(str(path), encoding="utf-8")
        except (pysubs2.Pysubs2Error, UnicodeDecodeError, ValueError) as exc:
            raise ReviewError(f"The subtitle file {path} cannot be read: {exc}") from exc
        return [
            ReviewCue(event.start / 1000, event.end / 1000, event.plaintext.strip())
            for event in document
            if event.plaintext.strip()
        ]
    raise ReviewError(
        f"Job {record.id} kept no {lang} cues and its {lang} subtitle file is gone: "
        "nothing to review."
    )


def doubtful_lines(store: JobStore, job_id: str, lang: str, threshold: float) -> tuple[int, int]:
    """How many of a job's cues in ``lang`` hold a doubtful word, and how many cues it has."""
    stored = store.artifact(job_id, cues_key(lang))
    if not isinstance(stored, dict):
        return 0, 0
    cues = [cue_from_record(item, False) for item in stored.get("cues", [])]
    return sum(1 for c in cues if doubtful(c.words, threshold)), len(cues)
