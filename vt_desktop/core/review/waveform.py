"""The envelope under the Review page's waveform, kept in the job's folder only while the job is.

A job run before envelopes were kept has its envelope made once from its source, in a thread
(:func:`review_envelope`); the job may be removed meanwhile (the Jobs page does not wait for
the Review page). The made envelope is therefore kept through
:meth:`~vt_desktop.core.jobs.store.JobStore.keep_job_file`, which writes it only while the job is
stored, under the lock its deletion takes: a job removed while its envelope was being made is
left with no folder and no file, and the envelope is still shown.
"""

from __future__ import annotations

import logging

from vt_desktop.core.jobs.model import JobRecord
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.media.envelope import (
    ENVELOPE_FILE,
    Envelope,
    compute_envelope,
    envelope_path,
    load_envelope,
    save_envelope,
)
from vt_desktop.core.media.intake import pick_audio_stream, probe

__all__ = ["review_envelope"]

log = logging.getLogger(__name__)

_NO_SIZE_LIMIT = 1 << 62


def review_envelope(store: JobStore, record: JobRecord) -> Envelope:
    """Job ``record``'s envelope: the one kept in its folder, else made from its source (one
    decode of the stream the job used, or the one chosen for its spoken language) and kept
    there while the job is still stored. Slow then: call it in a thread.

    Raises:
        IntakeError: there is none kept and the source cannot be decoded.
    """
    spec = record.spec
    if (envelope := load_envelope(envelope_path(store.path.parent, record.id))) is not None:
        return envelope
    stream_index = spec.audio_stream
    if stream_index is None:
        info = probe(spec.input, max_size=_NO_SIZE_LIMIT)
        stream_index = pick_audio_stream(info, [spec.source_language or ""]).index
    envelope = compute_envelope(spec.input, stream_index)
    try:
        kept = store.keep_job_file(
            record.id, ENVELOPE_FILE, lambda partial: save_envelope(envelope, partial)
        )
    except OSError as exc:
        log.warning("job %s: envelope not kept: %s", record.id, exc)
    else:
        if kept is None:
            log.info("job %s was removed while its envelope was made: not kept", record.id)
    return envelope
