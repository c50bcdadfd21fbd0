"""The Jobs page without workers: intake by drop, refusals in place, options remembered.

Real media (jfk.flac in a real H.264/AAC video) and the real intake probe; no runtime runs,
so accepted jobs wait in the job store until workers are up.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent

from tests.gui.conftest import pump_until, settings_in
from tests.support.media import make_video
from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.model import JobSpec, JobState
from vt_desktop.core.pipeline.recognise import GAPS
from vt_desktop.ui.jobs.options_card import parse_targets
from vt_desktop.ui.jobs.table import format_eta
from vt_desktop.ui.jobs.view import JobsView
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.view_model import RuntimeViewModel


def drop_files(view: JobsView, paths: list[Path]) -> None:
    """Drag ``paths`` over the page and drop them, the way a file manager does (URLs).

    Qt delivers a drop only to the target of a drag it runs itself, so the page's own
    handlers are called with the events a real drag would bring.
    """
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)  # fmt: skip
    enter = QDragEnterEvent(QPoint(40, 40), *args)
    view.dragEnterEvent(enter)
    assert enter.isAccepted(), "the page takes files"
    assert view.drop_zone.property("hovered") is True
    view.dropEvent(QDropEvent(QPointF(40, 40), *args))
    assert view.drop_zone.property("hovered") is False


@pytest.fixture
def window(qt_loop, tmp_path: Path):
    win = MainWindow(RuntimeViewModel(settings_in(tmp_path)))
    win.show()
    yield win
    win.close()


@pytest.fixture(scope="module")
def jfk_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("media") / "jfk talk.mp4")


def test_the_jobs_page_comes_first_and_starts_empty(window: MainWindow) -> None:
    assert next(iter(window.pages)) == "Jobs"
    assert window.current_page() == "Jobs"
    view = window.jobs_view
    assert view.table_model.rowCount() == 0
    assert view.banner.isHidden() and view.notice.isHidden()
    assert view.queue_label.text() == "Workers are not running: new jobs wait here."


def test_a_refused_drop_shows_each_reason_on_the_page_and_queues_nothing(
    window: MainWindow, tmp_path: Path
) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video, only text with a video's name")
    text = tmp_path / "readme.txt"
    text.write_text("plain text")
    view = window.jobs_view

    drop_files(view, [fake, text])
    pump_until(lambda: view.banner.message.text().count("\n") == 1, 20, "both refusals")

    lines = view.banner.message.text().split("\n")
    assert "notes.mp4" in lines[0] and "not a video or audio file" in lines[0]
    assert "readme.txt" in lines[1] and "not a video or audio file" in lines[1]
    assert view.banner.isVisible()
    assert view.table_model.rowCount() == 0
    assert window.jobs_view._vm.store.jobs() == []


def test_a_video_dropped_before_the_workers_run_waits_in_the_queue_with_the_options(
    window: MainWindow, jfk_video: Path, tmp_path: Path
) -> None:
    view = window.jobs_view
    view.targets.setText("pt, de")
    view.engine.setCurrentIndex(view.engine.findData("bergamot"))
    view.formats["mkv"].setChecked(False)
    view.dub.setChecked(True)

    drop_files(view, [jfk_video])
    pump_until(lambda: view.table_model.rowCount() == 1, 20, "the job's row")

    record = view._vm.store.jobs()[0]
    assert record.state is JobState.QUEUED
    assert record.spec.input == jfk_video.resolve()
    assert record.spec.targets == ["pt", "de"]
    assert record.spec.engine == "bergamot"
    assert record.spec.formats == ["srt", "vtt"]
    assert record.spec.dub and record.spec.dub_mode == "duck"
    assert record.spec.out_dir == jfk_video.parent.resolve()  # beside the input by default
    model = view.table_model
    cells = [model.index(0, c).data() for c in range(model.columnCount())]
    assert cells == ["jfk talk.mp4", "pt, de", "—", "0 %", "—", "Waiting for workers", ""]
    assert set(view.row_buttons(record.id)) == {"Cancel"}
    assert view.banner.isHidden()


def test_cancel_retry_and_remove_work_on_a_waiting_job(window: MainWindow, jfk_video: Path) -> None:
    view = window.jobs_view
    drop_files(view, [jfk_video])
    pump_until(lambda: view.table_model.rowCount() == 1, 20, "the job's row")
    job_id = view._vm.store.jobs()[0].id

    view.row_buttons(job_id)["Cancel"].click()
    assert view._vm.store.get(job_id).state is JobState.CANCELLED
    assert view.table_model.index(0, 5).data() == "Cancelled"
    assert set(view.row_buttons(job_id)) == {"Retry", "Remove"}
    assert "cancelled" in view.notice.message.text()

    view.row_buttons(job_id)["Retry"].click()
    assert view._vm.store.get(job_id).state is JobState.QUEUED
    view.row_buttons(job_id)["Cancel"].click()
    view.row_buttons(job_id)["Remove"].click()
    assert view.table_model.rowCount() == 0
    assert view._vm.store.jobs() == []


def test_a_done_job_with_gaps_offers_to_retry_them(window: MainWindow, jfk_video: Path) -> None:
    """A job whose segment was given up ended done with a gap; its row says so and its
    Retry gaps queues it again (the runner then sends only the missing segment)."""
    view = window.jobs_view
    drop_files(view, [jfk_video])
    pump_until(lambda: view.table_model.rowCount() == 1, 20, "the job's row")
    store = view._vm.store
    job_id = store.jobs()[0].id
    store.put_artifact(job_id, GAPS, {"0": {"start": 0.0, "end": 11.0, "reason": "crashed",
                                            "poison": True}})  # fmt: skip
    store.update(job_id, state=JobState.DONE, warnings=["segment 1 (0:00–0:11) … gap"])
    view._vm._refresh(job_id)
    assert set(view.row_buttons(job_id)) == {"Review", "Retry gaps", "Open folder", "Remove"}
    view.row_buttons(job_id)["Retry gaps"].click()
    assert store.get(job_id).state is JobState.QUEUED

    store.put_artifact(job_id, GAPS, {})  # its next run filled the gap
    store.update(job_id, state=JobState.DONE, warnings=[])
    view._vm._refresh(job_id)
    assert set(view.row_buttons(job_id)) == {"Review", "Open folder", "Remove"}


def test_transcript_only_needs_no_target_and_queues_a_transcript(
    window: MainWindow, jfk_video: Path
) -> None:
    view = window.jobs_view
    view.targets.setText("")  # no target typed at all
    view.transcribe.setChecked(True)
    assert not view.targets.isEnabled()
    drop_files(view, [jfk_video])
    pump_until(lambda: view.table_model.rowCount() == 1, 20, "the job's row")
    [record] = view._vm.store.jobs()
    assert (record.spec.transcribe, record.spec.targets) == (True, [])
    row = view.table_model.row(record.id)
    assert row is not None and row.languages == "transcript"
    assert view._vm.settings.transcribe, "the choice is remembered"
    view.transcribe.setChecked(False)
    assert view.targets.isEnabled()


def test_bad_target_languages_are_explained_and_nothing_is_queued(
    window: MainWindow, jfk_video: Path
) -> None:
    view = window.jobs_view
    view.targets.setText("pt, Portuguese!")
    view.targets.editingFinished.emit()
    assert view.targets_error.isVisible()
    assert "'Portuguese!' is not a language code" in view.targets_error.text()
    assert window.jobs_view._vm.settings.targets == ["pt"], "the bad value is not saved"

    drop_files(view, [jfk_video])
    pump_until(view.banner.isVisible, 5, "the banner")
    assert view.banner.message.text().startswith("Nothing was queued:")
    assert view._vm.store.jobs() == []


def test_the_chosen_options_are_saved_and_a_new_window_shows_them(
    qt_loop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_in(tmp_path)
    first = MainWindow(RuntimeViewModel(settings))
    view = first.jobs_view
    view.targets.setText("pt")
    view.targets.editingFinished.emit()
    view.source.setCurrentIndex(view.source.findData("en"))
    view.engine.setCurrentIndex(view.engine.findData("bergamot"))
    view.model.setCurrentIndex(view.model.findData("tiny.en"))
    view.formats["ass"].setChecked(True)
    view.formats["vtt"].setChecked(False)
    view.burn_in.setChecked(True)
    view.bilingual.setChecked(True)
    assert not view.dub_mode.isEnabled(), "the dub mode waits for the dub box"
    view.dub.setChecked(True)
    assert view.dub_mode.isEnabled()
    view.dub_mode.setCurrentIndex(view.dub_mode.findData("replace"))
    view.output.setText(str(tmp_path / "subs"))
    view._on_output_reset_clicked()  # back to "beside the input"
    view.output.setText(str(tmp_path / "subs"))
    view.targets.editingFinished.emit()
    first.close()

    monkeypatch.setenv("VT_CONFIG_DIR", str(settings.config_dir))
    reloaded = AppSettings()  # reads config/settings.toml as the app does at start
    assert reloaded.targets == ["pt"]
    assert reloaded.source_language == "en"
    assert reloaded.engine == "bergamot"
    assert reloaded.asr_model == "tiny.en"
    assert reloaded.output_formats == ["srt", "ass", "mkv"]
    assert reloaded.burn_in and reloaded.bilingual
    assert reloaded.dub and reloaded.dub_mode == "replace"
    assert reloaded.output_dir == tmp_path / "subs"

    again = MainWindow(RuntimeViewModel(settings_in(tmp_path))).jobs_view
    assert again.targets.text() == "pt"
    assert again.source.currentData() == "en"
    assert again.engine.currentData() == "bergamot"
    assert again.model.currentData() == "tiny.en"
    assert [f for f, box in again.formats.items() if box.isChecked()] == ["srt", "ass", "mkv"]
    assert again.burn_in.isChecked() and again.bilingual.isChecked()
    assert again.dub.isChecked() and again.dub_mode.currentData() == "replace"
    assert again.output.text() == str(tmp_path / "subs")


def test_target_languages_are_parsed_by_the_jobs_own_rules() -> None:
    assert parse_targets("pt, de pt-BR,,pt") == ["pt", "de", "pt-BR"]
    with pytest.raises(ValueError, match="at least one target language"):
        parse_targets(" , ")
    with pytest.raises(ValueError, match="'xyzzy' is not a language code or a language name"):
        parse_targets("xyzzy")
    assert parse_targets("German, Brazilian Portuguese") == ["de", "pt-BR"]
    assert parse_targets("Немецкий, Китайский (традиционная)", "ru") == ["de", "zh-Hant"]
    # One rule for the page and the job: twenty languages at most, counted after repeats go.
    many = ["de", "fr", "es", "it", "pt", "nl", "pl", "ru", "uk", "cs", "sk", "sl", "hr", "sr"]
    many += ["bg", "ro", "hu", "fi", "sv", "da"]
    assert len(parse_targets(", ".join([*many, "de"]))) == 20
    with pytest.raises(ValueError, match="21 target languages; one job takes at most 20"):
        parse_targets(", ".join([*many, "no"]))
    with pytest.raises(ValidationError, match="one job takes at most 20"):
        JobSpec(input=Path("a.mp4"), targets=[*many, "no"], out_dir=Path("."))


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "—"), (0.4, "0:00"), (75, "1:15"), (3725, "1:02:05")]
)
def test_eta_reads_as_minutes_and_seconds(seconds: float | None, text: str) -> None:
    assert format_eta(seconds) == text
