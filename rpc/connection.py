"""What the blocking and the asyncio broker clients share: one connection's settings and
protocol state, the session steps bound to that state, and the typed errors of a connection.

:mod:`rpc.client` and :mod:`rpc.aio` subclass :class:`ConnectionCore` and add only the I/O
(a socket with kernel timeouts, or asyncio streams with a watchdog) and the ``await``; what a
step sends, how its answer becomes a value, and which error names what, are decided here and in
:mod:`rpc.session` once (psycopg 3's shape: one core, two faces).
"""

from __future__ import annotations

import socket
from collections.abc import Generator

from rpc import session
from rpc.cipher import CipherTable, RowChooser, get_table
from rpc.errors import BrokerConnectionError, BrokerError, BrokerTimeoutError, ProtocolError
from rpc.protocol import DEFAULT_MAX_RESPONSE, Reply, ResponseDecoder
from rpc.session import Credentials, Exchange, SessionOptions, SignOn

#: Seconds a call (or a whole sign-on) may take unless the caller says otherwise.
DEFAULT_TIMEOUT = 30.0
#: Bytes asked of the transport per read.
RECV_BYTES = 65536


class ConnectionCore:
    """One broker connection's settings and protocol state, without I/O.

    ``cipher`` is a shipped table name (``"va"``, ``"worldvista"``) or a
    :class:`~rpc.cipher.CipherTable`; ``rng`` fixes the cipher rows (tests only)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float | None = None,
        cipher: str | CipherTable = "va",
        rng: RowChooser | None = None,
        client_name: str | None = None,
        max_response: int = DEFAULT_MAX_RESPONSE,
    ) -> None:
        self.host, self.port = host, port
        self.timeout = timeout
        self.connect_timeout = connect_timeout if connect_timeout is not None else timeout
        self.cipher = get_table(cipher) if isinstance(cipher, str) else cipher
        self.rng = rng
        self.client_name = client_name or socket.gethostname()
        self._max_response = max_response
        self._decoder = ResponseDecoder(max_response)
        self.broken = False
        self.signed_on: SignOn | None = None
        self.context: str | None = None
        self._init_io()

    def _init_io(self) -> None:
        """The face's own transport state, none yet (called once by ``__init__``)."""

    def _connected(self) -> None:
        """A new transport is up: a fresh decoder, and the connection is usable again."""
        self._decoder = ResponseDecoder(self._max_response)
        self.broken = False

    def _connect_error(self, exc: OSError) -> BrokerError:
        """The typed error for a failed connect (``TimeoutError`` is an ``OSError``)."""
        where = f"the broker at {self.host}:{self.port}"
        if isinstance(exc, TimeoutError):
            return BrokerTimeoutError(f"connecting to {where} timed out")
        return BrokerConnectionError(f"cannot connect to {where}: {exc.strerror or exc}")

    # -- session steps bound to this connection ----------------------------------------------

    def _sign_on_steps(
        self, access: str, verify: str, context: str | None, intro: bool, user_info: bool
    ) -> Generator[Exchange, Reply, SignOn]:
        """The whole sign-on; the credentials are checked before anything is sent, and the
        connection remembers the sign-on and context only when every step succeeded."""
        options = SessionOptions(self.cipher, self.rng, intro, user_info, context)
        return self._signing_on(session.sign_on(Credentials(access, verify), options), context)

    def _signing_on(
        self, steps: Generator[Exchange, Reply, SignOn], context: str | None
    ) -> Generator[Exchange, Reply, SignOn]:
        result = yield from steps
        self.signed_on, self.context = result, context
        return result

    def _authenticate_steps(
        self, access: str, verify: str
    ) -> Generator[Exchange, Reply, tuple[int, tuple[str, ...]]]:
        return session.authenticate(Credentials(access, verify), self.cipher, self.rng)

    def _context_steps(self, context: str) -> Generator[Exchange, Reply, None]:
        yield from session.create_context(context, self.cipher, self.rng)
        self.context = context


# -- the errors of one exchange (both faces raise the same ones) ---------------------------------


def closed_error() -> BrokerConnectionError:
    return BrokerConnectionError("the broker connection is closed; open a new one")


def stray_bytes_error() -> ProtocolError:
    """The server sent bytes while no request was pending: the stream is out of step."""
    return ProtocolError("unexpected bytes from the server between responses", offset=0)


def late_error(label: str) -> BrokerTimeoutError:
    """The timeout ran out before the request was sent (the connection stays usable)."""
    return BrokerTimeoutError(f"{label}: the timeout ran out before the request")


def io_error(label: str, exc: OSError) -> BrokerConnectionError:
    return BrokerConnectionError(f"{label}: connection to the broker failed: {exc.strerror or exc}")
