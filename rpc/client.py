"""The blocking broker client: a socket driving :mod:`rpc.protocol` and :mod:`rpc.session`.

It only moves bytes.  Every exchange has a deadline (the call's timeout); a timeout, a protocol
error or a dropped connection leaves the connection in an unknown state, so the client closes
its socket and marks itself ``broken`` (a pool then replaces it)::

    with BrokerClient("127.0.0.1", 9430) as vista:
        vista.sign_on("ACCESS", "VERIFY", context="OR CPRS GUI CHART")
        allergies = vista.call("ORQQAL LIST", "1").lines
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from collections.abc import Callable, Generator, Sequence
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


class BrokerClient(ConnectionCore):
    """One connection to a VistA RPC Broker (blocking); arguments as
    :class:`~rpc.connection.ConnectionCore`."""

    def _init_io(self) -> None:
        self._sock: socket.socket | None = None
        self._armed = 0.0

    # -- lifecycle -----------------------------------------------------------------------------

    def open(self) -> BrokerClient:
        """Connect and do TCPConnect."""
        if self._sock is not None:
            return self
        try:
            sock = socket.create_connection((self.host, self.port), self.connect_timeout)
        except OSError as exc:
            raise self._connect_error(exc) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(None)  # blocking; timeouts are SO_RCVTIMEO/SO_SNDTIMEO (see _arm)
        self._armed = 0.0
        self._sock = sock
        self._connected()
        address = sock.getsockname()[0]
        self._run(session.handshake(address, self.client_name), self.connect_timeout)
        return self

    def close(self) -> None:
        """Say #BYE# (briefly, if the connection is healthy) and close the socket."""
        if self._sock is None:
            return
        if not self.broken:
            with contextlib.suppress(BrokerError):
                self._run(session.bye(), min(self.timeout, 5.0))
        self._drop()

    def _drop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def __enter__(self) -> BrokerClient:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def is_open(self) -> bool:
        return self._sock is not None and not self.broken

    # -- session -------------------------------------------------------------------------------

    def sign_on(
        self,
        access: str,
        verify: str,
        *,
        context: str | None = None,
        intro: bool = False,
        user_info: bool = True,
        timeout: float | None = None,
    ) -> SignOn:
        """XUS SIGNON SETUP, [XUS INTRO MSG], XUS AV CODE, [XUS GET USER INFO], [CREATE CONTEXT]."""
        self.open()
        return self._run(self._sign_on_steps(access, verify, context, intro, user_info), timeout)

    def signon_setup(self, *, timeout: float | None = None) -> SignOnSetup:
        """XUS SIGNON SETUP alone (what :meth:`sign_on` does first)."""
        self.open()
        return self._run(session.signon_setup(), timeout)

    def authenticate(
        self, access: str, verify: str, *, timeout: float | None = None
    ) -> tuple[int, tuple[str, ...]]:
        """XUS AV CODE alone: DUZ and VistA's post-sign-on lines, or a :class:`SignOnError`."""
        return self._run(self._authenticate_steps(access, verify), timeout)

    def user_info(self, *, timeout: float | None = None) -> VistaUser:
        """XUS GET USER INFO."""
        return self._run(session.user_info(), timeout)

    def create_context(self, context: str, *, timeout: float | None = None) -> None:
        self._run(self._context_steps(context), timeout)

    def call(
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
        reply = self._exchange(exchange, time.monotonic() + limit, limit)
        return session.finish_call(name, returns, reply)

    def call_with(
        self,
        name: str,
        params: Sequence[Param],
        *,
        returns: ReturnType | None = None,
        timeout: float | None = None,
    ) -> RPCResult:
        return self._run(session.call(name, params, returns), timeout)

    def keep_alive(self, *, timeout: float | None = None) -> None:
        """XWB IM HERE."""
        session.check_alive(self.call("XWB IM HERE", timeout=timeout))

    # -- driving the core ------------------------------------------------------------------------

    def _run(self, steps: Generator[Exchange, Reply, T], timeout: float | None) -> T:
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        first = True
        try:
            exchange = next(steps)
            while True:
                # the first exchange waits the whole limit (usually already armed: no syscall);
                # later exchanges of the same run (sign-on) only what is left of it
                wait = limit if first else deadline - time.monotonic()
                exchange = steps.send(self._exchange(exchange, deadline, wait))
                first = False
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    def _exchange(self, exchange: Exchange, deadline: float, wait: float) -> Reply:
        sock = self._sock
        if sock is None or self.broken:
            raise closed_error()
        if not self._decoder.idle:
            self._fail()
            raise stray_bytes_error()
        if wait <= 0:  # nothing sent yet: the connection stays usable
            raise late_error(exchange.label)
        try:
            if wait != self._armed:
                self._arm(sock, wait)
            try:
                sock.sendall(exchange.request)
                reply = self._decoder.feed(sock.recv(RECV_BYTES))
                while reply is None:  # more to read: wait only what is left
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise BrokerTimeoutError("no complete answer within the timeout")
                    self._arm(sock, left)
                    reply = self._decoder.feed(sock.recv(RECV_BYTES))
            except BlockingIOError:  # SO_SNDTIMEO / SO_RCVTIMEO expired
                raise BrokerTimeoutError("no complete answer within the timeout") from None
            return reply
        except BrokerTimeoutError as exc:
            self._fail()
            raise BrokerTimeoutError(f"{exchange.label}: {exc}") from None
        except (BrokerConnectionError, ProtocolError):
            self._fail()
            raise
        except OSError as exc:
            self._fail()
            raise io_error(exchange.label, exc) from None

    def _arm(self, sock: socket.socket, seconds: float) -> None:
        """Kernel-enforced send/receive timeouts on a blocking socket (SO_SNDTIMEO and
        SO_RCVTIMEO): a call costs no extra system call while its timeout stays the same."""
        if seconds == self._armed:
            return
        seconds = seconds if seconds > 0.001 else 0.001  # a zero timeval: "wait forever"
        whole = int(seconds)
        timeval = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)
        self._armed = seconds

    def _fail(self) -> None:
        self.broken = True
        self._drop()


def connect(
    host: str,
    port: int,
    access: str,
    verify: str,
    *,
    context: str | None = None,
    **options: object,
) -> BrokerClient:
    """Open, sign on and (optionally) create ``context``; the client is returned open."""
    client = BrokerClient(host, port, **options)  # type: ignore[arg-type]
    try:
        client.sign_on(access, verify, context=context)
    except BaseException:
        client._fail()
        raise
    return client


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
) -> Callable[[], BrokerClient]:
    """A client factory for :class:`rpc.pool.BrokerPool`: each call opens a connection, signs
    on and creates ``context``; a connection whose sign-on fails is closed, never leaked."""

    def make() -> BrokerClient:
        client = BrokerClient(
            host, port, timeout=timeout, cipher=cipher, rng=rng, client_name=client_name
        )
        try:
            client.sign_on(access, verify, context=context, intro=intro, user_info=user_info)
        except BaseException:
            client.close()
            raise
        return client

    return make
