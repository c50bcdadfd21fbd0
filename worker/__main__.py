"""``python -m worker``: run one worker process until SIGTERM/SIGINT.

``python -m worker --call METHOD PARAMS`` instead sends one call to the workers of the
configured broker and prints its result as JSON (a quick way to try a service by hand);
``python -m worker --describe`` prints the OpenRPC document of what it would serve.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from worker.describe import describe
from worker.loader import discover
from worker.logs import setup_logging
from worker.orphans import die_with_parent
from worker.protocol.errors import BrokerError, NoWorker, RpcError
from worker.runtime import Worker, serve_one
from worker.services.base import BaseService
from worker.settings import WorkerSettings
from worker.transport.client import RpcClient
from worker.transport.connection import connect
from worker.transport.topology import Names

log = logging.getLogger("worker")


def seconds_or_forever(text: str) -> float:
    """``--connect-timeout``'s value: seconds (0: one try) or ``forever``."""
    if text.strip().lower() in {"forever", "inf", "infinity"}:
        return math.inf
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0 or math.isnan(value):
        raise argparse.ArgumentTypeError(
            f"wants seconds (e.g. 30; 0 for one try) or 'forever', got {text!r}"
        )
    return value


def json_object(text: str) -> dict[str, object]:
    """``--call``'s params: a JSON object."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"params are not JSON ({exc}): {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"params must be a JSON object, got {text!r}")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options; each overrides the matching environment variable."""
    ap = argparse.ArgumentParser(prog="vt-worker", description="VideoTranslator worker")
    ap.add_argument(
        "--broker",
        help="AMQP URL, e.g. amqps://user:pass@host:5671/vhost, or several comma-separated "
        "(a cluster's nodes: the first that answers, another when its link drops)",
    )
    ap.add_argument("--worker-id", help="name shown in the app (default: host-pid)")
    ap.add_argument("--prefetch", type=int, help="calls taken at once (1 on CPU)")
    ap.add_argument("--services", help="comma-separated services to serve (default: all)")
    ap.add_argument("--parent-pid", type=int, help="stop when this process is gone")
    ap.add_argument(
        "--log-dir",
        help="write app.log/error.log under DIR/<worker id>/ (default: the user's log folder; "
        "'none': console only)",
    )
    ap.add_argument("--log-level", help="DEBUG, INFO, WARNING, …")
    ap.add_argument(
        "--connect-timeout",
        type=seconds_or_forever,
        metavar="SECONDS",
        help="keep trying to reach a broker that is not up yet this long, with backoff "
        "(default 30; 'forever' for workers started beside their broker)",
    )
    ap.add_argument(
        "--call",
        nargs=2,
        metavar=("METHOD", "PARAMS"),
        help='send one call (e.g. greeter.greet \'{"who": "Ada"}\') to the workers of the '
        "broker, print its result as JSON and exit (1: the call failed, 3: no broker or "
        "no worker serves it)",
    )
    ap.add_argument(
        "--describe",
        action="store_true",
        help="print an OpenRPC document of the methods this worker would serve (its "
        "enabled services) and exit",
    )
    ap.add_argument(
        "--call-timeout", type=float, default=30.0, metavar="SECONDS", help="for --call"
    )
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
        "VT_CONNECT_TIMEOUT": args.connect_timeout,
    }
    return WorkerSettings(**{k: v for k, v in overrides.items() if v is not None})


async def serve(settings: WorkerSettings) -> None:
    """Run a worker with SIGTERM/SIGINT wired to a graceful stop."""
    worker = Worker(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.request_stop)
    await worker.run()


async def call_once(
    settings: WorkerSettings, method: str, params: dict[str, object], timeout: float
) -> int:
    """Send one call, print its result (stdout) or its error (stderr) as JSON."""
    connection = await connect(settings, name="vt-worker --call")
    rpc = RpcClient(
        connection, client_id=f"call-{settings.worker_id}", names=Names(settings.rabbitmq_rpc_queue)
    )
    try:
        await rpc.start()
        try:
            result = await rpc.call_raw(method, params, timeout=timeout)
        except NoWorker as exc:
            print(f"vt-worker: {exc}", file=sys.stderr)
            return 3
        except RpcError as exc:
            error = {"code": exc.code, "message": exc.message, "data": exc.data}
            print(json.dumps(error, ensure_ascii=False), file=sys.stderr)
            return 1
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    finally:
        await rpc.close()
        with contextlib.suppress(Exception):  # this one-off client's reply queue
            channel = await connection.channel()
            await channel.queue_delete(rpc.reply_queue_name)
        await connection.close()


def enabled_services(settings: WorkerSettings) -> list[type[BaseService]]:
    """The service classes a worker with ``settings`` serves (enabled, and in its filter)."""
    only = settings.service_filter()
    return [
        found.cls
        for found in discover(
            settings.config_dir, settings.plugin_dir, settings.replaced_builtins()
        )
        if found.settings.rpc_enabled and (not only or found.cls.name in only)
    ]


def run_call(settings: WorkerSettings, args: argparse.Namespace) -> int:
    """``--call METHOD PARAMS``: the exit code of one call."""
    method, text = args.call
    try:
        params = json_object(text)
    except argparse.ArgumentTypeError as exc:
        print(f"vt-worker: --call: {exc}", file=sys.stderr)
        return 2
    setup_logging(None, args.log_level or "WARNING")
    try:
        return asyncio.run(call_once(settings, method, params, args.call_timeout))
    except BrokerError as exc:
        print(f"vt-worker: {exc}", file=sys.stderr)
        return 3


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = parse_args(argv)
    try:
        settings = build_settings(args)
    except Exception as exc:
        print(f"vt-worker: bad settings: {exc}", file=sys.stderr)
        return 2
    if args.call is not None:
        return run_call(settings, args)
    if args.describe:
        setup_logging(None, args.log_level or "WARNING")
        print(json.dumps(describe(enabled_services(settings)), ensure_ascii=False, indent=2))
        return 0
    die_with_parent()
    if args.run_one is not None:  # its console is its worker's: the lines land in its log
        setup_logging(None, settings.log_level)
        return serve_one(settings, Path(args.run_one[0]), Path(args.run_one[1]))
    # Each process its own rotating files: one file rotated by several processes loses lines.
    setup_logging(settings.worker_log_dir(), settings.log_level)
    try:
        asyncio.run(serve(settings))
    except BrokerError as exc:
        log.error("%s", exc)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
