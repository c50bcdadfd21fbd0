"""``python -m vt_desktop``: no display, worker dispatch, bad options, and --smoke."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from vt_desktop.__main__ import NO_DISPLAY_MESSAGE, main
from vt_desktop.core.supervisor.broker import free_port

ROOT = Path(__file__).resolve().parents[2]


def bare_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"}
    }
    env.update(extra)
    return env


def test_without_a_display_the_window_explains_and_exits_2(monkeypatch, capsys) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert main([]) == 2
    assert NO_DISPLAY_MESSAGE in capsys.readouterr().err
    assert "vt translate VIDEO --to de" in NO_DISPLAY_MESSAGE


def test_screenshot_needs_smoke(capsys) -> None:
    assert main(["--screenshot", "x.png"]) == 2
    assert "--screenshot only works with --smoke" in capsys.readouterr().err


def test_worker_flag_runs_the_worker_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vt_desktop", "--worker", "--help"],
        cwd=ROOT,
        env=bare_env(),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "VideoTranslator worker" in done.stdout
    assert "--worker-id" in done.stdout


@pytest.mark.slow
def test_smoke_starts_broker_and_worker_pings_saves_a_screenshot_and_exits_0(
    tmp_path: Path,
) -> None:
    shot = tmp_path / "shot.png"
    smoke = subprocess.Popen(
        [sys.executable, "-m", "vt_desktop", "--smoke", "--screenshot", str(shot)],
        cwd=ROOT,
        env=bare_env(VT_CONFIG_DIR=str(tmp_path / "config")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stdout, stderr = smoke.communicate(timeout=150)
    assert smoke.returncode == 0, stdout + stderr[-3000:]
    assert "smoke check passed: local-1 answered in" in stdout
    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1100, 720)
    for pattern in ("vt-smoke-", f"--parent-pid {smoke.pid}"):  # broker, workers
        left = subprocess.run(["pgrep", "-f", pattern], check=False, capture_output=True, text=True)
        assert left.stdout.strip() == "", f"a process matching {pattern!r} outlived the check"


@pytest.mark.slow
def test_sigterm_closes_the_running_window_cleanly_and_exits_0(tmp_path: Path) -> None:
    port = str(free_port())
    dirs = {name: str(tmp_path / name) for name in ("data", "cache", "logs", "config")}
    env = bare_env(
        QT_QPA_PLATFORM="offscreen",
        VT_CONFIG_DIR=dirs["config"],
        DATA_DIR=dirs["data"],
        CACHE_DIR=dirs["cache"],
        LOG_DIR=dirs["logs"],
        CONFIG_DIR=dirs["config"],
        RABBITMQ_PORT=port,
    )
    app_log = tmp_path / "logs" / "app.log"
    window = subprocess.Popen(
        [sys.executable, "-m", "vt_desktop"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while not (app_log.is_file() and "worker local-1 serving" in app_log.read_text()):
            assert window.poll() is None, f"the window exited early with {window.returncode}"
            assert time.monotonic() < deadline, "the worker did not come up in 90 s"
            time.sleep(0.2)
        window.send_signal(signal.SIGTERM)
        assert window.wait(timeout=60) == 0
    finally:
        if window.poll() is None:
            window.kill()
    text = app_log.read_text()
    assert "stopping private broker" in text
    assert "window closed" in text
    for pattern in (dirs["data"], f"--parent-pid {window.pid}"):
        left = subprocess.run(["pgrep", "-f", pattern], check=False, capture_output=True, text=True)
        assert left.stdout.strip() == "", f"a process matching {pattern!r} outlived the window"
