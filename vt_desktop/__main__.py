"""``python -m vt_desktop`` (and the frozen ``VideoTranslator`` binary): the desktop window.

``--worker …`` runs a worker process instead (the frozen app starts its workers as
``VideoTranslator --worker --worker-id local-1 …``); Qt is not even imported then.
``--broker-keeper …`` runs the small process that keeps the private broker (see
``core/supervisor/keeper.py``). ``--smoke`` checks an install end to end (broker, worker, a
real translation job) in a throwaway folder and exits.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from vt_desktop.core.config import AppSettings
from worker.logs import setup_logging

NO_DISPLAY_MESSAGE = (
    "no display found: run the window under a desktop session, or use the headless CLI: "
    "vt translate VIDEO --to de"
)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The window's command-line options."""
    ap = argparse.ArgumentParser(
        prog="videotranslator",
        description="VideoTranslator Desktop: translate the speech in videos into subtitles.",
        epilog="'videotranslator --worker --help' lists a worker process's options.",
    )
    ap.add_argument(
        "--smoke",
        action="store_true",
        help="check this install in a temporary folder: start a private broker and one worker, "
        "ping it, translate a 5-second sample clip, and exit (0 when every step passed); "
        "works without a display",
    )
    ap.add_argument(
        "--screenshot", type=Path, metavar="PATH", help="with --smoke: save the window as PNG"
    )
    ap.add_argument("--log-level", help="DEBUG, INFO, WARNING, ERROR (default: from settings)")
    ap.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="videos or audio files to queue with the window's options, as if dropped on it "
        "(the file manager's Open with passes them)",
    )
    return ap.parse_args(list(argv))


def _misused(args: argparse.Namespace) -> str | None:
    """Why the options do not go together, or None."""
    if args.screenshot is not None and not args.smoke:
        return "--screenshot only works with --smoke"
    if args.smoke and args.files:
        return "--smoke takes no files (it uses its own sample)"
    return None


def has_display() -> bool:
    """False on a Linux box with no X/Wayland session and no explicit Qt platform."""
    if not sys.platform.startswith("linux"):
        return True
    return any(os.environ.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def build_settings(args: argparse.Namespace) -> AppSettings:
    """The process's one settings object (config file, ``.env``, environment, options).

    Raises:
        pydantic.ValidationError: a setting has a bad value (the message names it).
    """
    overrides = {"log_level": args.log_level} if args.log_level else {}
    return AppSettings(**overrides)


def run_helper(role: str, args: list[str]) -> int:
    """The frozen app as one of its helper processes: a worker, or the private broker's
    keeper (``core/supervisor/keeper.py``)."""
    if role == "--broker-keeper":
        from vt_desktop.core.supervisor.keeper import main as keeper_main

        return keeper_main(args)
    from worker.__main__ import main as worker_main

    return worker_main(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:1] in (["--worker"], ["--broker-keeper"]):
        return run_helper(args_in[0], args_in[1:])
    args = parse_args(args_in)
    if (misuse := _misused(args)) is not None:
        print(f"videotranslator: {misuse}", file=sys.stderr)
        return 2
    if not has_display():
        if not args.smoke:
            print(NO_DISPLAY_MESSAGE, file=sys.stderr)
            return 2
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    try:
        settings = build_settings(args)
    except Exception as exc:
        print(f"videotranslator: bad settings: {exc}", file=sys.stderr)
        return 2
    # The smoke check keeps to its temporary folder: console logging only.
    setup_logging(None if args.smoke else settings.log_dir, settings.effective_log_level())
    logging.getLogger("vt_desktop").info(
        "%s %s starting (data in %s)", settings.project_name, settings.version, settings.data_dir
    )
    if args.smoke:
        from vt_desktop.devtools.smoke import run_smoke

        return run_smoke(settings, args.screenshot)
    return open_window(settings, [f.expanduser().absolute() for f in args.files])


def open_window(settings: AppSettings, files: list[Path]) -> int:
    """The window, or, when one is open on the same data already, the files handed to it."""
    from vt_desktop.ui.single_instance import hand_over, instance_key

    if hand_over(instance_key(settings.data_dir), files):
        print("videotranslator: the window already open took the files", file=sys.stderr)
        return 0
    prestart_broker(settings)  # before the window's imports: the node boots meanwhile
    from vt_desktop.ui.app import run_app

    return run_app(settings, sys.argv[:1], files)


def prestart_broker(settings: AppSettings) -> None:
    """Local mode: set the private broker booting at once, while the window loads (both
    take seconds); the runtime then finds it booting or up. A broker left warm by an
    earlier window, or any failure here, is left to the runtime (which reports failures)."""
    if settings.mode != "local":
        return
    from vt_desktop.core.supervisor.broker import BrokerNode

    try:
        BrokerNode(settings.data_dir / "broker", port=settings.rabbitmq_port).prestart()
    except Exception as exc:
        logging.getLogger("vt_desktop").info("the broker did not start early: %s", exc)


if __name__ == "__main__":
    sys.exit(main())
