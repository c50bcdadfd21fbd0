"""A job on a three-node RabbitMQ cluster while the node that leads the ``asr`` queue is
SIGKILLed, and brought back later.

Three private nodes on loopback (own node names, ports and directories, one Erlang cookie)
are joined with ``rabbitmqctl join_cluster``. The service and reply queues are quorum queues
with a member on every node. The app and the first worker are given the node list starting at
node 0, the second worker starting at node 1, so the first worker declares the ``asr`` queue
and its leader is where the app's reply queue leads too. Mid-job the test asks the cluster
which node leads ``asr`` and kills it: the app and that worker lose their links and move on to
the next node, the queues elect new leaders on the two left, and calls the lost worker held
go back to the queue. A second run cuts that node off (frozen, then thawed: a partition of
one node) instead, and a third partitions it for real: the nodes find each other through an
epmd of the test's own (``tests.support.dist_partition``) that routes every link between
nodes through a proxy, and the proxies blackhole the node's distribution links both ways,
while its clients' AMQP links stay up; for that run the cluster pauses a minority
(``cluster_partition_handling = pause_minority``), so the node cut off stops serving its
clients and they move on. The subtitles must be those of the undisturbed run: no cue lost,
none duplicated.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import socket
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pysubs2
import pytest

from tests.support.broker import TestBroker, shared_cookie_home
from tests.support.dist_partition import ProxyEpmd
from tests.support.media import make_talk_video
from tests.support.workers import WorkerProcs, worker_procs
from vt_desktop.core.config import AppSettings
from vt_desktop.core.jobs.model import JobSpec
from vt_desktop.core.runtime import AppRuntime
from worker.transport.connection import FailoverConnection

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
TALK_S = 400.0
HEARTBEAT_S = 2
#: Erlang's net tick time: a node that stops answering is down for its peers after this.
NET_TICK_S = 6
SERVED = re.compile(r"rpc asr\.transcribe id=(\S+) served in")
#: How long the node's own figures (paused, consumers back) are still waited for once the job
#: has finished.
NODE_FIGURES_S = 60.0
Disturb = Callable[[AppRuntime, str, WorkerProcs], Awaitable[dict[str, float]]]


@dataclass
class Run:
    """One job's subtitles, what the disturbance measured, and the asr calls served."""

    cues: list[tuple[int, int, str]]
    figures: dict[str, float]
    calls_sent: int
    served: Counter[str]
    wall_s: float
    logs: dict[str, str]


@dataclass
class Cluster:
    nodes: list[TestBroker]
    #: The nodes' epmd: every link between two nodes passes a proxy it can cut.
    epmd: ProxyEpmd

    def urls(self, first: int) -> str:
        """Every node's URL, starting at node ``first``."""
        order = self.nodes[first:] + self.nodes[:first]
        return ",".join(node.url for node in order)

    def queues(self, ask: TestBroker, prefix: str) -> dict[str, list[str]]:
        """Queue name → [leader, members, online, consumers, calls held by consumers] of the
        queues under ``prefix``."""
        out = ask.ctl(
            "list_queues", "-q", "--no-table-headers", "name", "leader", "members", "online",
            "consumers", "messages_unacknowledged",
        )  # fmt: skip
        rows = (line.split("\t") for line in out.strip().splitlines())
        return {row[0]: row[1:] for row in rows if row[0].startswith(f"{prefix}.")}

    def by_name(self, name: str) -> TestBroker:
        return next(node for node in self.nodes if node.name == name)

    def partition_handling(self, mode: str) -> None:
        """Set ``cluster_partition_handling`` on every node (read when a peer goes down)."""
        for node in self.nodes:
            node.ctl("eval", f"application:set_env(rabbit, cluster_partition_handling, {mode}).")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    base = tmp_path_factory.mktemp("cluster")
    home = shared_cookie_home(base / "home")
    tag = uuid.uuid4().hex[:6]
    epmd = ProxyEpmd()
    epmd.start()
    dist = {
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": f"-kernel net_ticktime {NET_TICK_S}",
        "ERL_EPMD_PORT": str(epmd.port),
    }
    nodes = [
        TestBroker(
            base / f"n{i}",
            node_name=f"vt-cl{i}-{tag}@localhost",
            home=home,
            extra_config="cluster_partition_handling = autoheal\n",
            env=dist,
        )
        for i in range(3)
    ]
    try:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(lambda node: node.start(), nodes))
        for node in nodes[1:]:
            node.join(nodes[0])
        yield Cluster(nodes, epmd)
    finally:
        epmd.heal()
        for node in nodes:
            node.stop()
        epmd.stop()


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_talk_video(tmp_path_factory.mktemp("talk") / "talk.mp4", seconds=TALK_S)


async def _nothing(rt: AppRuntime, job: str, pool: WorkerProcs) -> dict[str, float]:
    return {}


async def run_job(cluster: Cluster, home: Path, video: Path, disturb: Disturb = _nothing) -> Run:
    """``video`` → English SRT by two workers on different nodes while ``disturb`` acts."""
    with worker_procs(cluster.urls(0), home / "workers") as pool:
        settings = AppSettings(
            mode="remote", rabbitmq_url=cluster.urls(0), workers=0,
            rabbitmq_heartbeat=HEARTBEAT_S, rabbitmq_rpc_queue=pool.prefix,
            data_dir=home / "data", cache_dir=home / "cache", log_dir=home / "logs",
            config_dir=home / "config",
        )  # fmt: skip
        rt = AppRuntime(settings)
        await rt.start()
        try:
            assert rt.events is not None and rt.runner is not None
            env = {"RABBITMQ_HEARTBEAT": str(HEARTBEAT_S), "VT_WORKER_SERVICES": "system,asr",
                   "LOG_LEVEL": "DEBUG"}  # fmt: skip
            pool.start("w-node0", RABBITMQ_URL=cluster.urls(0), **env)
            await rt.events.wait_for_workers(1, "asr", timeout=120)  # it declared asr first
            pool.start("w-node1", RABBITMQ_URL=cluster.urls(1), **env)
            await rt.events.wait_for_workers(2, "asr", timeout=120)
            spec = JobSpec(input=video, targets=["en"], out_dir=home / "out", model="tiny.en",
                           formats=["srt"])  # fmt: skip
            job = rt.store.create_job(spec)
            started = time.monotonic()
            running = asyncio.create_task(rt.runner.run(job))
            figures = await disturb(rt, job, pool)
            outcome = await asyncio.wait_for(running, 300)
            wall = time.monotonic() - started
        finally:
            await rt.stop()
        served: Counter[str] = Counter()
        logs = {wid: pool.log_text(wid) for wid in pool.procs}
        for text in logs.values():
            served.update(SERVED.findall(text))
    subs = pysubs2.load(str(home / "out" / f"{video.stem}.en.srt"))
    cues = [(e.start, e.end, e.text) for e in subs]
    return Run(cues, figures, outcome.calls_sent, served, wall, logs)


@pytest.fixture(scope="module")
def baseline(cluster: Cluster, talk: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    return asyncio.run(run_job(cluster, tmp_path_factory.mktemp("baseline"), talk))


def lost_and_duplicated(run: Run, baseline: Run) -> tuple[int, int]:
    want, got = Counter(baseline.cues), Counter(run.cues)
    return sum((want - got).values()), sum((got - want).values())


def answers_amqp(node: TestBroker) -> bool:
    """True while the node's AMQP port accepts connections (a paused node closes it)."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", node.port), 1):
        return True
    return False


async def disturb_leader(
    rt: AppRuntime, job: str, pool: WorkerProcs, *, cluster: Cluster, how: str, marks: list[float]
) -> dict[str, float]:
    """Once results flow, take the node leading ``asr`` away (``kill``: SIGKILL, later started
    again; ``freeze``: SIGSTOP, cut off from clients and peers alike, later SIGCONT;
    ``partition``: its distribution links blackholed both ways, later healed), and measure
    until both workers consume ``asr`` again and the node is back as its member."""
    asr = f"{pool.prefix}.rpc.asr"
    assert rt.rpc is not None
    reply = rt.rpc.reply_queue_name
    while rt.store.result_count(job) < 2:
        await asyncio.sleep(0.05)
    before = await asyncio.to_thread(cluster.queues, cluster.nodes[2], pool.prefix)
    leader = cluster.by_name(before[asr][0])
    for queue in (asr, reply):  # replicated on all three nodes
        assert before[queue][1].count("@") == 3, (queue, before[queue])
    ways: dict[str, tuple[Callable[[], None], Callable[[], None]]] = {
        "kill": (leader.kill, leader.start),
        "freeze": (leader.freeze, leader.thaw),
        "partition": (functools.partial(cluster.epmd.isolate, leader.name), cluster.epmd.heal),
    }
    take, give_back = ways[how]
    results_at = rt.store.result_count(job)
    app_link = rt.connection
    assert isinstance(app_link, FailoverConnection)
    started = time.monotonic()
    marks.append(time.time())
    await asyncio.to_thread(take)
    ask = next(node for node in cluster.nodes if node is not leader)
    figures: dict[str, float] = {
        "leader_node": float(cluster.nodes.index(leader)),
        "held": float(before[asr][4]),
    }
    # a frozen node is thawed once results flow again: while it is frozen, the survivors
    # list its channels' consumers (and may wait for it) until they give it up
    wanted = {
        "kill": ("results_again_s", "consumers_back_s"),
        "freeze": ("results_again_s",),
        "partition": ("results_again_s", "consumers_back_s", "paused_s"),
    }[how]
    # The node's own figures (paused, consumers back) do not need the job: once it has
    # finished, they are still waited for, for a while (a quick machine can finish the job
    # first); only "results again" needs it running.
    ended_at: float | None = None
    while not all(name in figures for name in wanted):
        finished = rt.store.get(job).state.finished  # asked first: what it saw is noted
        if "app_back_s" not in figures and app_link.switches and app_link.connected.is_set():
            figures["app_back_s"] = time.monotonic() - started
        if "results_again_s" not in figures and rt.store.result_count(job) > results_at:
            figures["results_again_s"] = time.monotonic() - started
        if finished and ended_at is None:
            ended_at = time.monotonic()
        if ended_at is not None and (
            "results_again_s" not in figures or time.monotonic() - ended_at > NODE_FIGURES_S
        ):
            break
        paused = "paused_s" in wanted and "paused_s" not in figures
        if paused and not await asyncio.to_thread(answers_amqp, leader):
            figures["paused_s"] = time.monotonic() - started
        if "consumers_back_s" in wanted and "consumers_back_s" not in figures:
            now = await asyncio.to_thread(cluster.queues, ask, pool.prefix)
            if asr in now and now[asr][0] != leader.name and now[asr][3] == "2":
                figures["consumers_back_s"] = time.monotonic() - started
        await asyncio.sleep(0.2)
    await asyncio.to_thread(give_back)
    figures["node_back_s"] = time.monotonic() - started
    for _ in range(90):  # its asr member is online again
        with contextlib.suppress(RuntimeError):  # a healing node may not answer yet
            if leader.name in (await asyncio.to_thread(cluster.queues, ask, pool.prefix))[asr][2]:
                figures["member_back_s"] = time.monotonic() - started
                break
        await asyncio.sleep(0.5)
    return figures


async def check_disturbed_run(
    cluster: Cluster,
    talk: Path,
    baseline: Run,
    home: Path,
    caplog: pytest.LogCaptureFixture,
    *,
    how: str,
) -> None:
    caplog.set_level(logging.INFO, "aio_pika")
    caplog.set_level(logging.INFO, "worker.transport")
    marks: list[float] = []
    run = await run_job(
        cluster,
        home,
        talk,
        functools.partial(disturb_leader, cluster=cluster, how=how, marks=marks),
    )
    lost, duplicated = lost_and_duplicated(run, baseline)
    redelivered = sum(n - 1 for n in run.served.values())
    f = run.figures
    print(
        f"reliability: cluster {how} asr leader (node {f['leader_node']:.0f}) "
        f"cues={len(run.cues)} lost={lost} duplicated={duplicated} "
        f"calls_sent={run.calls_sent} served={sum(run.served.values())} "
        f"held_at_{how}={f['held']:.0f} served_twice={redelivered} "
        f"app_back={f.get('app_back_s', -1):.1f}s paused={f.get('paused_s', -1):.1f}s "
        f"results_again={f.get('results_again_s', -1):.1f}s "
        f"consumers_back={f.get('consumers_back_s', -1):.1f}s "
        f"node_back={f['node_back_s']:.1f}s member_back={f.get('member_back_s', -1):.1f}s "
        f"wall={run.wall_s:.0f}s "
        f"baseline_wall={baseline.wall_s:.0f}s baseline_served={sum(baseline.served.values())}"
    )
    links = ("worker.transport.connection", "aio_pika.robust_connection")
    app = [r for r in caplog.records if marks and r.created >= marks[0] and r.name in links]
    for r in app[:8]:  # how the app saw it
        print(f"  app +{r.created - marks[0]:.1f}s {r.getMessage()[:200]}")
    if how == "partition":  # how the node cut off saw it
        node = cluster.nodes[int(f["leader_node"])]
        since = datetime.fromtimestamp(marks[0], UTC).strftime("%Y-%m-%d %H:%M:%S")
        for path in sorted(node.node.layout.logs.glob("*.log")):
            said = [x for x in path.read_text(errors="replace").splitlines() if x[:19] >= since]
            for line in [x for x in said if re.search(r"minority|partition|[Pp]aus", x)][:6]:
                print(f"  node {f['leader_node']:.0f}: {line[:200]}")
    for wid, text in run.logs.items():  # how each worker saw it
        moved = [line for line in text.splitlines() if re.search(r"WARNING|ERROR|next try", line)]
        print(f"  {wid}: " + "\n  ".join(line[:220] for line in moved[:8]))
    assert (lost, duplicated) == (0, 0)
    assert run.cues == baseline.cues
    assert "results_again_s" in f, "the job ended before results flowed again"
    if how in ("kill", "partition"):
        assert "consumers_back_s" in f, "the job ended before both workers consumed again"
    if how == "partition":
        assert "paused_s" in f, "the node cut off went on serving its clients"
    assert "member_back_s" in f, "the node brought back is not an online member of asr"


async def test_killing_the_node_that_leads_the_asr_queue_loses_and_duplicates_nothing(
    cluster: Cluster, talk: Path, baseline: Run, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await check_disturbed_run(cluster, talk, baseline, tmp_path, caplog, how="kill")


async def test_cutting_off_the_node_that_leads_the_asr_queue_loses_and_duplicates_nothing(
    cluster: Cluster, talk: Path, baseline: Run, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A partition of one node, from clients and peers alike: the node is frozen (SIGSTOP), so
    clients' heartbeats and the peers' net ticks (6 s here) go unanswered, then thawed: it
    finds itself partitioned from the majority and heals (``autoheal``)."""
    await check_disturbed_run(cluster, talk, baseline, tmp_path, caplog, how="freeze")


async def test_partitioning_the_node_that_leads_the_asr_queue_loses_and_duplicates_nothing(
    cluster: Cluster, talk: Path, baseline: Run, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A true partition of one node: its distribution links to both peers are blackholed by
    the proxies (both ways, no RST), while the app's and a worker's AMQP links to it stay
    up. The node, a minority of one, pauses (``pause_minority``): it closes its clients'
    links, they move to the majority, and once healed it rejoins by itself."""
    await asyncio.to_thread(cluster.partition_handling, "pause_minority")
    try:
        await check_disturbed_run(cluster, talk, baseline, tmp_path, caplog, how="partition")
    finally:
        cluster.epmd.heal()
        await asyncio.to_thread(cluster.partition_handling, "autoheal")
