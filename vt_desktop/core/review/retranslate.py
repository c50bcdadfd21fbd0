"""Re-translating chosen lines of a review session through the ``mt`` workers."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from vt_desktop.core.jobs.options import translates_speech
from vt_desktop.core.review.session import ReviewSession
from worker.protocol.errors import RpcError
from worker.protocol.mt import (
    MAX_CONTEXT,
    MAX_SENTENCES,
    TRANSLATE,
    TranslateParams,
    primary_subtag,
)
from worker.transport.client import RpcClient

__all__ = ["RETRANSLATE_TIMEOUT_S", "RetranslateResult", "retranslate"]

log = logging.getLogger(__name__)
RETRANSLATE_TIMEOUT_S = 120.0
CONTEXT_CUES = 3


@dataclass(frozen=True)
class RetranslateResult:
    """What a re-translation did: the rows it changed, and a sentence for the user."""

    changed: list[int]
    message: str
    ok: bool


async def retranslate(
    session: ReviewSession, rpc: RpcClient | None, rows: list[int]
) -> RetranslateResult:
    """Translate the source text of ``rows`` again through the ``mt`` service.

    A failed call, or a line the engine could not translate, keeps its old text; the
    result's message says why. Never raises for a failed call.
    """
    rows = sorted({r for r in rows if 0 <= r < len(session.cues)})
    refusal = _refusal(session, rpc, rows)
    if refusal is not None or rpc is None:
        return RetranslateResult([], refusal or "", False)
    source = session.source_language() or ""
    changed: list[int] = []
    problems: list[str] = []
    for first in range(0, len(rows), MAX_SENTENCES):
        batch = rows[first : first + MAX_SENTENCES]
        try:
            texts, warnings = await _translate(session, rpc, source, batch)
        except RpcError as exc:
            log.warning(
                "review %s/%s: re-translation failed: %s",
                session.record.id,
                session.lang,
                exc.message,
            )
            problems.append(f"Re-translation failed: {exc.message}. The old text is kept.")
            break
        problems.extend(warnings)
        for row, text in zip(batch, texts, strict=True):
            if text is not None and text.strip():
                before = session.cues[row]
                if session.edit_text(row, text) != before:
                    changed.append(row)
    return RetranslateResult(changed, _message(rows, changed, problems), not problems)


def _refusal(session: ReviewSession, rpc: RpcClient | None, rows: list[int]) -> str | None:
    if not rows:
        return "Select the lines to re-translate first."
    if rpc is None:
        return "The workers are not running, so nothing can be translated now."
    if translates_speech(session.record.spec.engine):
        return "This job was translated by Whisper while recognising; edit its lines by hand."
    if missing := [r + 1 for r in rows if not session.cues[r].source.strip()]:
        numbers = ", ".join(map(str, missing[:5]))
        return f"The source text of cue {numbers} is not known, so it cannot be translated again."
    if session.source_language() is None:
        return "The job's spoken language is not known, so it cannot be translated again."
    return None


async def _translate(
    session: ReviewSession, rpc: RpcClient, source: str, rows: list[int]
) -> tuple[list[str | None], list[str]]:
    sentences = [session.cues[r].source for r in rows]
    if primary_subtag(source) == primary_subtag(session.lang):
        return list(sentences), []
    before = session.cues[max(0, rows[0] - CONTEXT_CUES) : rows[0]]
    params = TranslateParams(
        engine=session.record.spec.engine,
        source_lang=source,
        target_lang=session.lang,
        sentences=sentences,
        context=[c.source for c in before if c.source][-MAX_CONTEXT:],
    )
    result = await rpc.call(
        TRANSLATE, params, timeout=RETRANSLATE_TIMEOUT_S, job_id=session.record.id
    )
    warnings = [
        f"Cue {', '.join(str(rows[i] + 1) for i in w.indexes)} kept its old text: {w.message}"
        for w in result.warnings
    ]
    return list(result.translations), warnings


def _message(rows: list[int], changed: list[int], problems: list[str]) -> str:
    done = f"{len(changed)} of {len(rows)} line(s) re-translated"
    return " ".join([done + ".", *problems]) if problems else done + "."
