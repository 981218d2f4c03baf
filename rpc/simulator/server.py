"""The asyncio broker: a listener whose connections each run MAIN^XWBTCPM's loop.

Each connection mirrors one VistA broker process (GTMLNX^XWBTCPM): the first message must be
TCPConnect (NEW), then requests are answered one at a time until #BYE#, an idle timeout or a
broken request.  Parsing is :class:`~rpc.simulator.reader.RequestReader` (XWBPRS), framing is
:mod:`rpc.wire` (XWBRW), and every database decision goes to the :class:`BrokerHandler`.

Timings copy VistA's and are all configurable (tests shorten them):

- ``connect``: CONNTYPE reads the first 5 bytes with XWBTIME=10 (BREAD: 10/2+1 reads of 2 s).
- ``signon_idle`` / ``idle``: MAIN's wait for a request (SETTIME^XWBTCPM: 180 s during sign-on,
  then the broker activity timeout; the handler may set ``Session.idle_timeout``).
- ``read``: once a request has begun it must be complete within this (BREAD gives up after
  XWBTIME(1)=5 -> 4 silent reads of 2 s; here the whole request is bounded, so a slow-loris
  client cannot hold a connection by trickling bytes).
- ``drain``: CLRBUF^XWBPRS after a refused request reads until EOT or 2 s of silence.
- ``trap_hang``: ^%ZTER ends with ``H 1`` before ETRAP^XWBTCPM answers an M error.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from rpc.simulator.connection import BrokerConnection
from rpc.simulator.errors import SimulatorError
from rpc.simulator.handler import BrokerHandler


@dataclass(frozen=True)
class Timings:
    """VistA's waits, in seconds (see the module docstring for where each comes from)."""

    connect: float = 14.0
    signon_idle: float = 180.0
    idle: float = 180.0
    read: float = 8.0
    drain: float = 2.0
    trap_hang: float = 1.0


@dataclass(frozen=True)
class Limits:
    """Bounds that keep one client from taking the server's memory or all its slots."""

    max_connections: int = 256
    max_field: int = 1 << 20
    max_request: int = 4 << 20


@dataclass
class ServerConfig:
    timings: Timings = field(default_factory=Timings)
    limits: Limits = field(default_factory=Limits)


class BrokerServer:
    """The simulator's listener on 127.0.0.1 (or another local address)."""

    def __init__(self, handler: BrokerHandler, config: ServerConfig | None = None) -> None:
        self.handler = handler
        self.config = config or ServerConfig()
        self._server: asyncio.Server | None = None
        self._connections: set[BrokerConnection] = set()

    @property
    def active(self) -> int:
        """Connections open now."""
        return len(self._connections)

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise SimulatorError("the broker simulator is not listening")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: BrokerConnection(self), host, port)

    def connection_opened(self, conn: BrokerConnection) -> None:
        self._connections.add(conn)

    def connection_closed(self, conn: BrokerConnection) -> None:
        self._connections.discard(conn)

    async def serve_forever(self) -> None:
        if self._server is None:
            raise SimulatorError("start() the broker simulator first")
        await self._server.serve_forever()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for conn in list(self._connections):
                conn.close()
            await self._server.wait_closed()
            self._server = None


@contextlib.contextmanager
def running_in_thread(
    handler: BrokerHandler,
    config: ServerConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[BrokerServer]:
    """Run a :class:`BrokerServer` on its own event loop thread (for blocking clients/tests)."""
    server = BrokerServer(handler, config)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    failure: list[BaseException] = []

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start(host, port))
        except BaseException as exc:
            failure.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=main, name="broker-simulator", daemon=True)
    thread.start()
    ready.wait(10)
    if failure:
        raise SimulatorError(f"the broker simulator could not start: {failure[0]}")
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
