"""The asyncio broker client: asyncio streams driving the same core as :mod:`rpc.client`.

Same steps, same typed results and errors; only the transport differs::

    async with AsyncBrokerClient("127.0.0.1", 9430) as vista:
        await vista.sign_on("ACCESS", "VERIFY", context="OR CPRS GUI CHART")
        allergies = (await vista.call("ORQQAL LIST", "1")).lines

A connection serves one call at a time (XWB is strictly request/response); concurrent callers
on one client are serialized by a lock.  Use a pool for parallel calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable, Generator, Sequence
from types import TracebackType
from typing import TypeVar

from rpc import session
from rpc.cipher import CipherTable, RowChooser
from rpc.connection import (
    DEFAULT_TIMEOUT,
    RECV_BYTES,
    ConnectionCore,
    closed_error,
    io_error,
    late_error,
    stray_bytes_error,
)
from rpc.errors import BrokerConnectionError, BrokerError, BrokerTimeoutError, ProtocolError
from rpc.protocol import Param, Reply, RPCResult
from rpc.session import Exchange, SignOn, SignOnSetup, VistaUser
from rpc.wire import ReturnType

T = TypeVar("T")


class AsyncBrokerClient(ConnectionCore):
    """One connection to a VistA RPC Broker (asyncio); arguments as
    :class:`~rpc.connection.ConnectionCore`."""

    def _init_io(self) -> None:
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()
        self._deadline: float | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._watch_at = 0.0
        self._timed_out = False

    # -- lifecycle -----------------------------------------------------------------------------

    async def open(self) -> AsyncBrokerClient:
        if self._writer is not None:
            return self
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as exc:  # TimeoutError included
            raise self._connect_error(exc) from None
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._reader, self._writer = reader, writer
        self._timed_out = False
        self._connected()
        address = writer.get_extra_info("sockname")[0]
        await self._run(session.handshake(address, self.client_name), self.connect_timeout)
        return self

    async def close(self) -> None:
        if self._writer is None:
            return
        if not self.broken:
            with contextlib.suppress(BrokerError):
                await self._run(session.bye(), min(self.timeout, 5.0))
        await self._drop()

    async def _drop(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def __aenter__(self) -> AsyncBrokerClient:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def is_open(self) -> bool:
        return self._writer is not None and not self.broken

    # -- session -------------------------------------------------------------------------------

    async def sign_on(
        self,
        access: str,
        verify: str,
        *,
        context: str | None = None,
        intro: bool = False,
        user_info: bool = True,
        timeout: float | None = None,
    ) -> SignOn:
        await self.open()
        steps = self._sign_on_steps(access, verify, context, intro, user_info)
        return await self._run(steps, timeout)

    async def signon_setup(self, *, timeout: float | None = None) -> SignOnSetup:
        """XUS SIGNON SETUP alone (what :meth:`sign_on` does first)."""
        await self.open()
        return await self._run(session.signon_setup(), timeout)

    async def authenticate(
        self, access: str, verify: str, *, timeout: float | None = None
    ) -> tuple[int, tuple[str, ...]]:
        """XUS AV CODE alone: DUZ and VistA's post-sign-on lines, or a :class:`SignOnError`."""
        return await self._run(self._authenticate_steps(access, verify), timeout)

    async def user_info(self, *, timeout: float | None = None) -> VistaUser:
        """XUS GET USER INFO."""
        return await self._run(session.user_info(), timeout)

    async def create_context(self, context: str, *, timeout: float | None = None) -> None:
        await self._run(self._context_steps(context), timeout)

    async def call(
        self,
        name: str,
        *params: Param,
        returns: ReturnType | None = None,
        timeout: float | None = None,
    ) -> RPCResult:
        """Call RPC ``name``; ``returns`` is its RETURN VALUE TYPE when not a known RPC."""
        # one exchange: driven directly (the same steps as session.call, without a generator)
        limit = self.timeout if timeout is None else timeout
        exchange = session.rpc_exchange(name, params)
        await self._lock.acquire()  # one call at a time on a connection (XWB is lock-step)
        try:
            reply = await self._exchange(exchange, self._now() + limit, limit)
        finally:
            self._lock.release()
        return session.finish_call(name, returns, reply)

    async def call_with(
        self,
        name: str,
        params: Sequence[Param],
        *,
        returns: ReturnType | None = None,
        timeout: float | None = None,
    ) -> RPCResult:
        return await self._run(session.call(name, params, returns), timeout)

    async def keep_alive(self, *, timeout: float | None = None) -> None:
        """XWB IM HERE."""
        session.check_alive(await self.call("XWB IM HERE", timeout=timeout))

    # -- driving the core ------------------------------------------------------------------------

    async def _run(self, steps: Generator[Exchange, Reply, T], timeout: float | None) -> T:
        limit = self.timeout if timeout is None else timeout
        async with self._lock:
            deadline = self._now() + limit
            try:
                exchange = next(steps)
                while True:
                    exchange = steps.send(await self._exchange(exchange, deadline, limit))
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    async def _exchange(self, exchange: Exchange, deadline: float, limit: float) -> Reply:
        reader, writer = self._reader, self._writer
        if reader is None or writer is None or self.broken:
            raise closed_error()
        if not self._decoder.idle:
            await self._fail()
            raise stray_bytes_error()
        if deadline <= self._now():  # nothing sent yet: the connection stays usable
            raise late_error(exchange.label)
        self._watch(deadline)
        try:
            writer.write(exchange.request)
            if writer.transport.get_write_buffer_size():
                await writer.drain()
            while True:  # the decoder is idle: read before decoding
                reply = self._decoder.feed(await reader.read(RECV_BYTES))
                if reply is not None:
                    return reply
        except (BrokerConnectionError, ProtocolError, OSError) as exc:
            await self._fail()
            if self._timed_out:
                raise BrokerTimeoutError(
                    f"{exchange.label}: no complete answer within {limit} s"
                ) from None
            if isinstance(exc, OSError):
                raise io_error(exchange.label, exc) from None
            raise
        finally:
            self._deadline = None

    def _watch(self, deadline: float) -> None:
        """Arm the connection's watchdog for ``deadline``.

        One timer per connection instead of one per call: while a timer is pending for a
        moment no later than ``deadline`` it stays; when it fires before the current call's
        deadline it re-arms itself for it, and past it, it aborts the transport (the pending
        read then fails and the call raises :class:`BrokerTimeoutError`)."""
        self._deadline = deadline
        if self._watchdog is None or self._watch_at > deadline:
            if self._watchdog is not None:
                self._watchdog.cancel()
            self._watchdog = asyncio.get_running_loop().call_at(deadline, self._on_watchdog)
            self._watch_at = deadline

    def _on_watchdog(self) -> None:
        self._watchdog = None
        deadline = self._deadline
        if deadline is None:
            return  # no call in progress: the next one re-arms
        loop = asyncio.get_running_loop()
        if loop.time() < deadline:
            self._watchdog = loop.call_at(deadline, self._on_watchdog)
            self._watch_at = deadline
            return
        self._timed_out = True
        if self._writer is not None:
            self._writer.transport.abort()

    async def _fail(self) -> None:
        self.broken = True
        await self._drop()


def signed_on_factory(
    host: str,
    port: int,
    access: str,
    verify: str,
    *,
    context: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    cipher: str | CipherTable = "va",
    intro: bool = False,
    user_info: bool = True,
    rng: RowChooser | None = None,
    client_name: str | None = None,
) -> Callable[[], Awaitable[AsyncBrokerClient]]:
    """A client factory for :class:`rpc.pool.AsyncBrokerPool` (see
    :func:`rpc.client.signed_on_factory`)."""

    async def make() -> AsyncBrokerClient:
        client = AsyncBrokerClient(
            host, port, timeout=timeout, cipher=cipher, rng=rng, client_name=client_name
        )
        try:
            await client.sign_on(access, verify, context=context, intro=intro, user_info=user_info)
        except BaseException:
            await client.close()
            raise
        return client

    return make
