"""``--smoke``: prove an install works end to end, in a throwaway folder.

Opens the window (offscreen when there is no display), starts a private broker and one
worker, pings it, translates a 5-second clip made from the speech sample in ``resources/``
(tiny.en, then Bergamot into Portuguese, written as SRT and as an MKV with a subtitle track),
opens that MKV with QtMultimedia, optionally saves a screenshot, stops everything and
reports. The run never writes to the user's own data, config, cache or broker: it works in
a temporary folder on a free port and only reads the speech model from the user's model
cache (or, from source, from the package that ships it). Nothing is downloaded.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.model import JobRecord, JobSpec, JobState
from vt_desktop.core.pipeline.queue import JobQueue
from vt_desktop.core.runtime import AppRuntime, PingReply
from vt_desktop.core.supervisor.broker import free_port
from vt_desktop.devtools.smoke_media import SmokeError, check_playback, make_clip, subtitle_text
from vt_desktop.ui import resources
from vt_desktop.ui.app import create_application, run_on_qt_loop
from vt_desktop.ui.main_window import MainWindow
from vt_desktop.ui.view_model import RuntimeViewModel
from worker.engines.models.manager import ModelManager
from worker.protocol.errors import ModelUnavailable

log = logging.getLogger(__name__)
#: 5 s of public-domain speech (J. F. Kennedy, 1961): "And so, my fellow Americans, ask not".
SAMPLE = "samples/speech-en-5s.opus"
#: Any faithful Portuguese translation of the sample keeps this stem ("americanos").
SAMPLE_KEYWORD = "americ"
SPEECH_MODEL = "tiny.en"
TARGET = "pt"
JOB_TIMEOUT = 300.0


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


def find_speech_model(cache_dir: Path, name: str = SPEECH_MODEL) -> Path:
    """The local directory of speech model ``name``, read-only (never fetched or assembled).

    Looks in the user's model cache, then in installed packages that ship it (a frozen build
    bundles no such package, so there only the cache counts).

    Raises:
        SmokeError: the model is not installed; the message says where it was looked for.
    """
    manager = ModelManager.for_worker_cache(str(cache_dir), allow_download=False)
    try:
        return manager.resolve(name, download=False, repair=False).path
    except ModelUnavailable as exc:
        raise SmokeError(
            f"the speech model {name} is not installed ({exc.message}); the smoke check "
            f"downloads nothing: place a faster-whisper {name} model in "
            f"{manager.cache_root / name}"
        ) from None


def seconds_since_launch() -> float | None:
    """Seconds since this app was launched, or None where the OS does not say (non-Linux).

    A one-file build runs as a child of its unpacking bootloader (the same executable), so
    its launch is the parent's start.
    """
    if not sys.platform.startswith("linux"):
        return None
    pid = os.getpid()
    try:
        if getattr(sys, "frozen", False):
            parent = os.getppid()
            if os.readlink(f"/proc/{parent}/exe") == os.readlink("/proc/self/exe"):
                pid = parent
        stat = Path(f"/proc/{pid}/stat").read_text()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError):
        return None
    start_ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: starttime
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


@dataclass
class BringUp:
    """What happened while starting the runtime and pinging (times in seconds from start)."""

    replies: list[PingReply] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    started_s: float = 0.0
    online_s: float = 0.0
    first_ping_s: float = 0.0
    #: Seconds from the app's launch to the first ping's answer (None where unknown).
    ping_after_launch_s: float | None = None

    @property
    def ok(self) -> bool:
        """True when a worker answered and nothing failed."""
        return bool(self.replies) and not self.errors


@dataclass
class ClipRun:
    """What translating the smoke clip produced."""

    seconds: float
    translation: str
    outputs: list[Path]
    playback: str


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
    result.ping_after_launch_s = seconds_since_launch()
    return result


async def translate_clip(runtime: AppRuntime, clip: Path, model_dir: Path) -> ClipRun:
    """Queue one real job on ``clip`` (speech → Portuguese SRT + MKV), as the window does.

    Raises:
        SmokeError: the job failed, took too long, or its subtitles miss the sample's words.
    """
    if runtime.queue is None:
        raise SmokeError("the runtime is not running, so no job can run")
    spec = JobSpec(
        input=clip,
        targets=[TARGET],
        out_dir=clip.parent / "out",
        source_language="en",
        model=str(model_dir),
        engine="bergamot",
        formats=["srt", "mkv"],
    )
    began = time.perf_counter()
    record = await _run_queued(runtime, runtime.queue, spec)
    elapsed = time.perf_counter() - began
    if record.state != JobState.DONE:
        raise SmokeError(f"the translation job ended {record.state.value}: {record.error}")
    outputs = [Path(p) for p in record.outputs]
    srt = next((p for p in outputs if p.suffix == ".srt"), None)
    mkv = next((p for p in outputs if p.suffix == ".mkv"), None)
    if srt is None or mkv is None:
        raise SmokeError(f"the job wrote {[p.name for p in outputs]}, not an SRT and an MKV")
    text = subtitle_text(srt)
    if SAMPLE_KEYWORD not in text.lower():
        raise SmokeError(f"the {TARGET} subtitles miss the sample's words: {text!r}")
    return ClipRun(elapsed, text, outputs, await check_playback(mkv))


async def _run_queued(runtime: AppRuntime, queue: JobQueue, spec: JobSpec) -> JobRecord:
    """Submit ``spec`` to the window's job queue and wait until the job has finished."""
    submitted: list[str] = []
    finished: asyncio.Future[JobRecord] = asyncio.get_running_loop().create_future()

    def on_change(job_id: str) -> None:
        if job_id in submitted and not finished.done():
            record = runtime.store.get(job_id)
            if record.state.finished:
                finished.set_result(record)

    queue.on_change.append(on_change)
    try:
        submitted.append(queue.submit(spec))
        return await asyncio.wait_for(finished, JOB_TIMEOUT)
    except TimeoutError:
        state = runtime.store.get(submitted[0]).state.value if submitted else "not submitted"
        raise SmokeError(
            f"the translation job did not finish within {JOB_TIMEOUT:.0f} s (it is {state})"
        ) from None
    finally:
        queue.on_change.remove(on_change)


async def settle(seconds: float = 0.3) -> None:
    """Let the Qt loop lay out and paint for a moment (e.g. before a screenshot)."""
    await asyncio.sleep(seconds)


async def _smoke(
    settings: AppSettings, model_dir: Path, screenshot: Path | None
) -> tuple[BringUp, ClipRun | None]:
    view_model = RuntimeViewModel(settings)
    window = MainWindow(view_model)
    window.show()
    clip_run: ClipRun | None = None
    try:
        result = await bring_up(view_model)
        if result.ok and view_model.runtime is not None:
            clip = make_clip(resources.resource_path(SAMPLE), settings.data_dir / "smoke-clip.mkv")
            clip_run = await translate_clip(view_model.runtime, clip, model_dir)
        if result.ok and screenshot is not None:
            await settle()
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            if not window.grab().save(str(screenshot)):
                result.errors.append(f"could not write the screenshot to {screenshot}")
    except SmokeError as exc:
        result.errors.append(str(exc))
    finally:
        await view_model.stop()
        window.close()
    return result, clip_run


def run_smoke(settings: AppSettings, screenshot: Path | None = None) -> int:
    """Run the smoke check; print what happened; 0 when every step passed, else 1."""
    try:
        model_dir = find_speech_model(settings.cache_dir)
    except SmokeError as exc:
        print(f"smoke check failed: {exc}")
        return 1
    app = create_application()
    with tempfile.TemporaryDirectory(prefix="vt-smoke-") as folder:
        isolated = isolated_settings(settings, Path(folder))
        result, clip_run = run_on_qt_loop(app, _smoke(isolated, model_dir, screenshot))
    if not result.ok or clip_run is None:
        for error in result.errors or ["no worker answered the ping"]:
            print(f"smoke check failed: {error}")
        return 1
    _report(result, clip_run, model_dir, screenshot)
    return 0


def _report(result: BringUp, clip_run: ClipRun, model_dir: Path, shot: Path | None) -> None:
    for reply in result.replies:
        print(f"smoke check passed: {reply.worker_id} answered in {reply.rtt_ms:.1f} ms")
    print(
        f"broker ready after {result.started_s:.1f} s, worker online after "
        f"{result.online_s:.1f} s, first ping answered after {result.first_ping_s:.1f} s"
    )
    if result.ping_after_launch_s is not None:
        print(f"launch to first ping: {result.ping_after_launch_s:.1f} s")
    print(
        f"translated a 5 s clip in {clip_run.seconds:.1f} s "
        f"({SPEECH_MODEL} from {model_dir}, bergamot en→{TARGET}): {clip_run.translation!r}"
    )
    print(f"wrote {', '.join(p.name for p in clip_run.outputs)}")
    print(f"QtMultimedia: {clip_run.playback}")
    if shot is not None:
        print(f"screenshot saved to {shot}")
