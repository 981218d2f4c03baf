"""The server side of the XWB request format, sans-IO: bytes in, events out.

It reads a request the way XWBPRS does, field by field (PRSP, PRSM, PRS1-PRS5, SREAD, LREAD,
LINST), so a malformed request fails exactly where VistA's would.  Reads follow BREAD^XWBRW: a
read that needs more bytes than have arrived waits, unless what has arrived already holds an
EOT ($C(4)): then BREAD returns short, sets $ECODE=",U411," and, since the error text holds
"READ", ETRAP^XWBTCPM halts the process; here that is :class:`Abort` (close the connection).

Bounded: a length field above ``max_field`` or a request above ``max_request`` aborts too.

A client repeats itself (XWB IM HERE every few minutes, the same patient's lists): a short
request that parsed into a plain call (immutable parameters, nothing refused) is kept by its
exact bytes, so the same bytes again give the same event without the field-by-field walk.
The walk is deterministic in the bytes it reads, and a kept request ends at its first EOT,
so looking it up by the bytes up to the first EOT in the buffer finds only a request that
would parse the same way.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

from parsers.collation import decode_m
from rpc.simulator.handler import ListParam, Literal, MError
from rpc.simulator.mliteral import parse_subscripts
from rpc.wire import (
    CHUNK_COMMAND,
    CHUNK_HEADER,
    CHUNK_PARAMS,
    CHUNK_RPC,
    CHUNK_SECURITY,
    END,
    EOT,
    MORE,
    PREFIX,
    ParamType,
)

_CHUNKS = (CHUNK_HEADER, CHUNK_RPC, CHUNK_SECURITY, CHUNK_COMMAND, CHUNK_PARAMS)
_LITERAL, _REFERENCE, _LIST, _GLOBAL = (
    b"%d" % t for t in (ParamType.LITERAL, ParamType.REFERENCE, ParamType.LIST, ParamType.GLOBAL)
)


@dataclass(frozen=True)
class Connect:
    """The first message (NEW^XWBTCPM): its command chunk and parameters."""

    command: str
    params: tuple[str, ...]


@dataclass(frozen=True)
class Bye:
    """#BYE# (MAIN^XWBTCPM: the bare 5 bytes, or a command chunk naming it)."""


@dataclass(frozen=True)
class Ignored:
    """5 bytes that are not a header (MAIN^XWBTCPM logs "Bad Header" and reads on)."""


@dataclass(frozen=True)
class Call:
    """A parsed request that names an RPC (CALLP^XWBPRS before $$RPC).

    ``rpc`` is None when no RPC chunk came.  ``params`` are the actual parameters in order
    (PARAM^XWBPRS: an empty parameter adds none; a reference stays unresolved text).
    ``failure`` is PRSM's ERR: None when it is 0 (go on to $$RPC), "" when it is 1 (a command
    chunk came last: no call, no text), or the text CALLP puts in the security packet.
    ``no_reply`` is the header's return-type digit: MAIN skips SND when it is not 0.
    ``error`` is an M error raised while the parameters were instantiated (LINST).
    """

    rpc: str | None
    version: str
    params: tuple[Literal | ListParam | Reference, ...]
    failure: str | None = None
    command: str = ""
    no_reply: bool = False
    error: MError | None = None


@dataclass(frozen=True)
class Reference:
    """A reference parameter (type 1): its text, never evaluated here (GETV^XWBPRS)."""

    text: str


@dataclass(frozen=True)
class Abort:
    """BREAD came back short (or a limit was hit): the connection is closed, no reply."""

    reason: str


Event = Connect | Bye | Ignored | Call | Abort
_Need = Generator[int, bytes, None]
#: Requests up to this size, and this many per connection, are kept by their bytes.
_KEEP_BYTES = 1024
_KEEP_COUNT = 16


class RequestReader:
    """Incremental parser for one connection.  Feed bytes, then pull events.

    ``next_event()`` returns an event, or None when more bytes are needed.  ``first`` selects
    the connection's first message (CONNTYPE + NEW^XWBTCPM) rather than MAIN's loop.
    """

    def __init__(self, *, max_field: int = 1 << 20, max_request: int = 4 << 20) -> None:
        self._buf = bytearray()
        self._max_field = max_field
        self._max_request = max_request
        self._first = True
        self._gen: Generator[int, bytes, Event] | None = None
        self._pos = 0
        self._want = 0
        self._consumed = 0
        self.in_request = False
        #: Whether the request in progress was read in one pass (its bytes are all in _buf).
        self._whole = False
        self._known: dict[bytes, Call] = {}

    # -- feeding -------------------------------------------------------------------------
    def feed(self, data: bytes) -> None:
        if self._pos:
            del self._buf[: self._pos]
            self._pos = 0
        self._buf += data

    def buffered(self) -> int:
        return len(self._buf) - self._pos

    def drain(self) -> bool:
        """CLRBUF^XWBPRS: drop bytes up to and including an EOT; True once one was dropped."""
        idx = self._buf.find(EOT, self._pos)
        if idx < 0:
            self._buf.clear()
            self._pos = 0
            return False
        self._pos = idx + 1
        return True

    def next_event(self) -> Event | None:
        """The next complete event, or None when the bytes so far are not enough."""
        if self._gen is None:
            if self._pos >= len(self._buf):
                return None
            if self._known:
                end = self._buf.find(EOT, self._pos)
                if end >= 0:
                    known = self._known.get(bytes(self._buf[self._pos : end + 1]))
                    if known is not None:
                        self._pos = end + 1
                        return known
            self._whole = True
            self._gen = self._connect() if self._first else self._main()
            self._first = False
            self._consumed = 0
            self.in_request = True
            self._want = next(self._gen)
        buf = self._buf
        while True:
            want = self._want
            pos = self._pos
            if want > self._max_field:
                return self._finish(Abort(f"field length {want} above the limit"))
            if len(buf) - pos < want:
                if buf.find(EOT, pos) >= 0:
                    return self._finish(Abort("short read (U411): EOT before the field ended"))
                self._whole = False
                return None
            chunk = bytes(buf[pos : pos + want])
            self._pos = pos + want
            self._consumed += want
            if self._consumed > self._max_request:
                return self._finish(Abort("request larger than the simulator accepts"))
            try:
                self._want = self._gen.send(chunk)
            except StopIteration as stop:
                self._keep(stop.value)
                return self._finish(stop.value)

    def _finish(self, event: Event) -> Event:
        self._gen = None
        self.in_request = False
        return event

    def _keep(self, event: Event) -> None:
        """Remember a plain call read in one pass whose only EOT is its last byte."""
        if not (
            self._whole
            and isinstance(event, Call)
            and event.failure is None
            and event.error is None
            and not event.command
            and self._consumed <= _KEEP_BYTES
            and len(self._known) < _KEEP_COUNT
            and all(isinstance(p, (Literal, Reference)) for p in event.params)
        ):
            return
        raw = bytes(self._buf[self._pos - self._consumed : self._pos])
        if raw.find(EOT) == len(raw) - 1:
            self._known[raw] = event

    # -- the M reads: each ``yield n`` is BREAD^XWBRW(n), n > 0 bytes --------------------
    def _sread(self) -> Generator[int, bytes, str]:
        """SREAD^XWBPRS: one length byte, then that many bytes."""
        n = (yield 1)[0]
        return decode_m((yield n)) if n else ""

    def _lread(self, envl: int) -> Generator[int, bytes, str]:
        """LREAD^XWBPRS: an ``envl``-digit length (M's unary +), then the bytes."""
        n = _m_number_prefix(decode_m((yield envl)))
        return decode_m((yield n)) if n > 0 else ""

    # -- CONNTYPE / NEW^XWBTCPM --------------------------------------------------------------
    def _connect(self) -> Generator[int, bytes, Event]:
        prefix = yield 5
        if prefix != PREFIX:
            return Abort("first message is not an [XWB] message")
        call = yield from self._message()
        return Connect(call.command, tuple(p.value for p in call.params if isinstance(p, Literal)))

    # -- MAIN^XWBTCPM -----------------------------------------------------------------------
    def _main(self) -> Generator[int, bytes, Event]:
        head = (yield 1) + (yield 4)
        if head == b"#BYE#":
            return Bye()
        if head != PREFIX:
            return Ignored()
        call = yield from self._message()
        if call.command == "#BYE#":
            return Bye()
        return call

    def _message(self) -> Generator[int, bytes, Call]:
        """PRSP + PRSM^XWBPRS: the 4 header digits, then chunks 1-5."""
        header = decode_m((yield 4))
        envl = _m_number_prefix(header[2:3]) or 3  # PRSP: XWBENVL<1 -> 3
        no_reply = _m_number_prefix(header[3:4]) != 0
        err = "Invalid Chunk"
        rpc: str | None = None
        version = command = ""
        params: list[Literal | ListParam | Reference] = []
        error: MError | None = None
        while True:
            chunk = yield 1
            if chunk not in _CHUNKS:
                break
            if chunk == CHUNK_HEADER:  # PRS1: header chunk
                yield from self._sread()
                yield from self._sread()
                err = ""
            elif chunk == CHUNK_RPC:  # PRS2: RPC version and name
                version = yield from self._sread()
                rpc = yield from self._sread()
                err = ""
            elif chunk == CHUNK_SECURITY:  # PRS3 reads nothing
                err = ""
            elif chunk == CHUNK_COMMAND:  # PRS4: command; returns ("TCPConnect^#BYE#"[cmd])
                command = yield from self._sread()
                err = "" if command not in "TCPConnect^#BYE#" else "command"
            else:  # PRS5: parameters, then stop
                error = yield from self._params(envl, params)
                err = ""
                break
        failure = None if err == "" else ("" if err == "command" else err)
        return Call(rpc, version, tuple(params), failure, command, no_reply, error)

    def _params(
        self, envl: int, out: list[Literal | ListParam | Reference]
    ) -> Generator[int, bytes, MError | None]:
        """PRS5^XWBPRS: typed parameters until EOT; ``cont`` 't' continues a list."""
        cont, ty = END, b""
        current: ListParam | None = None
        error: MError | None = None
        while True:
            if cont == END:
                ty = yield 1
            if ty == EOT:
                return error
            if ty == _LITERAL:
                out.append(Literal((yield from self._lread(envl))))
            elif ty == _REFERENCE:
                out.append(Reference((yield from self._lread(envl))))
            elif ty in (_LIST, _GLOBAL):
                if cont != MORE or current is None:
                    current = ListParam({}, is_global=ty == _GLOBAL)
                    out.append(current)
                subs_text = yield from self._lread(envl)
                if subs_text:
                    value = yield from self._lread(envl)
                    if value == "\x01":  # LINST/GINST: $C(1) stands for ""
                        value = ""
                    try:
                        current.items[parse_subscripts(subs_text)] = value
                    except MError as exc:
                        error = error or exc
            # types 4 (empty), 5 (stream) and anything else read nothing more
            cont = yield 1


def _m_number_prefix(text: str) -> int:
    """M's unary + on a string, kept to its integer part: "012" -> 12, "x" -> 0, "-3" -> -3."""
    i, sign = 0, 1
    while i < len(text) and text[i] in "+-":
        if text[i] == "-":
            sign = -sign
        i += 1
    j = i
    while j < len(text) and text[j].isdigit() and text[j].isascii():
        j += 1
    return sign * int(text[i:j]) if j > i else 0
