"""A private broker and worker processes for the benchmarks (same parts the app uses)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vt_desktop.core.supervisor.broker import BrokerNode, free_port  # noqa: E402
from worker.transport.client import RpcClient  # noqa: E402
from worker.transport.connection import connect  # noqa: E402
from worker.transport.events import EventStream  # noqa: E402
from worker.transport.settings import BrokerSettings  # noqa: E402
from worker.transport.topology import Names  # noqa: E402


@dataclass
class System:
    """A connected client and the workers behind it."""

    rpc: RpcClient
    events: EventStream
    base: Path


def asr_config(config_dir: Path, *, model: str, threads: int, batch: int) -> None:
    """Pin the asr service's model, thread budget and batch size for a run."""
    services = config_dir / "services"
    services.mkdir(parents=True, exist_ok=True)
    (services / "asr.toml").write_text(
        f'rpc_enabled = true\nmodel = "{model}"\ncpu_threads = {threads}\nbatch_size = {batch}\n'
    )


def spawn_workers(env: dict[str, str], count: int, name: str) -> list[subprocess.Popen[bytes]]:
    """``count`` real worker processes (``python -m worker``) with ``env``, quiet, named
    ``<name>-<i>``."""
    return [
        subprocess.Popen(
            [sys.executable, "-m", "worker", "--worker-id", f"{name}-{i}"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(count)
    ]


@contextlib.asynccontextmanager
async def running_system(
    workers: int, *, prefetch: int, threads: int, model: str = "tiny.en", batch: int = 8
) -> AsyncIterator[System]:
    """Broker + ``workers`` worker processes + a client, torn down on exit."""
    base = Path(tempfile.mkdtemp(prefix="vt-bench-"))
    node = BrokerNode(base / "broker", port=free_port())
    await node.start()
    prefix = f"b{uuid.uuid4().hex[:6]}"
    config = base / "config"
    asr_config(config, model=model, threads=threads, batch=batch)
    env = dict(
        os.environ,
        RABBITMQ_URL=node.url,
        RABBITMQ_RPC_QUEUE=prefix,
        VT_CONFIG_DIR=str(config),
        VT_CACHE_DIR=str(base / "cache"),
        VT_WORKER_PREFETCH=str(prefetch),
        LOG_LEVEL="WARNING",
        HF_HUB_OFFLINE="1",
        OMP_NUM_THREADS=str(threads),
    )
    procs = spawn_workers(env, workers, "bench")
    conn = await connect(BrokerSettings(), url=node.url, name="bench")
    names = Names(prefix)
    rpc = RpcClient(conn, client_id=f"bench{uuid.uuid4().hex[:6]}", names=names)
    try:
        await rpc.start()
        events = EventStream(await conn.channel(), names, rpc.client_id)
        await events.start()
        await events.wait_for_workers(workers, "asr", timeout=120)
        yield System(rpc, events, base)
    finally:
        await rpc.close()
        await conn.close()
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait()
        await node.stop()
