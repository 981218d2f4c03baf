"""XWB framing primitives, both directions, shared by the client core and the simulator.

Everything here works on ``bytes`` and knows no sockets and no session state.  VistA's broker
routines define every byte (WorldVistA/VistA-M, Packages/RPC Broker/Routines):

Request (read by XWBPRS)::

    [XWB] V T L R chunk...          PRSP^XWBPRS: 4 header digits: version, type (1 = RPC,
                                     0 = command), envelope width L of every L-pack, return flag
    "2" S-pack(version) S-pack(name) PRS2: the RPC chunk
    "4" S-pack(command)              PRS4: TCPConnect or #BYE#
    "5" params $C(4)                 PRS5: each param = type digit, body, then "t" (more of the
                                     same list) or "f" (end of this param); $C(4) ends the chunk

Parameter types (PRS5^XWBPRS): ``0`` literal (one L-pack), ``1`` reference (one L-pack that
GETV^XWBPRS *evaluates as M code* on the server), ``2`` list (pairs of L-packs: an M subscript
literal and a value, set by LINST^XWBPRS through indirection), ``3`` global (GINST), ``4``
empty (adds no actual parameter), ``5`` stream (unimplemented by VistA).

Response (written by SND^XWBRW)::

    S-pack(security text) S-pack(application error text) data $C(4)    SNDERR, SNDDATA, WRITE

An M error trapped by ETRAP^XWBTCPM is sent through ESND^XWBRW as data ``$C(24) text $C(4)``
followed by SND's own ``$C(4)``.

The names in this module are a stable interface: the simulator imports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import IntEnum

from parsers.canonical import canonical_number, is_canonical_number
from rpc.errors import ProtocolError

PREFIX = b"[XWB]"
EOT = b"\x04"
#: First byte of the data part when ETRAP^XWBTCPM reports an M error ($C(24), ESND^XWBRW).
M_ERROR_MARK = b"\x18"
CRLF = b"\r\n"
MORE = b"t"  # PRS5^XWBPRS: another subscript/value pair of the same list follows
END = b"f"  # PRS5^XWBPRS: end of this parameter

CHUNK_HEADER = b"1"
CHUNK_RPC = b"2"
CHUNK_SECURITY = b"3"
CHUNK_COMMAND = b"4"
CHUNK_PARAMS = b"5"

MESSAGE_RPC = 1  # PRSP^XWBPRS header digit 2
MESSAGE_COMMAND = 0
DEFAULT_ENVELOPE = 3  # PRSP^XWBPRS: a 0 width means 3
MAX_ENVELOPE = 9
MAX_SPACK = 255

TCPCONNECT = "TCPConnect"
BYE = "#BYE#"


class ParamType(IntEnum):
    """XWB parameter type digits (PRS5^XWBPRS)."""

    LITERAL = 0
    REFERENCE = 1
    LIST = 2
    GLOBAL = 3
    EMPTY = 4
    STREAM = 5


class ReturnType(IntEnum):
    """RETURN VALUE TYPE of a REMOTE PROCEDURE (file 8994 field .04), as SNDDATA^XWBRW sends it."""

    SINGLE_VALUE = 1
    ARRAY = 2
    WORD_PROCESSING = 3
    GLOBAL_ARRAY = 4
    GLOBAL_INSTANCE = 5
    VARIABLE_LENGTH = 6


# ---------------------------------------------------------------------------------------------
# Length prefixes
# ---------------------------------------------------------------------------------------------


def spack(data: bytes) -> bytes:
    """An S-pack: one length byte, then the bytes (SREAD^XWBPRS, SNDERR^XWBRW)."""
    if len(data) > MAX_SPACK:
        raise ProtocolError(f"S-pack holds at most {MAX_SPACK} bytes, got {len(data)}")
    return bytes((len(data),)) + data


def lpack(data: bytes, width: int = DEFAULT_ENVELOPE) -> bytes:
    """An L-pack: the length as ``width`` decimal digits, then the bytes (LREAD^XWBPRS)."""
    if len(data) >= 10**width:
        raise ProtocolError(f"L-pack of width {width} holds at most {10**width - 1} bytes")
    return b"%0*d" % (width, len(data)) + data


def envelope_for(longest: int) -> int:
    """The smallest envelope width (>= 3) whose L-packs can carry ``longest`` bytes."""
    width = max(DEFAULT_ENVELOPE, len(str(longest)))
    if width > MAX_ENVELOPE:
        raise ProtocolError(f"a parameter of {longest} bytes exceeds XWB's largest envelope")
    return width


def read_spack(buf: bytes | bytearray, pos: int) -> tuple[bytes, int] | None:
    """Read an S-pack at ``pos``: ``(data, next_pos)``, or ``None`` if ``buf`` is too short."""
    if pos >= len(buf):
        return None
    end = pos + 1 + buf[pos]
    if end > len(buf):
        return None
    return bytes(buf[pos + 1 : end]), end


def read_lpack(
    buf: bytes | bytearray, pos: int, width: int = DEFAULT_ENVELOPE
) -> tuple[bytes, int] | None:
    """Read an L-pack at ``pos``; ``None`` if incomplete; :class:`ProtocolError` if the length
    digits are not digits."""
    if pos + width > len(buf):
        return None
    digits = bytes(buf[pos : pos + width])
    if not digits.isdigit():
        raise ProtocolError(f"L-pack length {digits!r} is not {width} digits", offset=pos)
    end = pos + width + int(digits)
    if end > len(buf):
        return None
    return bytes(buf[pos + width : end]), end


# ---------------------------------------------------------------------------------------------
# Requests
# ---------------------------------------------------------------------------------------------


def message_header(message_type: int, envelope: int = DEFAULT_ENVELOPE) -> bytes:
    """``[XWB]`` and PRSP^XWBPRS's 4 digits: version 1, type, envelope width, no return flag."""
    if not DEFAULT_ENVELOPE <= envelope <= MAX_ENVELOPE:
        raise ProtocolError(f"envelope width must be 3..9, got {envelope}")
    return PREFIX + b"1%d%d0" % (message_type, envelope)


def rpc_chunk(name: bytes, version: bytes = b"1") -> bytes:
    """Chunk 2 (PRS2^XWBPRS): the RPC version (XWBAPVER) and the RPC name."""
    return CHUNK_RPC + spack(version) + spack(name)


def command_chunk(command: bytes) -> bytes:
    """Chunk 4 (PRS4^XWBPRS): a broker command, TCPConnect or #BYE#."""
    return CHUNK_COMMAND + spack(command)


def literal_param(value: bytes, width: int = DEFAULT_ENVELOPE) -> bytes:
    """Type 0: a literal string, passed to the RPC as is."""
    return b"0" + lpack(value, width) + END


def reference_param(name: bytes, width: int = DEFAULT_ENVELOPE) -> bytes:
    """Type 1: a reference; GETV^XWBPRS evaluates it as M code on the server.  Only ever built
    from a name a caller chose explicitly, never from data."""
    return b"1" + lpack(name, width) + END


def list_param(pairs: Sequence[tuple[bytes, bytes]], width: int = DEFAULT_ENVELOPE) -> bytes:
    """Type 2: ``(subscript literal, value)`` pairs (LINST^XWBPRS sets ``A(subscripts)=value``).

    An empty list is one empty subscript (PRS5 stops at it), which VistA passes as an empty
    local array."""
    if not pairs:
        return b"2" + lpack(b"", width) + END
    out = [b"2"]
    last = len(pairs) - 1
    for i, (sub, value) in enumerate(pairs):
        if not sub:
            raise ProtocolError("a list subscript must not be empty (PRS5^XWBPRS stops at one)")
        out += [lpack(sub, width), lpack(value, width), MORE if i < last else END]
    return b"".join(out)


def empty_param() -> bytes:
    """Type 4: VistA adds no actual parameter for it; the BDK sends it when there are none."""
    return b"4" + END


def params_chunk(encoded_params: Iterable[bytes]) -> bytes:
    """Chunk 5 with its terminating ``$C(4)``; no parameters is sent as one empty param."""
    body = b"".join(encoded_params)
    return CHUNK_PARAMS + (body or empty_param()) + EOT


def format_subscripts(subscripts: str | int | Sequence[str | int]) -> str:
    """The M subscript list literal LINST^XWBPRS expects: strings quoted with ``"`` doubled,
    integers bare; ``("A", 1)`` -> ``"A",1``."""
    if isinstance(subscripts, str | int):
        items: Sequence[object] = (subscripts,)
    elif isinstance(subscripts, tuple | list):
        items = tuple(subscripts)
    else:
        raise ProtocolError(
            f"subscripts must be str, int or a sequence of them, not {subscripts!r}"
        )
    if not items:
        raise ProtocolError("a list entry needs at least one subscript")
    parts = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise ProtocolError(f"a subscript must be str or int, not {type(item).__name__}")
        if isinstance(item, int):
            parts.append(canonical_number(item))
        elif item == "":
            raise ProtocolError("an M subscript must not be the empty string")
        else:
            parts.append('"' + item.replace('"', '""') + '"')
    return ",".join(parts)


def parse_subscripts(literal: str) -> tuple[str, ...]:
    """Inverse of :func:`format_subscripts`, for servers: quoted strings and numeric literals
    only (numbers are canonicalized as M would); anything else is refused, never evaluated."""
    out: list[str] = []
    i, n = 0, len(literal)
    while True:
        if i < n and literal[i] == '"':
            j, buf = i + 1, []
            while True:
                k = literal.find('"', j)
                if k < 0:
                    raise ProtocolError("unterminated string in subscript list", offset=i)
                buf.append(literal[j:k])
                if literal.startswith('"', k + 1):
                    buf.append('"')
                    j = k + 2
                    continue
                i = k + 1
                break
            out.append("".join(buf))
        else:
            k = literal.find(",", i)
            token = literal[i : n if k < 0 else k]
            if not _is_numeric_literal(token):
                raise ProtocolError("subscript is neither a string nor a number", offset=i)
            out.append(canonical_number(token) if not is_canonical_number(token) else token)
            i += len(token)
        if i == n:
            return tuple(out)
        if literal[i] != ",":
            raise ProtocolError("expected ',' between subscripts", offset=i)
        i += 1


def _is_numeric_literal(token: str) -> bool:
    body = token[1:] if token.startswith("-") else token
    if not body or body.count(".") > 1:
        return False
    return body.replace(".", "").isdigit() and body != "."


# ---------------------------------------------------------------------------------------------
# Parsing requests (server side)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestParam:
    """One parameter as PRS5^XWBPRS reads it: ``value`` for literal/reference, ``pairs`` for
    lists and globals (raw subscript literal, value)."""

    type: ParamType
    value: bytes = b""
    pairs: tuple[tuple[bytes, bytes], ...] = ()


@dataclass(frozen=True)
class Request:
    """A parsed request: an RPC (``name`` is the RPC) or a command (``name`` is the command)."""

    is_command: bool
    name: bytes
    version: bytes = b""
    envelope: int = DEFAULT_ENVELOPE
    params: tuple[RequestParam, ...] = field(default_factory=tuple)


def parse_request(buf: bytes, start: int = 0) -> tuple[Request, int] | None:
    """Parse one request at ``start``: ``(request, end)``, or ``None`` until it is complete.

    Raises :class:`ProtocolError` (with the byte offset) on bytes XWBPRS would reject.  Callers
    bound their buffer: a request never completes if the client lies about a length."""
    if not PREFIX.startswith(bytes(buf[start : start + len(PREFIX)])):
        raise ProtocolError("request does not start with [XWB]", offset=start)
    if len(buf) - start < 9:
        return None
    head = bytes(buf[start + 5 : start + 9])
    if not head.isdigit():
        raise ProtocolError(f"header digits {head!r} are not digits", offset=start + 5)
    envelope = head[2] - 48 or DEFAULT_ENVELOPE
    pos = start + 9
    name, version, is_command = b"", b"", False
    params: list[RequestParam] = []
    while True:
        if pos >= len(buf):
            return None
        chunk = buf[pos : pos + 1]
        pos += 1
        if chunk == CHUNK_RPC:
            got = _two_spacks(buf, pos)
            if got is None:
                return None
            version, name, pos = got
        elif chunk == CHUNK_COMMAND:
            got1 = read_spack(buf, pos)
            if got1 is None:
                return None
            name, pos = got1
            is_command = True
        elif chunk in (CHUNK_HEADER, CHUNK_SECURITY):
            raise ProtocolError(f"chunk {chunk!r} is not supported", offset=pos - 1)
        elif chunk == CHUNK_PARAMS:
            got2 = _read_params(buf, pos, envelope)
            if got2 is None:
                return None
            params, pos = got2
            break
        elif chunk == EOT and is_command:
            break  # PRSM^XWBPRS stops at a byte that is no chunk number; #BYE# ends with $C(4)
        else:
            raise ProtocolError(f"unexpected chunk byte {chunk!r}", offset=pos - 1)
    if not name:
        raise ProtocolError("request names no RPC or command", offset=start)
    request = Request(is_command, name, version, envelope, tuple(params))
    return request, pos


def encode_request(request: Request) -> bytes:
    """The bytes of ``request``; exact inverse of :func:`parse_request` for what it accepts."""
    width = request.envelope
    if request.is_command:
        head = message_header(MESSAGE_COMMAND, width) + command_chunk(request.name)
        if not request.params and request.name == BYE.encode():
            return head + EOT  # #BYE# has no parameter chunk
    else:
        head = message_header(MESSAGE_RPC, width) + rpc_chunk(request.name, request.version)
    return head + params_chunk(encode_param(p, width) for p in request.params)


def encode_param(param: RequestParam, width: int = DEFAULT_ENVELOPE) -> bytes:
    """One parameter's bytes (type digit, body, end mark)."""
    if param.type == ParamType.LITERAL:
        return literal_param(param.value, width)
    if param.type == ParamType.REFERENCE:
        return reference_param(param.value, width)
    if param.type == ParamType.LIST:
        return list_param(param.pairs, width)
    if param.type == ParamType.GLOBAL:
        return b"3" + list_param(param.pairs, width)[1:]
    if param.type == ParamType.EMPTY:
        return empty_param()
    raise ProtocolError("stream parameters are not implemented by VistA (PRS5^XWBPRS)")


def _two_spacks(buf: bytes, pos: int) -> tuple[bytes, bytes, int] | None:
    first = read_spack(buf, pos)
    if first is None:
        return None
    second = read_spack(buf, first[1])
    if second is None:
        return None
    return first[0], second[0], second[1]


def _read_params(buf: bytes, pos: int, width: int) -> tuple[list[RequestParam], int] | None:
    params: list[RequestParam] = []
    while True:
        if pos >= len(buf):
            return None
        tbyte = buf[pos : pos + 1]
        if tbyte == EOT:
            return params, pos + 1
        if not tbyte.isdigit() or int(tbyte) > ParamType.STREAM:
            raise ProtocolError(f"unknown parameter type {tbyte!r}", offset=pos)
        ptype = ParamType(int(tbyte))
        pos += 1
        got = _read_param_body(buf, pos, width, ptype)
        if got is None:
            return None
        param, pos = got
        if param is not None:
            params.append(param)


def _read_param_body(
    buf: bytes, pos: int, width: int, ptype: ParamType
) -> tuple[RequestParam | None, int] | None:
    if ptype in (ParamType.LITERAL, ParamType.REFERENCE):
        got = read_lpack(buf, pos, width)
        if got is None or got[1] >= len(buf):
            return None
        _expect_end(buf, got[1])
        return RequestParam(ptype, got[0]), got[1] + 1
    if ptype in (ParamType.LIST, ParamType.GLOBAL):
        pairs: list[tuple[bytes, bytes]] = []
        while True:
            sub = read_lpack(buf, pos, width)
            if sub is None:
                return None
            if sub[0] == b"":  # PRS5: an empty subscript ends the list
                value: tuple[bytes, int] | None = (b"", sub[1])
            else:
                value = read_lpack(buf, sub[1], width)
            if value is None or value[1] >= len(buf):
                return None
            if sub[0]:
                pairs.append((sub[0], value[0]))
            cont = buf[value[1] : value[1] + 1]
            pos = value[1] + 1
            if cont == END:
                return RequestParam(ptype, pairs=tuple(pairs)), pos
            if cont != MORE:
                raise ProtocolError(f"expected 't' or 'f', got {cont!r}", offset=value[1])
    # EMPTY (and STREAM, which VistA leaves unimplemented): no body, then the end mark
    if pos >= len(buf):
        return None
    _expect_end(buf, pos)
    return (None if ptype == ParamType.EMPTY else RequestParam(ptype)), pos + 1


def _expect_end(buf: bytes, pos: int) -> None:
    if buf[pos : pos + 1] != END:
        raise ProtocolError(
            f"expected 'f' after a parameter, got {buf[pos : pos + 1]!r}", offset=pos
        )


# ---------------------------------------------------------------------------------------------
# Responses (server side writes, client side reads)
# ---------------------------------------------------------------------------------------------


def response_packets(security: bytes = b"", error: bytes = b"") -> bytes:
    """SNDERR^XWBRW: the security and application-error S-packs, each cut to 255 bytes."""
    return spack(security[:MAX_SPACK]) + spack(error[:MAX_SPACK])


def encode_response(data: bytes = b"", *, security: bytes = b"", error: bytes = b"") -> bytes:
    """A whole response as SND^XWBRW writes it: packets, data, ``$C(4)``."""
    return response_packets(security, error) + data + EOT


def encode_m_error(text: bytes, *, security: bytes = b"", error: bytes = b"") -> bytes:
    """An M error as ETRAP^XWBTCPM sends it through ESND^XWBRW: ``$C(24) text $C(4)`` as the
    data, then the response's own ``$C(4)``."""
    return response_packets(security, error) + M_ERROR_MARK + text + EOT + EOT


def encode_data(return_type: ReturnType, values: Sequence[bytes], *, wrap: bool = False) -> bytes:
    """The data part as SNDDATA^XWBRW writes it for each RETURN VALUE TYPE.

    ``values``: one item for single value and global instance; the nodes in order otherwise.
    ``wrap`` is the RPC's WORD WRAP ON flag (8994 field .08)."""
    if return_type in (ReturnType.SINGLE_VALUE, ReturnType.GLOBAL_INSTANCE):
        return values[0] if values else b""
    if return_type == ReturnType.ARRAY:
        return b"".join(v + CRLF for v in values)
    if return_type == ReturnType.WORD_PROCESSING:
        return b"".join(v + CRLF if wrap else v for v in values)
    if return_type == ReturnType.GLOBAL_ARRAY:
        # SNDDATA: CR LF after each node when wrapping, unless the node is itself CR LF
        return b"".join(v + CRLF if wrap and v != CRLF else v for v in values)
    return b"".join(spack(v[:MAX_SPACK]) for v in values)  # VARIABLE_LENGTH
