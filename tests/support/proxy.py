"""A TCP proxy on loopback that a test can cut: bytes stop flowing both ways, like a pulled
cable (no RST, so each side only notices when its heartbeats go unanswered). It can also
sever the clients' side only: they see their connections close at once, while the broker
keeps the old ones open until their heartbeats go unanswered (a laptop that slept, a NAT
that forgot the flow).

It runs its own event loop in a thread, so worker subprocesses and the test's loop can both
connect through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading


class CuttableProxy:
    """Forwards ``127.0.0.1:<port>`` to ``127.0.0.1:<target>`` until cut."""

    __test__ = False

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.connections = 0
        self._cut = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._writers: set[asyncio.StreamWriter] = set()
        self._pairs: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = []
        self._zombies: set[asyncio.StreamWriter] = set()  # broker side of severed links
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> None:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._accept, "127.0.0.1", 0), self._loop
        ).result(10)
        self.port = self._server.sockets[0].getsockname()[1]

    def cut(self) -> None:
        """Stop every byte, both ways, on existing and new connections."""
        self._cut.set()

    def restore(self) -> None:
        """Drop the connections that lived through the cut (their streams lost bytes), then
        forward again: clients reconnect."""
        asyncio.run_coroutine_threadsafe(self._drop_all(), self._loop).result(10)
        self._cut.clear()

    def sever_clients(self) -> None:
        """Close every client's connection now; the broker's side stays open and silent."""
        asyncio.run_coroutine_threadsafe(self._sever(), self._loop).result(10)

    async def _sever(self) -> None:
        for client, upstream in self._pairs:
            self._zombies.add(upstream)
            self._writers.discard(upstream)
            client.close()
        self._pairs.clear()

    async def _drop_all(self) -> None:
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        if self._cut.is_set():  # a reconnect during the cut: hold it, answer nothing
            await self._swallow(reader)
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self.connections += 1
        self._writers.add(up_writer)
        self._pairs.append((writer, up_writer))
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))

    async def _swallow(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(OSError):
            while await reader.read(65536):
                pass

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self._cut.is_set() or writer in self._zombies:
                    continue  # lost on the wire
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            if writer not in self._zombies:  # a severed link stays open on the broker's side
                writer.close()
            self._writers.discard(writer)

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._drop_all(), self._loop).result(10)
        for zombie in list(self._zombies):
            self._loop.call_soon_threadsafe(zombie.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
