"""The XWB client core, sans-IO (h11's shape): request bytes out, response bytes in, typed
results or typed errors out.  No sockets, no clocks: :mod:`rpc.client` and :mod:`rpc.aio` drive
it, and tests feed it one byte at a time.

Parameters are typed values: a plain ``str`` (or ``int``) is a literal, a ``Mapping`` or a
:class:`ListParam` is a list, :class:`Empty` is the empty marker.  A :class:`Reference` is sent
only when the caller builds one by name: VistA evaluates a reference as M code (GETV^XWBPRS),
so nothing in this module ever turns data into one.

Responses are framed by SND^XWBRW: security packet, application error packet, data, ``$C(4)``.
The data part cannot tell a single value from an array on the wire; the RPC's RETURN VALUE
TYPE (8994 field .04) decides how it is read, so every call names it (or uses the known type of
a common RPC from :data:`KNOWN_RETURN_TYPES`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import NamedTuple

from parsers.collation import decode_m, encode_m
from rpc import wire
from rpc.errors import (
    BrokerConnectionError,
    ProtocolError,
    RPCApplicationError,
    RPCMError,
    RPCSecurityError,
)
from rpc.wire import ParamType, ReturnType

#: Responses larger than this are refused (garbage that never ends must not eat memory).
DEFAULT_MAX_RESPONSE = 64 * 1024 * 1024

#: RETURN VALUE TYPE (8994 .04) of RPCs this package calls, as VistA registers them.
KNOWN_RETURN_TYPES: dict[str, ReturnType] = {
    "XUS SIGNON SETUP": ReturnType.ARRAY,
    "XUS INTRO MSG": ReturnType.ARRAY,
    "XUS AV CODE": ReturnType.ARRAY,
    "XUS GET USER INFO": ReturnType.ARRAY,
    "XWB CREATE CONTEXT": ReturnType.SINGLE_VALUE,
    "XWB IM HERE": ReturnType.SINGLE_VALUE,
    "ORQQAL LIST": ReturnType.ARRAY,
    "ORWPT LIST ALL": ReturnType.ARRAY,
    "ORWPT SELECT": ReturnType.SINGLE_VALUE,
    "ORWPT ID INFO": ReturnType.SINGLE_VALUE,
    "ORQQVI VITALS": ReturnType.ARRAY,
    "DDR LISTER": ReturnType.GLOBAL_ARRAY,
    "DDR GETS ENTRY DATA": ReturnType.ARRAY,
    "DDR FIND1": ReturnType.ARRAY,
    "DDR FINDER": ReturnType.GLOBAL_ARRAY,
}


# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------

Subscripts = str | int | tuple[str | int, ...]


@dataclass(frozen=True)
class Literal:
    """A literal string parameter (type 0)."""

    value: str


@dataclass(frozen=True)
class Reference:
    """A reference parameter (type 1): VistA *evaluates* ``name`` as M code (GETV^XWBPRS).

    Only build one deliberately, from a name your code chose; never from user data."""

    name: str


@dataclass(frozen=True)
class ListParam:
    """A list parameter (type 2): ``(subscripts, value)`` entries, in order.  A subscript is a
    ``str``, an ``int`` or a tuple of them (``("A", 1)`` sets ``ARRAY("A",1)``)."""

    entries: tuple[tuple[Subscripts, str], ...]

    @classmethod
    def of(cls, mapping: Mapping[Subscripts, str]) -> ListParam:
        return cls(tuple(mapping.items()))


@dataclass(frozen=True)
class Empty:
    """The empty parameter (type 4).  VistA adds no actual parameter for it (PRS5^XWBPRS)."""


Param = Literal | Reference | ListParam | Empty | str | int | Mapping[Subscripts, str]


def _as_bytes_param(param: Param) -> wire.RequestParam:
    if isinstance(param, bool):
        raise ProtocolError("a boolean is not an RPC parameter; pass '1' or '0'")
    if isinstance(param, str | int):
        return wire.RequestParam(ParamType.LITERAL, encode_m(str(param)))
    if isinstance(param, Literal):
        return wire.RequestParam(ParamType.LITERAL, encode_m(param.value))
    if isinstance(param, Reference):
        if not param.name:
            raise ProtocolError("a reference parameter needs a name")
        return wire.RequestParam(ParamType.REFERENCE, encode_m(param.name))
    if isinstance(param, Empty):
        return wire.RequestParam(ParamType.EMPTY)
    entries = param.entries if isinstance(param, ListParam) else tuple(param.items())
    pairs = tuple(
        (encode_m(wire.format_subscripts(sub)), encode_m(_list_value(value)))
        for sub, value in entries
    )
    return wire.RequestParam(ParamType.LIST, pairs=pairs)


def _list_value(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ProtocolError(f"a list value must be str or int, not {type(value).__name__}")


# ---------------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------------


def connect_request(client_address: str, client_name: str, callback_port: int = 0) -> bytes:
    """TCPConnect (NEW^XWBTCPM): the client's IP, a callback port (0: none) and host name."""
    params = tuple(
        wire.RequestParam(ParamType.LITERAL, encode_m(v))
        for v in (client_address, str(callback_port), client_name)
    )
    return wire.encode_request(wire.Request(True, wire.TCPCONNECT.encode(), params=params))


def bye_request() -> bytes:
    """#BYE# (MAIN^XWBTCPM answers ``#BYE#`` and ends the connection's process)."""
    return wire.encode_request(wire.Request(True, wire.BYE.encode()))


def rpc_request(name: str, params: Sequence[Param] = (), version: str = "1") -> bytes:
    """An RPC call; the envelope widens past 3 digits only when a parameter needs it."""
    if not params:
        return _bare_rpc_request(name, version)
    return _rpc_request(name, params, version)


@lru_cache(maxsize=256)
def _bare_rpc_request(name: str, version: str) -> bytes:
    """Calls without parameters (keep-alives, sign-on steps) are the same bytes every time."""
    return _rpc_request(name, (), version)


def _rpc_request(name: str, params: Sequence[Param], version: str) -> bytes:
    if not name:
        raise ProtocolError("an RPC needs a name")
    encoded = tuple(_as_bytes_param(p) for p in params)
    longest = max(
        (
            max([len(param.value), *(max(len(a), len(b)) for a, b in param.pairs)])
            for param in encoded
        ),
        default=0,
    )
    request = wire.Request(
        False, encode_m(name), encode_m(version), wire.envelope_for(longest), encoded
    )
    return wire.encode_request(request)


# ---------------------------------------------------------------------------------------------
# Responses
# ---------------------------------------------------------------------------------------------


class Reply(NamedTuple):
    """One response as SND^XWBRW framed it, not yet interpreted (a named tuple: it is made for
    every call, so it is cheap)."""

    security: str
    error: str
    data: str
    m_error: str | None = None

    def raise_for_error(self, rpc: str | None = None) -> None:
        """Raise the typed error this reply carries, if any."""
        if self.m_error is not None:
            raise RPCMError(self.m_error, rpc=rpc)
        if self.security:
            raise RPCSecurityError(self.security, rpc=rpc)
        if self.error:
            raise RPCApplicationError(self.error, rpc=rpc)

    def result(self, kind: ReturnType, rpc: str | None = None) -> RPCResult:
        """The typed result, or the typed error the reply carries."""
        if self.security or self.error or self.m_error is not None:
            self.raise_for_error(rpc)
        return RPCResult(kind, self.data)


class RPCResult(NamedTuple):
    """An RPC's data as its RETURN VALUE TYPE defines it (SNDDATA^XWBRW).

    ``value`` is the whole text (a single value or global instance); ``lines`` splits arrays,
    word processing and global arrays at CR LF, without the empty item after the last one."""

    kind: ReturnType
    text: str

    @property
    def value(self) -> str:
        return self.text

    @property
    def lines(self) -> list[str]:
        if self.kind in (ReturnType.SINGLE_VALUE, ReturnType.GLOBAL_INSTANCE):
            return [self.text]
        if self.kind == ReturnType.VARIABLE_LENGTH:
            return _split_spacks(self.text)
        if not self.text:
            return []
        parts = self.text.split("\r\n")
        if parts[-1] == "":
            parts.pop()
        return parts


def _split_spacks(text: str) -> list[str]:
    raw, out, pos = encode_m(text), [], 0
    while pos < len(raw):
        got = wire.read_spack(raw, pos)
        if got is None:
            raise ProtocolError("variable-length record runs past the data", offset=pos)
        out.append(decode_m(got[0]))
        pos = got[1]
    return out


class _State(Enum):
    SECURITY = 0
    ERROR = 1
    DATA = 2
    M_ERROR_END = 3


class ResponseDecoder:
    """Incremental decoder of SND^XWBRW responses: feed any chunks, take whole replies.

    ``receive_data(b"")`` (or :meth:`receive_eof`) marks the end of the stream: in the middle of
    a response that is a :class:`BrokerConnectionError`.  Errors carry the byte offset counted
    from the start of the response being decoded."""

    def __init__(self, max_response: int = DEFAULT_MAX_RESPONSE) -> None:
        self._buf = bytearray()
        self._max = max_response
        self._reset_frame()
        self.closed = False
        self._fast = True  # idle, nothing buffered, not closed: feed() may take its fast path

    def _reset_frame(self) -> None:
        self._state = _State.SECURITY
        self._pos = 0  # parse position inside _buf
        self._scan = 0  # where to resume looking for $C(4) in the data part
        self._security = b""
        self._error = b""
        self._data_start = 0

    @property
    def idle(self) -> bool:
        """True between responses with nothing buffered."""
        return not self._buf and self._state is _State.SECURITY

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def receive_data(self, data: bytes) -> None:
        if self.closed:
            raise BrokerConnectionError("the connection is closed")
        if not data:
            self.receive_eof()
            return
        self._fast = False
        self._buf += data

    def feed(self, data: bytes) -> Reply | None:
        """``receive_data(data)`` then ``next_reply()``, with a fast path for the usual case:
        the decoder is idle and ``data`` is exactly one response with empty packets."""
        if (
            self._fast
            and data.startswith(b"\x00\x00")
            and data.find(b"\x04", 2) == len(data) - 1
            and data[2] != 24  # $C(24) opens an M error report: slow path
        ):
            return Reply("", "", data[2:-1].decode("utf-8", "surrogateescape"))
        self.receive_data(data)
        return self.next_reply()

    def receive_eof(self) -> None:
        self.closed = True
        self._fast = False

    def next_reply(self) -> Reply | None:
        """The next complete reply, or ``None`` when more bytes are needed."""
        reply = self._advance()
        if reply is None and self.closed:
            if self._buf:
                raise BrokerConnectionError(
                    f"the server closed the connection in the middle of a response "
                    f"(after {len(self._buf)} bytes)"
                )
            raise BrokerConnectionError("the server closed the connection")
        return reply

    def _advance(self) -> Reply | None:
        buf = self._buf
        size = len(buf)
        state = self._state
        if state is _State.SECURITY:  # S-pack (SNDERR^XWBRW), read inline: this is the hot path
            pos = self._pos
            if pos >= size or pos + 1 + buf[pos] > size:
                return None
            end = pos + 1 + buf[pos]
            self._security = bytes(buf[pos + 1 : end]) if end > pos + 1 else b""
            self._pos = end
            state = self._state = _State.ERROR
        if state is _State.ERROR:
            pos = self._pos
            if pos >= size or pos + 1 + buf[pos] > size:
                return None
            end = pos + 1 + buf[pos]
            self._error = bytes(buf[pos + 1 : end]) if end > pos + 1 else b""
            self._pos = self._data_start = self._scan = end
            state = self._state = _State.DATA
        if state is _State.DATA:
            end = buf.find(4, self._scan)  # $C(4)
            if end < 0:
                self._scan = size
                if size > self._max:
                    raise ProtocolError(
                        f"no end of response within {self._max} bytes", offset=self._max
                    )
                return None
            self._pos = end
            if end == self._data_start or buf[self._data_start] != 24:  # $C(24): M error
                return self._finish(end + 1, m_error=False)
            self._state = _State.M_ERROR_END
        # ETRAP^XWBTCPM: $C(24) text $C(4), then SND^XWBRW's own $C(4)
        if size <= self._pos + 1:
            return None
        if buf[self._pos + 1] != 4:
            raise ProtocolError(
                "M error report not followed by the end of the response", offset=self._pos + 1
            )
        return self._finish(self._pos + 2, m_error=True)

    def _finish(self, consumed: int, *, m_error: bool) -> Reply:
        buf = self._buf
        security = decode_m(self._security) if self._security else ""
        error = decode_m(self._error) if self._error else ""
        if m_error:
            text = decode_m(bytes(buf[self._data_start + 1 : self._pos]))
            reply = Reply(security, error, "", text)
        else:
            reply = Reply(security, error, decode_m(bytes(buf[self._data_start : self._pos])))
        del buf[:consumed]
        self._reset_frame()
        self._fast = not buf and not self.closed
        return reply


def decode_reply(raw: bytes) -> Reply:
    """Decode one whole response (for tests and tools); trailing bytes are a protocol error."""
    decoder = ResponseDecoder()
    decoder.receive_data(raw)
    reply = decoder.next_reply()
    if reply is None:
        raise ProtocolError("response ends before its end mark", offset=len(raw))
    if decoder.buffered:
        raise ProtocolError(
            "bytes after the end of the response", offset=len(raw) - decoder.buffered
        )
    return reply


def return_type_for(rpc: str, declared: ReturnType | None = None) -> ReturnType:
    """The declared type, else the known type of ``rpc``, else single value."""
    if declared is not None:
        return declared
    return KNOWN_RETURN_TYPES.get(rpc, ReturnType.SINGLE_VALUE)
