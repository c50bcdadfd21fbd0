"""``python -m worker``: run one worker process until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from worker.logs import setup_logging
from worker.orphans import die_with_parent
from worker.protocol.errors import BrokerError
from worker.runtime import Worker, serve_one
from worker.settings import WorkerSettings

log = logging.getLogger("worker")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options; each overrides the matching environment variable."""
    ap = argparse.ArgumentParser(prog="vt-worker", description="VideoTranslator worker")
    ap.add_argument("--broker", help="AMQP URL, e.g. amqps://user:pass@host:5671/vhost")
    ap.add_argument("--worker-id", help="name shown in the app (default: host-pid)")
    ap.add_argument("--prefetch", type=int, help="calls taken at once (1 on CPU)")
    ap.add_argument("--services", help="comma-separated services to serve (default: all)")
    ap.add_argument("--parent-pid", type=int, help="stop when this process is gone")
    ap.add_argument("--log-dir", help="write app.log/error.log here")
    ap.add_argument("--log-level", help="DEBUG, INFO, WARNING, …")
    ap.add_argument(
        "--run-one",
        nargs=2,
        metavar=("CALL", "REPLY"),
        help="serve the one call in file CALL, write its reply to REPLY, exit (no broker): "
        "how a worker runs a call that keeps coming back in a process of its own",
    )
    return ap.parse_args(argv)


def build_settings(args: argparse.Namespace) -> WorkerSettings:
    """Settings from the environment, overridden by the command line."""
    overrides = {
        "rabbitmq_url": args.broker,
        "VT_WORKER_ID": args.worker_id,
        "VT_WORKER_PREFETCH": args.prefetch,
        "VT_WORKER_SERVICES": args.services,
        "VT_PARENT_PID": args.parent_pid,
        "VT_LOG_DIR": args.log_dir,
        "LOG_LEVEL": args.log_level,
    }
    return WorkerSettings(**{k: v for k, v in overrides.items() if v is not None})


async def serve(settings: WorkerSettings) -> None:
    """Run a worker with SIGTERM/SIGINT wired to a graceful stop."""
    worker = Worker(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.request_stop)
    await worker.run()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = parse_args(argv)
    try:
        settings = build_settings(args)
    except Exception as exc:
        print(f"vt-worker: bad settings: {exc}", file=sys.stderr)
        return 2
    setup_logging(settings.log_dir, settings.log_level)
    die_with_parent()
    if args.run_one is not None:
        return serve_one(settings, Path(args.run_one[0]), Path(args.run_one[1]))
    try:
        asyncio.run(serve(settings))
    except BrokerError as exc:
        log.error("%s", exc)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
