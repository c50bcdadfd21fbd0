"""Several people sharing workers on one virtual host, each reading only their own replies.

A team's vhost gets one user for its workers and one per person, with the permission set
that README "Running a farm" documents (``FARM_PERMISSIONS`` below is that table). A real
worker serves two people's apps, each through its own user; the second person's connection
is then refused every way of reaching the first one's reply queue, and the calls that carry
the first one's audio.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage
from aiormq.exceptions import ChannelAccessRefused

from tests.support.broker import TestBroker
from tests.support.workers import WorkerProcs
from vt_desktop.core.config import AppSettings
from vt_desktop.core.runtime import AppRuntime
from worker.protocol.system import PING, PingParams

pytestmark = pytest.mark.slow
Attempt = Callable[[AbstractChannel], Awaitable[object]]

#: configure, write, read (regular expressions, as ``rabbitmqctl set_permissions`` takes them)
#: for the prefix ``vt``; ``{user}`` is the person's broker user name.
FARM_PERMISSIONS = {
    "worker": (
        r"^(vt\..*|amq(\.gen-|_).*)$",
        r"^(vt\..*|amq(\.gen-|_).*|amq\.default)$",
        r"^(vt\..*|amq(\.gen-|_).*)$",
    ),
    "person": (
        r"^(vt\.reply\.{user}\..*|amq(\.gen-|_).*|vt\.(rpc|events|control|dlx|dead))$",
        r"^(vt\.reply\.{user}\..*|amq(\.gen-|_).*|vt\.(rpc|control|dead))$",
        r"^(vt\.reply\.{user}\..*|amq(\.gen-|_).*|vt\.(events|dlx))$",
    ),
}


class Team:
    """A fresh vhost on the test broker with a worker user and two people."""

    def __init__(self, broker: TestBroker) -> None:
        self.broker = broker
        self.vhost = f"team-{uuid.uuid4().hex[:6]}"
        tag = uuid.uuid4().hex[:4]
        self.users = {
            "worker": f"vtw{tag}", "alice": f"alice{tag}", "bob": f"bob{tag}",
            "admin": f"admin{tag}",  # full rights: the control that each attempt can succeed
        }  # fmt: skip
        self.passwords = {name: uuid.uuid4().hex for name in self.users}

    def create(self) -> None:
        ctl = self.broker.ctl
        ctl("add_vhost", self.vhost)
        for role, user in self.users.items():
            ctl("add_user", user, self.passwords[role])
            kind = "worker" if role == "worker" else "person"
            perms = [p.replace("{user}", user) for p in FARM_PERMISSIONS[kind]]
            if role == "admin":
                perms = [".*", ".*", ".*"]
            ctl("set_permissions", "-p", self.vhost, user, *perms)

    def delete(self) -> None:
        for user in self.users.values():
            self.broker.ctl("delete_user", user)
        self.broker.ctl("delete_vhost", self.vhost)

    def url(self, role: str) -> str:
        return (
            f"amqp://{self.users[role]}:{self.passwords[role]}@127.0.0.1:{self.broker.port}/"
            f"{quote(self.vhost, safe='')}"
        )


@pytest.fixture
def team(broker: TestBroker) -> Iterator[Team]:
    team = Team(broker)
    team.create()
    yield team
    team.delete()


@pytest.fixture
async def apps(team: Team, tmp_path: Path) -> AsyncIterator[dict[str, AppRuntime]]:
    """Alice's and Bob's apps on the team's vhost, served by one worker (its own user)."""
    pool = WorkerProcs(url=team.url("worker"), prefix="vt", home=tmp_path / "workers")
    pool.home.mkdir(parents=True)
    runtimes: dict[str, AppRuntime] = {}
    try:
        pool.start("w-team", VT_WORKER_SERVICES="system")
        for person in ("alice", "bob"):
            home = tmp_path / person
            settings = AppSettings(
                mode="remote", rabbitmq_url=team.url(person), workers=0,
                rabbitmq_rpc_queue="vt", data_dir=home / "data", cache_dir=home / "cache",
                log_dir=home / "logs", config_dir=home / "config",
            )  # fmt: skip
            runtimes[person] = AppRuntime(settings)
            await runtimes[person].start()
        yield runtimes
    finally:
        for rt in runtimes.values():
            await rt.stop()
        pool.stop_all()


async def test_people_share_a_worker_and_each_reads_only_their_own_replies(
    team: Team, apps: dict[str, AppRuntime]
) -> None:
    alice, bob = apps["alice"], apps["bob"]
    assert alice.rpc is not None and bob.rpc is not None and alice.events is not None
    await alice.events.wait_for_workers(1, "system", timeout=60)
    # both are served by the same worker, each through their own reply queue
    for rt, person in ((alice, "alice"), (bob, "bob")):
        assert rt.rpc is not None
        assert rt.rpc.reply_queue_name.startswith(f"vt.reply.{team.users[person]}.")
        pong = await rt.rpc.call(PING, PingParams(), timeout=30)
        assert pong.worker_id == "w-team"
    # Bob's own connection, trying every way into Alice's replies and calls
    theirs = alice.rpc.reply_queue_name
    attempts: dict[str, Attempt] = {
        "consume Alice's reply queue": lambda ch: _consume(ch, theirs),
        "get from Alice's reply queue": lambda ch: _get(ch, theirs),
        "purge Alice's reply queue": lambda ch: _purge(ch, theirs),
        "bind Alice's reply queue elsewhere": lambda ch: _bind(ch, theirs),
        "declare a queue under Alice's name": lambda ch: ch.declare_queue(
            f"vt.reply.{team.users['alice']}.mine"
        ),
        "consume a service queue (everyone's calls)": lambda ch: _consume(ch, "vt.rpc.system"),
        "tap vt.rpc with a queue of his own": _tap,
        "delete Alice's reply queue": lambda ch: ch.queue_delete(theirs),  # last: the control
    }
    refused = await _try_all(team.url("bob"), attempts)
    print(f"reliability: permissions: {len(refused)} of {len(attempts)} refused: {refused}")
    assert refused == list(attempts)
    # and Alice's app still works (nothing Bob tried touched her queue)
    assert (await alice.rpc.call(PING, PingParams(), timeout=30)).worker_id == "w-team"
    # the control: a user with every right on the vhost gets through each of those ways
    assert await _try_all(team.url("admin"), attempts) == []


async def _try_all(url: str, attempts: dict[str, Attempt]) -> list[str]:
    """Each attempt on a fresh channel of one connection as ``url``'s user; those refused."""
    refused: list[str] = []
    connection = await aio_pika.connect(url)
    try:
        for what, attempt in attempts.items():
            channel = await connection.channel()
            try:
                await attempt(channel)
            except ChannelAccessRefused:
                refused.append(what)
            finally:
                if not channel.is_closed:
                    await channel.close()
    finally:
        await connection.close()
    return refused


async def _consume(channel: AbstractChannel, name: str) -> None:
    queue = await channel.get_queue(name, ensure=False)

    async def take(message: AbstractIncomingMessage) -> None:
        await message.ack()

    await queue.consume(take)


async def _get(channel: AbstractChannel, name: str) -> None:
    queue = await channel.get_queue(name, ensure=False)
    await queue.get(fail=False)


async def _purge(channel: AbstractChannel, name: str) -> None:
    queue = await channel.get_queue(name, ensure=False)
    await queue.purge()


async def _bind(channel: AbstractChannel, name: str) -> None:
    queue = await channel.get_queue(name, ensure=False)
    await queue.bind("vt.events", routing_key="#")


async def _tap(channel: AbstractChannel) -> None:
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind("vt.rpc", routing_key="system")
