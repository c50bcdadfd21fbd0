"""The ``vt`` subcommands besides ``translate``: jobs, workers, models, doctor."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.model import JobState
from vt_desktop.core.jobs.store import open_job_store
from vt_desktop.core.pipeline.queue import JobQueue
from vt_desktop.core.pipeline.recognise import gaps_of
from vt_desktop.core.runtime import AppRuntime
from vt_desktop.core.supervisor.broker import BrokerMissing, find_rabbitmq_server
from worker.catalogue.translation import translation_entry
from worker.protocol.errors import RpcError
from worker.protocol.jsonrpc import new_call_id
from worker.protocol.models import (
    DELETE_MODEL,
    DOWNLOAD_MODEL,
    LIST_MODELS,
    VERIFY_MODEL,
    ListModelsParams,
    ModelRefParams,
    VerifyModelParams,
)
from worker.transport.client import RpcClient
from worker.transport.events import EventStream

WithRuntime = Callable[[AppSettings, Any], Awaitable[int]]
RunJobs = Callable[[AppRuntime, list[str]], Awaitable[int]]


async def jobs(
    settings: AppSettings,
    action: str,
    job_id: str | None,
    with_runtime: WithRuntime,
    run_jobs: RunJobs,
) -> int:
    """``vt jobs [list|resume ID|cancel ID]``."""
    store = open_job_store(settings.data_dir)
    try:
        if action == "list":
            for rec in store.jobs():
                extra = f"  {rec.error}" if rec.error else ""
                print(
                    f"{rec.id}  {rec.state.value:<9} {rec.progress * 100:5.1f}%  "
                    f"{rec.spec.input.name} → {','.join(rec.spec.targets)}{extra}"
                )
            return 0
        if job_id is None:
            print(f"vt jobs {action}: give a job id (see 'vt jobs list')", file=sys.stderr)
            return 2
        try:
            rec = store.get(job_id)
        except KeyError as exc:
            print(f"vt: {exc.args[0]}", file=sys.stderr)
            return 2
        if action == "cancel":
            JobQueue(store).cancel(job_id)  # not started: it acts on the store alone
            ended = rec.state.finished and rec.state is not JobState.CANCELLED
            print(
                f"job {job_id} is already {rec.state.value}" if ended else f"job {job_id} cancelled"
            )
            return 0
        gaps = len(gaps_of(store, job_id)) if rec.state is JobState.DONE else 0
    finally:
        store.close()
    if rec.state is JobState.DONE:
        if not gaps:
            print(f"job {job_id} is already done")
            return 0
        print(f"job {job_id} is done with {gaps} gap(s): recognising them again")
    return await with_runtime(settings, lambda rt: run_jobs(rt, [job_id]))


async def workers(rt: AppRuntime) -> int:
    """``vt workers``: who is online (waits two heartbeats)."""
    import asyncio

    await asyncio.sleep(2.5)
    online = rt.events.online() if rt.events else []
    if not online:
        print("no worker is online")
        return 3
    for caps in sorted(online, key=lambda c: c.worker_id):
        notice = f"  ({caps.device_notice})" if caps.device_notice else ""
        print(
            f"{caps.worker_id:<20} {caps.host:<16} {caps.device:<5} load {caps.load}/"
            f"{caps.prefetch}  {','.join(caps.services)}{notice}"
        )
    return 0


def licence_refusal(action: str, name: str | None, accepted: bool) -> str | None:
    """Why ``vt models download NAME`` needs ``--accept-licence`` first (a model whose
    licence restricts its use, as the window asks before it downloads one), or None."""
    entry = translation_entry(name) if action == "download" and name else None
    if entry is None or not entry.non_commercial or accepted:
        return None
    return (
        f"{entry.name} is licensed {entry.licence}: it may not be used commercially "
        f"({entry.attribution}). Pass --accept-licence to download it, or choose another "
        "model (m2m100-418m is MIT)."
    )


async def models(rt: AppRuntime, action: str, name: str | None) -> int:
    """``vt models [list|download NAME|verify NAME|delete NAME]`` through a worker's models
    service.

    The list shows speech and translation models with kind, size, state, licence (flagged
    when non-commercial) and languages; a download prints its progress on stderr; verify
    checks the files and loads the model (exit 1 when damaged).
    """
    if rt.rpc is None or rt.events is None:
        return 3
    await rt.events.wait_for_workers(1, "models", timeout=60)
    try:
        if action == "list":
            return await _list_models(rt.rpc)
        if name is None:
            print(f"vt models {action}: give a model name", file=sys.stderr)
            return 2
        named = {"download": _download_model, "verify": _verify_model, "delete": _delete_model}
        return await named[action](rt.rpc, rt.events, name)
    except RpcError as exc:
        print(f"vt: {exc.message}", file=sys.stderr)
        return 1


async def _list_models(rpc: RpcClient) -> int:
    result = await rpc.call(LIST_MODELS, ListModelsParams(), timeout=30)
    print(f"{'MODEL':<22} {'KIND':<11} {'SIZE':>11}  {'STATE':<13}  {'LICENCE':<30} LANGUAGES")
    for m in result.models:
        if m.installed and m.size_bytes:
            size = f"{m.size_bytes / 1e6:8.1f} MB"
        else:
            size = f"≈ {m.download_mb} MB" if m.download_mb else ""
        state = m.location if m.installed else "not installed"
        licence = (m.licence or "unknown") + (" (non-commercial)" if m.non_commercial else "")
        if m.kind == "translation":
            langs = m.language_summary or ", ".join(m.languages)
        else:
            langs = "" if m.multilingual is None else "99 languages"
            langs = "English only" if m.multilingual is False else langs
        print(f"{m.name:<22} {m.kind:<11} {size:>11}  {state:<13}  {licence:<30} {langs}")
    return 0


async def _download_model(rpc: RpcClient, events: EventStream, name: str) -> int:
    call_id = new_call_id()

    def on_progress(body: dict[str, Any]) -> None:
        if body.get("call_id") == call_id:
            fraction = float(body.get("fraction") or 0.0)
            print(f"{name}: {fraction:4.0%} {body.get('message', '')}", file=sys.stderr)

    events.on_progress.append(on_progress)
    try:
        got = await rpc.call(
            DOWNLOAD_MODEL, ModelRefParams(name=name), timeout=3600, call_id=call_id
        )
    finally:
        events.on_progress.remove(on_progress)
    print(f"{got.model.name}: {'downloaded' if got.fetched else 'already present'}")
    if got.model.licence:
        print(f"licence: {got.model.licence}; {got.model.attribution or ''}".rstrip("; "))
    return 0


async def _verify_model(rpc: RpcClient, _events: EventStream, name: str) -> int:
    checked = await rpc.call(VERIFY_MODEL, VerifyModelParams(name=name, load=True), timeout=600)
    where = f" ({checked.path})" if checked.path else ""
    if checked.ok:
        print(f"{checked.name}: complete and loads{where}")
        return 0
    print(f"{checked.name}: damaged or incomplete{where}", file=sys.stderr)
    for problem in checked.problems:
        print(f"  {problem}", file=sys.stderr)
    return 1


async def _delete_model(rpc: RpcClient, _events: EventStream, name: str) -> int:
    gone = await rpc.call(DELETE_MODEL, ModelRefParams(name=name), timeout=60)
    print(f"{gone.name}: {'deleted' if gone.deleted else 'not deleted'}")
    return 0


async def doctor(settings: AppSettings) -> int:
    """``vt doctor``: what this machine has for running jobs."""
    import imageio_ffmpeg

    ok = True

    def line(good: bool, what: str, detail: str) -> None:
        nonlocal ok
        ok = ok and good
        print(f"[{'ok' if good else '!!'}] {what:<16} {detail}")

    try:
        line(True, "rabbitmq-server", str(find_rabbitmq_server()))
    except BrokerMissing as exc:
        line(settings.mode == "remote", "rabbitmq-server", str(exc))
    try:
        line(True, "ffmpeg (libass)", imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError as exc:
        line(False, "ffmpeg (libass)", str(exc))
    try:
        import ctranslate2

        gpus = ctranslate2.get_cuda_device_count()
    except Exception:  # a broken CUDA install must not break the doctor
        gpus = 0
    line(True, "GPU", f"{gpus} CUDA device(s)" if gpus else "none: speech runs on the CPU")
    free = shutil.disk_usage(settings.data_dir if settings.data_dir.exists() else "/").free
    line(free > 2e9, "disk", f"{free / 1e9:.1f} GB free for models and jobs")
    line(True, "mode", settings.mode if settings.mode == "local" else "remote broker")
    return 0 if ok else 1
