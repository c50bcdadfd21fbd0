"""Open with… / files on the command line: ``videotranslator FILE…`` queues the files with
the window's options, as a drop on the Jobs page does (refused ones named in its banner)."""

from __future__ import annotations

from pathlib import Path

from tests.gui.conftest import pump_until, settings_in
from tests.support.media import make_video
from vt_desktop.__main__ import parse_args
from vt_desktop.core.jobs.model import JobState
from vt_desktop.ui.app import queue_files
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.view_model import RuntimeViewModel


def test_files_given_at_launch_are_queued_and_the_bad_ones_refused(
    qt_loop: object, tmp_path: Path
) -> None:
    video = make_video(tmp_path / "jfk talk.mp4")
    text = tmp_path / "readme.txt"
    text.write_text("plain text")
    args = parse_args([str(video), str(text)])  # as the .desktop entry's %F passes them
    assert args.files == [video, text]

    window = MainWindow(RuntimeViewModel(settings_in(tmp_path)))
    window.show()
    try:
        window.show_page("Models")  # wherever the window is, the files go to Jobs
        queue_files(window, args.files)
        view = window.jobs_view
        assert window.current_page() == "Jobs"
        pump_until(lambda: view.table_model.rowCount() == 1, 30, "the video's row")
        pump_until(lambda: "readme.txt" in view.banner.message.text(), 30, "the refusal")
        assert "not a video or audio file" in view.banner.message.text()
        [record] = view._vm.store.jobs()
        assert record.spec.input == video.resolve()
        assert record.state is JobState.QUEUED  # no workers yet: it waits for them
    finally:
        window.close()
