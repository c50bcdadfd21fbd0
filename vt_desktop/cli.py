"""``vt``: the headless CLI. Runs the same pipeline as the window, without Qt.

Exit codes: 0 done, 1 a job failed, 2 bad usage or input, 3 broker or workers unavailable,
130 cancelled (Ctrl-C; partial outputs removed).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn

from vt_desktop import cli_commands as commands
from vt_desktop.core.config import AppSettings
from vt_desktop.core.errors import VtError
from vt_desktop.core.jobs.model import JobSpec
from vt_desktop.core.jobs.options import DEFAULT_FORMATS, OUTPUT_FORMATS
from vt_desktop.core.media import IntakeError, probe
from vt_desktop.core.pipeline import JobFailed, PipelineEvent
from vt_desktop.core.pipeline.translate import require_translatable
from vt_desktop.core.review import doubtful_lines
from vt_desktop.core.runtime import WORKER_WAIT_S, AppRuntime
from vt_desktop.core.supervisor import BrokerMissing, BrokerStartError
from worker.logs import setup_logging
from worker.protocol.errors import BrokerError, Cancelled, NoWorker, RpcError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNAVAILABLE, EXIT_CANCELLED = 0, 1, 2, 3, 130
#: The one place an error becomes an exit code: the first row whose classes match wins, and
#: any other error of the app or a worker is a failed job.
EXIT_CODES: tuple[tuple[tuple[type[BaseException], ...], int], ...] = (
    ((KeyboardInterrupt, asyncio.CancelledError, Cancelled), EXIT_CANCELLED),
    ((NoWorker, BrokerError, BrokerMissing, BrokerStartError), EXIT_UNAVAILABLE),
    ((IntakeError, ValueError), EXIT_USAGE),  # refused before any work (pydantic's too)
)


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _voices(values: list[str]) -> dict[str, str]:
    """``--voice pt=espeak-ng:pt-br`` options as the job's ``dub_voices``.

    Raises:
        ValueError: an option is not LANG=ENGINE[:VOICE].
    """
    voices: dict[str, str] = {}
    for value in values:
        key, sep, voice = value.partition("=")
        if not sep or not key.strip() or not voice.strip():
            raise ValueError(f"--voice {value!r} must be LANG=ENGINE[:VOICE], e.g. pt=espeak-ng")
        voices[key.strip()] = voice.strip()
    return voices


def _global_options(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the options every command takes (before or after the command's name) to ``ap``."""
    ap.add_argument(
        "--broker",
        help="AMQP URL of a remote broker, or several comma-separated (a cluster's nodes: "
        "the first that answers; default: a private local broker)",
    )
    ap.add_argument("--workers", type=int, help="local workers to start (default from settings)")
    ap.add_argument("--log-level", help="DEBUG, INFO, WARNING (default WARNING)")
    return ap


def parser() -> argparse.ArgumentParser:
    """The ``vt`` command line.

    ``--broker``, ``--workers`` and ``--log-level`` go before or after the command's name
    (``vt --broker URL translate …`` or ``vt translate … --broker URL``); given in both
    places, the later one wins.
    """
    ap = _global_options(
        argparse.ArgumentParser(prog="vt", description="Translate the speech in videos.")
    )
    # after the command's name: unset options leave no default behind, so they do not
    # overwrite a value given before the name
    after = _global_options(
        argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    )
    sub = ap.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("translate", parents=[after], help="translate one or more videos")
    tr.add_argument("inputs", nargs="+", type=Path, metavar="INPUT")
    what = tr.add_mutually_exclusive_group(required=True)
    what.add_argument("--to", type=_csv, help="target languages, e.g. de,pt")
    what.add_argument(
        "--transcribe",
        action="store_true",
        help="a transcript only: subtitles in the spoken language, nothing translated",
    )
    tr.add_argument("--from", dest="source", help="spoken language (default: detect)")
    tr.add_argument("--model", help="speech model: tiny.en, base, large-v3, or a directory")
    tr.add_argument("--engine", help="translation engine: bergamot, ct2, llm (default: worker's)")
    tr.add_argument(
        "--formats",
        type=_csv,
        default=list(DEFAULT_FORMATS),
        help=f"outputs, any of {','.join(OUTPUT_FORMATS)} (default {','.join(DEFAULT_FORMATS)})",
    )
    tr.add_argument("--burn-in", action="store_true", help="also burn the first language in")
    tr.add_argument("--bilingual", action="store_true", help="source line above translation")
    tr.add_argument("--dub", action="store_true", help="also a translated voice track per language")
    tr.add_argument(
        "--dub-mode",
        choices=["duck", "replace"],
        default="duck",
        help="duck: original 12 dB lower under the voice (default); replace: voice only",
    )
    tr.add_argument(
        "--voice",
        action="append",
        default=[],
        metavar="LANG[:SPEAKER]=ENGINE[:VOICE]",
        help="dub voice, e.g. pt=espeak-ng:pt-br or en=hibari:heart (repeatable)",
    )
    tr.add_argument("--out", type=Path, help="output folder (default: beside each input)")
    jobs = sub.add_parser("jobs", parents=[after], help="list, resume or cancel stored jobs")
    jobs.add_argument("action", nargs="?", default="list", choices=["list", "resume", "cancel"])
    jobs.add_argument("job_id", nargs="?")
    sub.add_parser("workers", parents=[after], help="who is online, device and load")
    models = sub.add_parser(
        "models",
        parents=[after],
        help="list, download, verify or delete speech and translation models",
    )
    models.add_argument(
        "action", nargs="?", default="list", choices=["list", "download", "verify", "delete"]
    )
    models.add_argument("name", nargs="?")
    models.add_argument(
        "--accept-licence",
        action="store_true",
        help="download a model whose licence restricts its use (NLLB-200: non-commercial)",
    )
    sub.add_parser(
        "doctor",
        parents=[after],
        help="check broker, workers, rabbitmq-server, ffmpeg, GPU, disk",
    )
    return ap


def log_level(args: argparse.Namespace, settings: AppSettings) -> str:
    """The console's level: ``--log-level``, else DEBUG when ``DEBUG`` is true, else
    ``LOG_LEVEL`` (environment, ``.env`` or the settings file) when set, else WARNING (the
    progress line says what happens)."""
    if args.log_level:
        return str(args.log_level)
    if settings.debug or "log_level" in settings.model_fields_set:
        return settings.effective_log_level()
    return "WARNING"


class ProgressLine:
    """Progress on ``out``: on a terminal, a live bar for the job and one for each stage, with
    the ETA (rich); elsewhere a plain line as each stage begins and when the job is done."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.last_stage = ""
        self._bars: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, ev: PipelineEvent) -> None:
        eta = "" if ev.eta_s is None else f"ETA {int(ev.eta_s) // 60}:{int(ev.eta_s) % 60:02d}"
        if ev.level in {"WARNING", "ERROR"}:
            line = f"{ev.level.lower()}: {ev.message}"
            if self._bars is not None:
                self._bars.console.print(line, markup=False, highlight=False)
            else:
                print(line, file=self.out)
        elif self.tty:
            bars = self._live()
            bars.update(self._task("job"), completed=ev.progress, eta=eta)
            note = ev.message[:60]
            bars.update(self._task(ev.stage), completed=ev.stage_progress, note=note)
        elif ev.stage != self.last_stage or ev.message.startswith("done"):
            eta = f" {eta}" if eta else ""
            print(f"{ev.stage}: {ev.progress * 100:.0f}%{eta} {ev.message}", file=self.out)
        self.last_stage = ev.stage

    def _live(self) -> Progress:
        if self._bars is None:
            self._bars = Progress(
                TextColumn("{task.description:<10}"),
                BarColumn(bar_width=30),
                TaskProgressColumn(),
                TextColumn("{task.fields[eta]}"),
                TextColumn("{task.fields[note]}"),
                console=Console(file=self.out),
            )
            self._bars.start()
        return self._bars

    def _task(self, name: str) -> TaskID:
        if name not in self._tasks and self._bars is not None:
            self._tasks[name] = self._bars.add_task(name, total=1.0, eta="", note="")
        return self._tasks[name]

    def end(self) -> None:
        """Finish the job's bars (the next job gets its own)."""
        if self._bars is not None:
            self._bars.stop()
        self._bars, self._tasks = None, {}


def build_settings(args: argparse.Namespace) -> AppSettings:
    """Settings from file/env, overridden by the command line."""
    overrides: dict[str, Any] = {}
    if args.broker:
        overrides.update(mode="remote", rabbitmq_url=args.broker)
    if args.workers is not None:
        overrides["workers"] = args.workers
    settings = AppSettings(**overrides)
    if settings.mode == "remote" and args.workers is None:
        settings.workers = 0
    return settings


def exit_code(exc: BaseException) -> int:
    """The exit code for the error that ended ``vt`` or one of its jobs (see ``EXIT_CODES``).

    A failed job is judged by its cause when that is an error of the app or a worker: a job
    that found no worker serving it ends ``vt`` with 3, one whose file vanished with 2. A job
    that a bug ended is 1, whatever the bug raised.
    """
    if isinstance(exc, JobFailed) and isinstance(exc.__cause__, VtError | RpcError):
        exc = exc.__cause__
    for kinds, code in EXIT_CODES:
        if isinstance(exc, kinds):
            return code
    return EXIT_FAILED


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``vt``; returns the exit code."""
    args = parser().parse_args(argv)
    try:
        settings = build_settings(args)
    except Exception as exc:
        print(f"vt: bad settings: {exc}", file=sys.stderr)
        return EXIT_USAGE
    setup_logging(settings.log_dir, log_level(args, settings))
    try:
        return asyncio.run(_dispatch(args, settings))
    except KeyboardInterrupt as exc:
        return exit_code(exc)
    except (VtError, RpcError, ValueError) as exc:
        print(f"vt: {exc}", file=sys.stderr)
        return exit_code(exc)


async def _dispatch(args: argparse.Namespace, settings: AppSettings) -> int:
    if args.command == "translate":
        specs = _specs(args, settings)
        return await _with_runtime(settings, lambda rt: _translate(rt, specs))
    if args.command == "jobs":
        return await commands.jobs(settings, args.action, args.job_id, _with_runtime, _run_jobs)
    if args.command == "workers":
        return await _with_runtime(settings, commands.workers)
    if args.command == "models":
        if refused := commands.licence_refusal(args.action, args.name, args.accept_licence):
            print(f"vt models: {refused}", file=sys.stderr)
            return 2
        return await _with_runtime(settings, lambda rt: commands.models(rt, args.action, args.name))
    return await commands.doctor(settings)


def _specs(args: argparse.Namespace, settings: AppSettings) -> list[JobSpec]:
    """The jobs the command line asks for, every input checked before any work starts.

    Raises:
        IntakeError: an input cannot be used (the message names it and says why).
        ValueError: an option is not acceptable.
    """
    bad = [f for f in args.formats if f not in OUTPUT_FORMATS]
    if bad:
        raise ValueError(
            f"unknown format(s) {', '.join(bad)}; choose from {', '.join(OUTPUT_FORMATS)}"
        )
    specs: list[JobSpec] = []
    for path in args.inputs:
        probe(path, max_size=settings.max_file_size)  # refuse bad input before any work
        specs.append(
            JobSpec(
                input=path.resolve(),
                targets=args.to or ([args.source] if args.source else []),
                transcribe=args.transcribe,
                out_dir=(args.out or path.parent).resolve(),
                source_language=args.source,
                model=args.model,
                engine=args.engine,
                formats=args.formats,
                burn_in=args.burn_in,
                bilingual=args.bilingual,
                dub=args.dub,
                dub_mode=args.dub_mode,
                dub_voices=_voices(args.voice),
                **settings.subtitle_rules(),
            )
        )
    return specs


async def _with_runtime(settings: AppSettings, body: Any) -> int:
    rt = AppRuntime(settings)
    try:
        await rt.start()  # no broker: BrokerMissing, BrokerStartError or BrokerError (exit 3)
        code: int = await body(rt)
        return code
    finally:
        await rt.stop()


async def _translate(rt: AppRuntime, specs: list[JobSpec]) -> int:
    """Store and run the jobs, once every target with a known spoken language was checked
    against what the workers translate (a refusal raises ``NoTranslationEngine``: exit 2)."""
    if rt.rpc is not None:
        for spec in specs:
            if spec.source_language:
                await require_translatable(
                    rt.rpc, spec.source_language, spec.targets, spec.engine,
                    worker_wait_s=rt.settings.worker_wait_s,
                )  # fmt: skip
    ids = [rt.queue.submit(spec) for spec in specs]
    for spec, job_id in zip(specs, ids, strict=True):
        into = ", ".join(spec.targets) if not spec.transcribe else "transcript"
        print(f"job {job_id}: {spec.input.name} → {into}", file=sys.stderr)
    return await _run_jobs(rt, ids)


async def _run_jobs(rt: AppRuntime, ids: list[str]) -> int:
    if rt.runner is None or rt.rpc is None:
        return EXIT_UNAVAILABLE
    # Its own workers are waited for; remote ones are there or not (no worker: exit 3).
    await rt.ready_to_run(WORKER_WAIT_S if rt.settings.workers else 0)
    progress = ProgressLine(sys.stderr)
    rt.on_job_event.append(progress)
    code = EXIT_OK
    for job_id in ids:
        task = asyncio.create_task(rt.runner.run(job_id))
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, task.cancel)
        try:
            outcome = await task
        except asyncio.CancelledError:
            progress.end()
            print(f"job {job_id} cancelled; partial outputs removed", file=sys.stderr)
            return EXIT_CANCELLED
        except JobFailed as exc:
            progress.end()
            print(f"job {job_id} failed: {exc}", file=sys.stderr)
            code = max(code, exit_code(exc))  # no worker or broker (3) outweighs a failure (1)
            continue
        finally:
            loop.remove_signal_handler(signal.SIGINT)
        progress.end()
        for path in outcome.outputs:
            print(path)
        for warning in outcome.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        print(
            f"job {job_id} done: {outcome.calls_sent} call(s) sent, "
            f"{outcome.results_reused} result(s) reused",
            file=sys.stderr,
        )
        _print_doubtful(rt, job_id)
    return code


def _print_doubtful(rt: AppRuntime, job_id: str) -> None:
    """Say how many lines hold a word the recogniser doubted (for a review pass)."""
    threshold = rt.settings.review_doubt_threshold
    for lang in rt.store.get(job_id).spec.targets:
        doubted, lines = doubtful_lines(rt.store, job_id, lang, threshold)
        if doubted:
            print(
                f"review: {lang}: {doubted} of {lines} line(s) hold a word heard with under "
                f"{threshold:.0%} confidence (highlighted on the window's Review page)",
                file=sys.stderr,
            )


if __name__ == "__main__":
    sys.exit(main())
