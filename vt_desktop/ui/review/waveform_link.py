"""What keeps the Review page's waveform (:mod:`vt_desktop.ui.review.waveform`) showing its job.

The waveform widget knows only envelopes, cue times and the mouse; this link reads the open
job's envelope from its folder, or has it made once from the source in a thread (see
:mod:`vt_desktop.core.review.waveform`: kept only while the job is), gives it the cues after
every edit, and turns a dropped edge into one undoable edit, made by
:func:`~vt_desktop.core.review.edits.set_time` as *Set start*/*Set end* make theirs.
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import QObject
from shiboken6 import isValid

from vt_desktop.core.review import ReviewSession
from vt_desktop.core.review.edits import set_time
from vt_desktop.ui.review.view_model import ReviewViewModel
from vt_desktop.ui.review.waveform import WaveformView

log = logging.getLogger(__name__)


class WaveformLink(QObject):
    """Keeps a waveform showing the Review page's open job: its envelope (read or made in a
    thread), its cues after every edit; turns a dropped edge into an undoable edit."""

    def __init__(self, waveform: WaveformView, review: ReviewViewModel) -> None:
        super().__init__(waveform)
        self.waveform = waveform
        self.review = review
        self._job: str | None = None
        self.loading: asyncio.Task[None] | None = None
        review.session_opened.connect(self._on_review_session_opened)
        review.cue_edited.connect(self._show_cues)
        review.cues_edited.connect(self._show_cues)
        review.rows_changed.connect(self._show_cues)
        waveform.edge_dragged.connect(self._on_waveform_edge_dragged)

    def _on_review_session_opened(self, session: ReviewSession) -> None:
        if session.record.id != self._job:  # another language of one job: the same audio
            self._job = session.record.id
            if self.loading is not None:
                self.loading.cancel()
            self.waveform.reset()
            self.waveform.set_envelope(None, self.tr("Reading the audio…"))
            self.loading = asyncio.ensure_future(self._load(session))
        self._show_cues()

    async def _load(self, session: ReviewSession) -> None:
        # Imported here: the envelope brings numpy and PyAV, which the window's first paint
        # does not need (tests/gui/test_fast_start.py).
        # Made here, it is kept only while the job is: removed meanwhile, it leaves no file.
        from vt_desktop.core.review.waveform import review_envelope

        job = session.record.id
        try:
            envelope = await asyncio.to_thread(review_envelope, session.store, session.record)
        except Exception as exc:  # a missing or unreadable source: no waveform, no harm
            log.info("review: no waveform for job %s: %s", job, exc)
            if self._job == job and isValid(self.waveform):
                self.waveform.set_envelope(None, self.tr("No waveform: the audio cannot be read."))
            return
        if self._job == job and isValid(self.waveform):  # the page may have closed meanwhile
            self.waveform.set_envelope(envelope)

    def _show_cues(self, *_args: object) -> None:
        session = self.review.session
        cues = [(c.start, c.end) for c in session.cues] if session else []
        self.waveform.set_cues(cues, session.duration_s if session else None)

    def _on_waveform_edge_dragged(self, row: int, field: str, seconds: float) -> None:
        label = (
            self.tr("Drag the start of cue {number}")
            if field == "start"
            else self.tr("Drag the end of cue {number}")
        ).format(number=row + 1)
        if not self.review.change(row, label, lambda s: set_time(s, row, field, seconds)):
            self._show_cues()  # refused: the edge goes back
