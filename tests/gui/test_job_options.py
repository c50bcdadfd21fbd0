"""The job options form: the Jobs page and the Settings dialog show the same form, its choices
are the job vocabulary, and what one saves the other shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox

from tests.gui.conftest import settings_in
from vt_desktop.core.jobs.options import ENGINE_NAMES, OUTPUT_FORMATS, SPEECH_MODELS
from vt_desktop.ui.common.job_options import JobOptionsForm
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.settings.dialog import SettingsDialog
from vt_desktop.ui.view_model import RuntimeViewModel


def choices(combo: QComboBox) -> list[object]:
    return [combo.itemData(i) for i in range(combo.count())]


@pytest.mark.usefixtures("qt_loop")
def test_the_jobs_page_and_settings_offer_the_vocabulary_s_choices(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    window = MainWindow(RuntimeViewModel(settings))
    dialog = SettingsDialog(settings)
    try:
        forms = [window.jobs_view.options, dialog.job_options]
        for form in forms:
            assert isinstance(form, JobOptionsForm)
            assert choices(form.engine) == [None, *ENGINE_NAMES]
            assert choices(form.model) == [None, *SPEECH_MODELS]
            assert list(form.formats) == list(OUTPUT_FORMATS)
        jobs, defaults = forms
        assert [jobs.engine.itemText(i) for i in range(jobs.engine.count())] == [
            defaults.engine.itemText(i) for i in range(defaults.engine.count())
        ], "one set of labels"
        assert not jobs.model.isEditable() and defaults.model.isEditable()
    finally:
        dialog.deleteLater()
        window.deleteLater()


@pytest.mark.usefixtures("qt_loop")
def test_options_saved_in_settings_are_what_a_new_jobs_page_shows(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    dialog = SettingsDialog(settings)
    form = dialog.job_options
    form.engine.setCurrentIndex(form.engine.findData("bergamot"))
    form.model.setEditText("Systran/faster-whisper-small")  # typed: not one of the list
    form.folder.set_text(str(tmp_path / "subs"))
    form.formats["ass"].setChecked(True)
    form.burn_in.setChecked(True)
    assert dialog.save()

    window = MainWindow(RuntimeViewModel(settings))
    try:
        assert window.jobs_view.options.values() == {
            "engine": "bergamot",
            "asr_model": "Systran/faster-whisper-small",
            "output_dir": tmp_path / "subs",
            "output_formats": ["srt", "vtt", "ass", "mkv"],
            "burn_in": True,
        }
    finally:
        window.deleteLater()
