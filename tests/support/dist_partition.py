"""A network partition between Erlang nodes on one machine: an epmd of our own that puts a
blackholing proxy in front of every node's distribution port.

Erlang nodes find each other through epmd: a node registers its distribution port there
(ALIVE2), and a peer asks for it (PORT_PLEASE2) and connects straight to it, so a proxy on
the path needs the answer to name the proxy instead. ``ProxyEpmd`` speaks epmd's protocol
(ALIVE2, PORT_PLEASE2, NAMES) on a private port that the nodes and their ``rabbitmqctl``
are given as ``ERL_EPMD_PORT``; it answers a port query with the port of a proxy that
forwards to the node's real distribution port. Every connection between two nodes then
passes one proxy: the one in front of the node that was connected to.

``isolate(name)`` cuts a node off from every other node, both ways, like a pulled cable
(bytes stop, no RST: each side notices only when its net ticks go unanswered): connections
to it (its own proxy) and connections it opened to others (their proxies know the opener
from the name in the handshake's first message). New connections are held and answered
nothing. ``heal()`` drops the connections that lived through the cut (their streams lost
bytes) and forwards again; the nodes reconnect by themselves. Clients' AMQP links are not
touched: what the node does with them is up to its ``cluster_partition_handling``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import struct
import threading
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

ALIVE2_REQ, ALIVE2_X_RESP = 120, 118
PORT_PLEASE2_REQ, PORT2_RESP = 122, 119
NAMES_REQ = 110


@dataclass
class _Node:
    """One registered node: its ALIVE2 request (what PORT2_RESP repeats) and its proxy."""

    name: str
    port: int
    tail: bytes  # node type, protocol, highest and lowest version
    extra: bytes
    proxy: _DistProxy


@dataclass
class _DistProxy:
    """Forwards to one node's distribution port; cuts what touches an isolated node."""

    owner: ProxyEpmd
    name: str
    target: int
    port: int = 0
    server: asyncio.Server | None = None
    links: list[tuple[str, asyncio.StreamWriter, asyncio.StreamWriter]] = field(
        default_factory=list
    )
    waiting: set[asyncio.StreamWriter] = field(default_factory=set)  # held during a cut

    def cut(self, opener: str) -> bool:
        return bool({self.name, opener} & self.owner.isolated)

    async def accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            first = await _handshake_message(reader)
        except (OSError, asyncio.IncompleteReadError):
            writer.close()
            return
        opener = _opener_name(first)
        if self.cut(opener):  # a reconnect during the cut: hold it, answer nothing
            self.waiting.add(writer)
            with contextlib.suppress(OSError):
                while await reader.read(65536):
                    pass
            self.waiting.discard(writer)
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        up_writer.write(first)
        self.links.append((opener, writer, up_writer))
        await asyncio.gather(
            self._pump(reader, up_writer, opener), self._pump(up_reader, writer, opener)
        )

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, opener: str
    ) -> None:
        try:
            while data := await reader.read(65536):
                if self.cut(opener):
                    continue  # lost on the wire
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    def drop_cut_links(self, names: set[str]) -> None:
        for writer in self.waiting:
            writer.close()
        keep = []
        for opener, a, b in self.links:
            if {self.name, opener} & names:
                a.close()
                b.close()
            elif not a.is_closing():
                keep.append((opener, a, b))
        self.links = keep


async def _handshake_message(reader: asyncio.StreamReader) -> bytes:
    """The opener's first distribution message (2-byte length, then the name message)."""
    head = await asyncio.wait_for(reader.readexactly(2), 30)
    (size,) = struct.unpack(">H", head)
    return head + await asyncio.wait_for(reader.readexactly(size), 30)


def _opener_name(first: bytes) -> str:
    """The node name in a send_name message: ``n`` (version 5) or ``N`` (version 6)."""
    body = first[2:]
    if body[:1] == b"N" and len(body) >= 15:
        (nlen,) = struct.unpack(">H", body[13:15])
        raw = body[15 : 15 + nlen]
    else:
        raw = body[7:]
    return raw.decode(errors="replace").split("@", 1)[0]


class ProxyEpmd:
    """An epmd on ``127.0.0.1:<port>`` whose answers route every node through a proxy.

    Runs its own event loop in a thread, so the nodes, their CLI tools and the test's loop
    can all use it.
    """

    __test__ = False

    def __init__(self) -> None:
        self.port = 0
        #: Node names (the part before ``@``) cut off from every other node.
        self.isolated: set[str] = set()
        self._nodes: dict[str, _Node] = {}
        self._proxies: dict[str, _DistProxy] = {}
        #: Registrations (a node stays registered while its connection is open).
        self.held: set[asyncio.StreamWriter] = set()
        self._creation = itertools.count(random.randint(1 << 16, 1 << 30))
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> None:
        self._thread.start()
        self._server = self._run(asyncio.start_server(self._serve, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]

    def isolate(self, node_name: str) -> None:
        """Cut ``node_name`` (``name@host``) off from every other node, both ways."""
        self._loop.call_soon_threadsafe(self.isolated.add, node_name.split("@", 1)[0])

    def heal(self) -> None:
        """Forward everything again (connections that lived through the cut are dropped)."""

        async def heal() -> None:
            names, self.isolated = set(self.isolated), set()
            for proxy in self._proxies.values():
                proxy.drop_cut_links(names)

        self._run(heal())

    def stop(self) -> None:
        async def close() -> None:
            for proxy in self._proxies.values():
                proxy.drop_cut_links({proxy.name})
                if proxy.server is not None:
                    proxy.server.close()
            if self._server is not None:
                self._server.close()
            for writer in self.held:
                writer.close()
            await asyncio.sleep(0.2)  # the connections' tasks see their ends

        with contextlib.suppress(Exception):
            self._run(close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            (size,) = struct.unpack(">H", await reader.readexactly(2))
            request = await reader.readexactly(size)
            if request[0] == ALIVE2_REQ:
                await self._register(request, reader, writer)
            elif request[0] == PORT_PLEASE2_REQ:
                writer.write(self._port_reply(request[1:].decode()))
            elif request[0] == NAMES_REQ:
                lines = "".join(
                    f"name {n.name} at port {n.proxy.port}\n" for n in self._nodes.values()
                )
                writer.write(struct.pack(">I", self.port) + lines.encode())
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, IndexError):
            pass
        finally:
            writer.close()

    async def _register(
        self, request: bytes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """ALIVE2: the node stays registered while it keeps this connection open."""
        (port,) = struct.unpack(">H", request[1:3])
        tail = request[3:9]
        (nlen,) = struct.unpack(">H", request[9:11])
        name = request[11 : 11 + nlen].decode()
        (elen,) = struct.unpack(">H", request[11 + nlen : 13 + nlen])
        extra = request[13 + nlen : 13 + nlen + elen]
        proxy = self._proxies.get(name)
        if proxy is None or proxy.target != port:
            if proxy is not None and proxy.server is not None:
                proxy.server.close()
            proxy = _DistProxy(self, name, port)
            proxy.server = await asyncio.start_server(proxy.accept, "127.0.0.1", 0)
            proxy.port = proxy.server.sockets[0].getsockname()[1]
            self._proxies[name] = proxy
        self._nodes[name] = _Node(name, port, tail, extra, proxy)
        writer.write(struct.pack(">BBI", ALIVE2_X_RESP, 0, next(self._creation)))
        await writer.drain()
        self.held.add(writer)
        with contextlib.suppress(OSError):
            while await reader.read(1024):
                pass
        self.held.discard(writer)
        if self._nodes.get(name) is not None and self._nodes[name].port == port:
            del self._nodes[name]  # unregistered; its proxy waits for a restart on that port

    def _port_reply(self, name: str) -> bytes:
        node = self._nodes.get(name)
        if node is None:
            return struct.pack(">BB", PORT2_RESP, 1)
        encoded = name.encode()
        return (
            struct.pack(">BBH", PORT2_RESP, 0, node.proxy.port)
            + node.tail
            + struct.pack(">H", len(encoded))
            + encoded
            + struct.pack(">H", len(node.extra))
            + node.extra
        )
