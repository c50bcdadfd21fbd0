"""``--smoke``: prove an install works end to end, in a throwaway folder.

Opens the window (offscreen when there is no display), starts a private broker and one
worker, pings it, optionally saves a screenshot, stops everything and reports. The run
never touches the user's own data, config, cache or broker: it uses a temporary folder and
a free port.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from vt_desktop.core.config import AppSettings
from vt_desktop.core.runtime import PingReply
from vt_desktop.core.supervisor.broker import free_port
from vt_desktop.ui.app import create_application, run_on_qt_loop
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.view_model import RuntimeViewModel

log = logging.getLogger(__name__)


def isolated_settings(base: AppSettings, folder: Path, workers: int = 1) -> AppSettings:
    """``base`` moved into ``folder``: own data/cache/log/config dirs, a free port, local mode."""
    return base.model_copy(
        update={
            "mode": "local",
            "workers": workers,
            "data_dir": folder / "data",
            "cache_dir": folder / "cache",
            "log_dir": folder / "logs",
            "config_dir": folder / "config",
            "rabbitmq_port": free_port(),
            "rabbitmq_url": None,
            "client_id": "",
        }
    )


@dataclass
class BringUp:
    """What happened while starting the runtime and pinging (times in seconds from start)."""

    replies: list[PingReply] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    started_s: float = 0.0
    online_s: float = 0.0
    first_ping_s: float = 0.0

    @property
    def ok(self) -> bool:
        """True when a worker answered and nothing failed."""
        return bool(self.replies) and not self.errors


async def bring_up(view_model: RuntimeViewModel, online_timeout: float = 60.0) -> BringUp:
    """Start the runtime, wait for one worker, ping it; failures land in ``errors``."""
    result = BringUp()
    view_model.runtime_failed.connect(result.errors.append)
    view_model.ping_failed.connect(result.errors.append)
    began = time.perf_counter()
    await view_model.start()
    if not view_model.is_active:
        return result
    result.started_s = time.perf_counter() - began
    try:
        await view_model.wait_for_workers(1, timeout=online_timeout)
    except TimeoutError as exc:
        result.errors.append(f"no worker came online within {online_timeout:.0f} s ({exc})")
        return result
    result.online_s = time.perf_counter() - began
    result.replies = await view_model.ping()
    result.first_ping_s = time.perf_counter() - began
    return result


async def settle(seconds: float = 0.3) -> None:
    """Let the Qt loop lay out and paint for a moment (e.g. before a screenshot)."""
    await asyncio.sleep(seconds)


async def _smoke(settings: AppSettings, screenshot: Path | None) -> BringUp:
    view_model = RuntimeViewModel(settings)
    window = MainWindow(view_model)
    window.show()
    try:
        result = await bring_up(view_model)
        if result.ok and screenshot is not None:
            await settle()
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(str(screenshot)):
                result.errors.append(f"could not write the screenshot to {screenshot}")
    finally:
        await view_model.stop()
        window.close()
    return result


def run_smoke(settings: AppSettings, screenshot: Path | None = None) -> int:
    """Run the smoke check; print what happened; 0 when a worker answered, else 1."""
    app = create_application()
    with tempfile.TemporaryDirectory(prefix="vt-smoke-") as folder:
        isolated = isolated_settings(settings, Path(folder))
        result = run_on_qt_loop(app, _smoke(isolated, screenshot))
    if not result.ok:
        for error in result.errors or ["no worker answered the ping"]:
            print(f"smoke check failed: {error}")
        return 1
    for reply in result.replies:
        print(f"smoke check passed: {reply.worker_id} answered in {reply.rtt_ms:.1f} ms")
    print(
        f"broker ready after {result.started_s:.1f} s, worker online after "
        f"{result.online_s:.1f} s, first ping answered after {result.first_ping_s:.1f} s"
    )
    if screenshot is not None:
        print(f"screenshot saved to {screenshot}")
    return 0
