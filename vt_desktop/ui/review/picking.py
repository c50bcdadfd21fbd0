"""Picking the job and language to review on the Review page, asking first when the open
one has edits not exported.

:class:`ReviewPicking` is a base of the page (:class:`ReviewView`), which builds the pickers.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import QComboBox, QMessageBox

from vt_desktop.core.jobs.model import JobRecord
from vt_desktop.ui.review.editing import ReviewEditing

__all__ = ["ReviewPicking"]


class ReviewPicking(ReviewEditing):
    """The pickers' half of the Review page (the widgets are made by the page)."""

    job_combo: QComboBox
    lang_combo: QComboBox
    confirm_box: QMessageBox | None
    _jobs: list[JobRecord]

    def _update_buttons(self, *_args: object, busy: bool | None = None) -> None:
        """Enable what can be done now (the page overrides this)."""

    def _on_review_jobs_listed(self, jobs: list[JobRecord]) -> None:
        self._jobs = jobs
        current = self.review.session.record.id if self.review.session else None
        self.job_combo.blockSignals(True)
        self.job_combo.clear()
        for record in jobs:
            when = datetime.fromtimestamp(record.updated).strftime("%d %b %H:%M")
            label = f"{record.spec.input.name}  ·  {', '.join(record.spec.targets)}  ·  {when}"
            self.job_combo.addItem(label, record.id)
        self.job_combo.blockSignals(False)
        if not jobs:
            self._show_message(
                self.tr(
                    "No finished job yet: translate a video on the Jobs page, then review it here."
                ),
                "ReviewHint",
            )
            self._update_buttons()
            return
        if current is not None and self.job_combo.findData(current) >= 0:
            self._select(current, self.review.session.lang if self.review.session else None)
        elif self.review.session is None:
            self._request_open(jobs[0].id, jobs[0].spec.targets[0])

    def _select(self, job_id: str, lang: str | None) -> None:
        """Show ``job_id``/``lang`` in the pickers without reacting to the change."""
        record = next((r for r in self._jobs if r.id == job_id), None)
        for combo in (self.job_combo, self.lang_combo):
            combo.blockSignals(True)
        self.job_combo.setCurrentIndex(self.job_combo.findData(job_id))
        self.lang_combo.clear()
        for target in record.spec.targets if record else []:
            self.lang_combo.addItem(target, target)
        self.lang_combo.setCurrentIndex(max(0, self.lang_combo.findData(lang)))
        for combo in (self.job_combo, self.lang_combo):
            combo.blockSignals(False)

    def _on_job_combo_current_index_changed(self, index: int) -> None:
        job_id = self.job_combo.itemData(index)
        record = next((r for r in self._jobs if r.id == job_id), None)
        if record is not None:
            self._request_open(record.id, record.spec.targets[0])

    def _on_lang_combo_current_index_changed(self, index: int) -> None:
        lang = self.lang_combo.itemData(index)
        if self.review.session is not None and lang:
            self._request_open(self.review.session.record.id, str(lang))

    def _request_open(self, job_id: str, lang: str) -> None:
        session = self.review.session
        if session is not None and (session.record.id, session.lang) == (job_id, lang):
            if not self.review.dirty and self.review.threshold_changed():
                self._open(job_id, lang)  # the doubtful-word setting changed: mark afresh
                return
            self._select(job_id, lang)
            return
        if not self.review.dirty or session is None:
            self._open(job_id, lang)
            return
        self._select(session.record.id, session.lang)  # stay put until answered
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Unsaved edits"),
            self.tr("The edits to {file} ({language}) are not exported. Discard them?").format(
                file=session.record.spec.input.name, language=session.lang
            ),
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.button(QMessageBox.StandardButton.Save).setText(self.tr("Keep them for later"))
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _r, j=job_id, g=lang: self._on_confirm_box_finished(j, g))
        self.confirm_box = box
        box.open()

    def _on_confirm_box_finished(self, job_id: str, lang: str) -> None:
        box, self.confirm_box = self.confirm_box, None
        if box is None:
            return
        box.deleteLater()
        answer = box.standardButton(box.clickedButton())
        if answer == QMessageBox.StandardButton.Discard:
            self.review.discard()
        if answer in (QMessageBox.StandardButton.Discard, QMessageBox.StandardButton.Save):
            self._open(job_id, lang)

    def _open(self, job_id: str, lang: str) -> None:
        if self.review.open(job_id, lang):
            self._select(job_id, lang)
