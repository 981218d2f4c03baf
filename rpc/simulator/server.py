"""The asyncio broker: one task per connection running MAIN^XWBTCPM's loop.

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
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from parsers.collation import encode_m
from rpc.simulator.errors import SimulatorError
from rpc.simulator.handler import (
    BrokerHandler,
    CallResult,
    ListParam,
    Literal,
    MError,
    Param,
    RpcEntry,
    Session,
)
from rpc.simulator.mliteral import GETV, is_plain_name, literal_value, undefined
from rpc.simulator.reader import Abort, Bye, Call, Connect, Event, Reference, RequestReader
from rpc.wire import ReturnType, encode_data, encode_m_error, encode_response

log = logging.getLogger(__name__)

_READ_SIZE = 65536
_T = TypeVar("_T")


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


class _Closed(Exception):
    """The connection ends (EOF, timeout, broken request)."""


class _Connection:
    """One client: MAIN^XWBTCPM over an asyncio stream pair."""

    def __init__(
        self,
        server: BrokerServer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.server = server
        self.handler = server.handler
        self.timings = server.config.timings
        self.reader = reader
        self.writer = writer
        limits = server.config.limits
        self.requests = RequestReader(max_field=limits.max_field, max_request=limits.max_request)
        peer = writer.get_extra_info("peername")
        self.session = Session(peer=str(peer[0]) if isinstance(peer, tuple) else "")
        self.opened = False

    async def run(self) -> None:
        try:
            await self._connect()
            while True:
                idle = self.session.idle_timeout
                if idle is None:
                    t = self.timings
                    idle = t.idle if self.session.duz > 0 else t.signon_idle
                event = await self._next_event(idle)
                if isinstance(event, Bye):
                    await self._send(encode_response(b"#BYE#"))
                    return
                if isinstance(event, Call):
                    await self._answer(event)
                elif isinstance(event, Abort):
                    log.info("broker connection closed: %s", event.reason)
                    return
                # Ignored: MAIN logs "Bad Header" and reads the next 5 bytes
        except _Closed:
            return
        except (ConnectionError, OSError):
            return
        finally:
            if self.opened:
                self._close_session()
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()

    # -- NEW^XWBTCPM ---------------------------------------------------------------------
    async def _connect(self) -> None:
        event = await self._next_event(self.timings.connect)
        if not isinstance(event, Connect):
            raise _Closed
        full = self.server.active > self.server.config.limits.max_connections
        if event.command != "TCPConnect" or full:
            # NEW^XWBTCPM: QSND^XWBRW("reject") when the message is not TCPConnect or
            # $$NEWJOB refuses another process
            await self._send(encode_response(b"reject"))
            raise _Closed
        self.session.connect_params = event.params
        self._guard(lambda: self.handler.open_session(self.session))
        self.opened = True
        await self._send(encode_response(b"accept"))

    # -- CALLP^XWBPRS ------------------------------------------------------------------------
    async def _answer(self, call: Call) -> None:
        if call.rpc == "XUS SET SHARED":  # CALLP: sets XWBSHARE and quits; SND sends nothing
            await self._reply(call, encode_response())
            return
        security = call.failure or ""
        entry: RpcEntry | None = None
        if call.failure is None:
            if not call.rpc:
                security = "No RPC sent"
            else:
                entry, security = self._check(call.rpc)
        if entry is None or security:
            if call.command != "#BYE#":
                await self._drain()
            await self._reply(call, encode_response(security=encode_m(security)))
            return
        try:
            if call.error is not None:
                raise call.error
            params = [self._resolve(p) for p in call.params]
            result = self.handler.call(self.session, entry, params)
        except MError as exc:
            await self._trap(call, exc)
            return
        except Exception as exc:  # a bug in a handler: VistA's trap shape, never a traceback
            log.warning("RPC handler %s^%s failed: %s", entry.tag, entry.routine, type(exc))
            log.debug("handler failure", exc_info=True)
            await self._trap(call, _internal_error(entry, exc))
            return
        if result.hang > 0:
            await asyncio.sleep(result.hang)
        await self._reply(call, _frame(entry, result))

    def _check(self, name: str) -> tuple[RpcEntry | None, str]:
        """$$RPC^XWBPRS then CHKPRMIT^XWBSEC: the entry, or the security text."""
        entry = self._guard(lambda: self.handler.lookup_rpc(name))
        if entry is None:
            return None, f"Remote Procedure '{name}' doesn't exist on the server."
        if entry.inactive in ("1", "2"):
            return None, f"Remote Procedure '{name}' cannot be run at this time."
        return entry, self._guard(lambda: self.handler.check_permission(self.session, name))

    def _resolve(self, param: Literal | ListParam | Reference) -> Param:
        """GETV^XWBPRS without evaluation: "$$..." is "", a literal is its value, a plain name
        is looked up in the session's fixed set; anything else is an undefined name."""
        if not isinstance(param, Reference):
            return param
        text = param.text
        if text.startswith("$$"):
            return Literal("")
        value = literal_value(text)
        if value is not None:
            return Literal(value)
        local = self.session.vars.get("locals")
        if is_plain_name(text) and isinstance(local, dict) and text in local:
            return Literal(str(local[text]))
        raise undefined(GETV, text if is_plain_name(text) else "(expression)")

    async def _trap(self, call: Call, exc: MError) -> None:
        """ETRAP^XWBTCPM: ^%ZTER (which hangs 1 s), then ESND^XWBRW of $C(24) text $C(4)."""
        await asyncio.sleep(self.timings.trap_hang)
        await self._reply(call, encode_m_error(encode_m(exc.wire_text())))

    async def _reply(self, call: Call, data: bytes) -> None:
        if not call.no_reply:  # MAIN: I '$G(XWBPRT) D SND^XWBRW
            await self._send(data)

    # -- reading -----------------------------------------------------------------------------
    async def _next_event(self, idle: float) -> Event:
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        event = self.requests.next_event()
        while event is None:
            if self.requests.in_request or self.requests.buffered():
                if deadline is None:
                    deadline = loop.time() + self.timings.read
                timeout = deadline - loop.time()
            else:
                timeout = idle
            await self._feed(timeout)
            event = self.requests.next_event()
        return event

    async def _feed(self, timeout: float) -> None:
        if timeout <= 0:
            raise _Closed
        try:
            data = await asyncio.wait_for(self.reader.read(_READ_SIZE), timeout)
        except TimeoutError:
            raise _Closed from None
        if not data:
            raise _Closed
        self.requests.feed(data)

    async def _drain(self) -> None:
        """CLRBUF^XWBPRS: read until an EOT or ``drain`` seconds of silence (bounded)."""
        loop = asyncio.get_running_loop()
        stop = loop.time() + max(self.timings.read, self.timings.drain)
        while not self.requests.drain():
            wait = min(self.timings.drain, stop - loop.time())
            if wait <= 0:
                return
            try:
                data = await asyncio.wait_for(self.reader.read(_READ_SIZE), wait)
            except TimeoutError:
                return
            if not data:
                raise _Closed
            self.requests.feed(data)

    async def _send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    def _close_session(self) -> None:
        try:
            self.handler.close_session(self.session)
        except Exception:
            log.warning("closing a broker session failed", exc_info=True)

    def _guard(self, fn: Callable[[], _T]) -> _T:
        try:
            return fn()
        except MError:
            raise
        except Exception as exc:
            log.debug("handler failure", exc_info=True)
            raise _Closed from exc


def _frame(entry: RpcEntry, result: CallResult) -> bytes:
    """SND^XWBRW: packets, then the data as the RPC's return type (or RTRNFMT's override)."""
    rtype = result.return_type or entry.return_type
    value = result.value
    if isinstance(value, str):
        lines = [encode_m(value)]
        if rtype not in (ReturnType.SINGLE_VALUE, ReturnType.GLOBAL_INSTANCE) and not value:
            lines = []
    else:
        lines = [encode_m(v) for v in value]
        if rtype in (ReturnType.SINGLE_VALUE, ReturnType.GLOBAL_INSTANCE):
            lines = lines[:1]
    data = encode_data(rtype, lines, wrap=entry.word_wrap)
    return encode_response(data, security=encode_m(result.security), error=encode_m(result.error))


def _internal_error(entry: RpcEntry, exc: Exception) -> MError:
    """A Python failure inside a handler, shaped like the trap's text (no traceback, no data)."""
    return MError(
        f"{entry.tag}^{entry.routine}",
        f" Simulator handler failed ({type(exc).__name__})",
        "150379999",
        "%SIM-E-HANDLER",
    )


class BrokerServer:
    """The simulator's listener on 127.0.0.1 (or another local address)."""

    def __init__(self, handler: BrokerHandler, config: ServerConfig | None = None) -> None:
        self.handler = handler
        self.config = config or ServerConfig()
        self.active = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise SimulatorError("the broker simulator is not listening")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = await asyncio.start_server(self._accept, host, port, limit=_READ_SIZE)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self.active += 1
        try:
            await _Connection(self, reader, writer).run()
        except asyncio.CancelledError:
            writer.close()  # stop(): the connection ends with the server
        finally:
            self.active -= 1
            if task is not None:
                self._tasks.discard(task)

    async def serve_forever(self) -> None:
        if self._server is None:
            raise SimulatorError("start() the broker simulator first")
        await self._server.serve_forever()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
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
