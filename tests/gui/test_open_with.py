"""Open with… / files on the command line: ``videotranslator FILE…`` queues the files with
the window's options, as a drop on the Jobs page does (refused ones named in its banner)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.gui.conftest import pump_until, settings_in
from tests.support.media import make_video
from vt_desktop.__main__ import parse_args
from vt_desktop.core.jobs.model import JobState
from vt_desktop.core.jobs.store import JobStore
from vt_desktop.core.supervisor.broker import free_port
from vt_desktop.ui.app import LISTENING_LINE, queue_files
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.single_instance import InstanceServer, hand_over, instance_key
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


def test_a_second_launch_hands_its_files_to_the_running_window_and_exits(
    qt_loop: object, tmp_path: Path
) -> None:
    """The second process starts no window and no broker: the first takes the files."""
    data = tmp_path / "data"
    server = InstanceServer(instance_key(data))
    assert server.listen()
    received: list[list[Path]] = []
    server.files_received.connect(received.append)
    video = tmp_path / "talk.mp4"
    env = dict(os.environ, DATA_DIR=str(data), LOG_DIR=str(tmp_path / "logs"),
               VT_CONFIG_DIR=str(tmp_path / "config"), QT_QPA_PLATFORM="offscreen")  # fmt: skip
    second = subprocess.Popen(
        [sys.executable, "-m", "vt_desktop", str(video)],
        env=env, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        pump_until(lambda: second.poll() is not None, 60, "the second launch to hand over")
    finally:
        if second.poll() is None:
            second.kill()
    assert second.stderr is not None
    assert second.returncode == 0, second.stderr.read()
    assert "the window already open took the files" in second.stderr.read()
    assert received == [[video]]
    assert not (data / "broker").exists(), "the second launch started no broker"


def test_a_launch_finds_no_window_behind_a_stale_socket_and_takes_the_name(
    qt_loop: object, tmp_path: Path
) -> None:
    """A window killed outright leaves its socket behind: nobody answers there, so the next
    launch is the window and listens on that name."""
    key = instance_key(tmp_path / "data")
    crashed = subprocess.run(
        [sys.executable, "-c",
         "import os, signal, sys\n"
         "from PySide6.QtNetwork import QLocalServer\n"
         "s = QLocalServer(); assert s.listen(sys.argv[1]); print(s.fullServerName(), flush=True)\n"
         "os.kill(os.getpid(), signal.SIGKILL)\n", key],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert crashed.returncode == -9
    assert Path(crashed.stdout.strip()).exists(), "the dead window's socket is left"
    assert not hand_over(key, [tmp_path / "a.mp4"], timeout_ms=500)
    again = InstanceServer(key)
    assert again.listen()


def test_the_real_window_takes_a_second_launchs_video(tmp_path: Path) -> None:
    """Two real processes: the first window (offscreen, its own broker and worker), then
    ``videotranslator VIDEO``: the video is queued in the first window's job store and the
    second process exits at once."""
    video = make_video(tmp_path / "jfk talk.mp4")
    data = tmp_path / "data"
    env = dict(
        os.environ,
        DATA_DIR=str(data),
        LOG_DIR=str(tmp_path / "logs"),
        CACHE_DIR=str(tmp_path / "cache"),
        VT_CONFIG_DIR=str(tmp_path / "config"),
        QT_QPA_PLATFORM="offscreen",
        WORKERS="1",
        RABBITMQ_PORT=str(free_port()),
    )
    first = subprocess.Popen([sys.executable, "-m", "vt_desktop"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        log = tmp_path / "logs" / "app.log"
        listening = LISTENING_LINE.split("%s")[0]  # the first window serves second launches
        while not (log.exists() and listening in log.read_text(errors="replace")):
            assert first.poll() is None, "the first window exited"
            assert time.monotonic() < deadline, "the first window did not start"
            time.sleep(0.5)
        second = subprocess.run(
            [sys.executable, "-m", "vt_desktop", str(video)],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert second.returncode == 0, second.stderr
        assert "the window already open took the files" in second.stderr
        store = JobStore(data / "jobs.sqlite3")
        deadline = time.monotonic() + 60
        while not [r for r in store.jobs() if r.spec.input == video.resolve()]:
            assert time.monotonic() < deadline, "the handed-over video was not queued"
            time.sleep(0.5)
        assert "a second launch handed over 1 file(s)" in log.read_text(errors="replace")
    finally:
        first.terminate()
        try:
            first.wait(60)
        except subprocess.TimeoutExpired:
            first.kill()
