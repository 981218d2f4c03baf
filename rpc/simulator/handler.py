"""What the protocol core asks of the VistA side: the handler interface and its values.

The core (this package) owns the socket, the XWB parsing and framing and the per-connection
loop of MAIN^XWBTCPM; everything VistA decides from its database (does the RPC exist, may this
user run it, what does it answer) is behind :class:`BrokerHandler`.  The implementation over a
GlobalStore lives in ``bridge.simulator``; ``rpc`` never imports ``globals_map``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from rpc.wire import ReturnType

__all__ = [
    "BrokerHandler",
    "CallResult",
    "ListParam",
    "Literal",
    "MError",
    "Param",
    "ReturnType",
    "RpcEntry",
    "Session",
]


@dataclass(frozen=True)
class RpcEntry:
    """One REMOTE PROCEDURE (8994) entry, as RPC^XWBPRS reads its zero node."""

    name: str
    tag: str
    routine: str
    return_type: ReturnType
    word_wrap: bool = False
    #: piece 6 (INACTIVE): 1 or 2 make RPC^XWBPRS refuse the call.
    inactive: str = ""


@dataclass(frozen=True)
class Literal:
    """A literal parameter (type 0), or a reference (type 1) once resolved to its value."""

    value: str


@dataclass(frozen=True)
class ListParam:
    """A list (type 2) or global (type 3) parameter: LINST^XWBPRS / GINST^XWBPRS.

    ``items`` maps the subscripts (parsed from the M literals the client sent) to values, in
    the order the client sent them; a later pair for the same subscripts replaces the earlier.
    """

    items: dict[tuple[str, ...], str]
    is_global: bool = False

    def get(self, *subs: str, default: str = "") -> str:
        """The value at ``subs`` ($G of the array node), or ``default``."""
        return self.items.get(tuple(subs), default)


Param = Literal | ListParam


@dataclass
class Session:
    """Per-connection state (the M process's local variables that outlive one request)."""

    peer: str
    #: TCPConnect's parameters: client IP as sent, callback port, client name.
    connect_params: tuple[str, ...] = ()
    duz: int = 0
    #: XQY0: the option name of the current context ("" = none).
    context: str = ""
    #: The idle timeout (XWBTIME) in seconds before the next request; None = server default.
    idle_timeout: float | None = None
    #: Whatever else the VistA side keeps per process (XUFAC, XOPT...).  ``vars["locals"]``,
    #: a dict of plain names to values (DUZ, DT, U...), is the fixed set a reference parameter
    #: may name (GETV^XWBPRS); any other reference is refused, never evaluated.
    vars: dict[str, object] = field(default_factory=dict)


@dataclass
class CallResult:
    """What an RPC left for SND^XWBRW: the result and the two packets.

    ``value`` is a str for single values / global instances and a list of lines for arrays,
    word processing and global arrays.  ``security`` is XWBSEC (e.g. set by CRCONTXT^XWBSEC),
    ``error`` XWBERROR.  ``hang`` is how long VistA paused (``H n``) before answering.
    """

    value: str | list[str] = ""
    security: str = ""
    error: str = ""
    hang: float = 0.0
    #: RTRNFMT^XWBLIB: an RPC may change its own return type while it runs.
    return_type: ReturnType | None = None


class MError(Exception):
    """An M run-time error inside an RPC: the core answers as ETRAP^XWBTCPM does.

    ``place`` is $ZPOSITION-like (``IMHERE^XWBLIB``), ``text`` the engine's message, ``number``
    and ``mnemonic`` the engine's error id (``150374474``, ``%GTM-E-ACTLSTTOOLONG``), and
    ``last_ref`` $REFERENCE at the time.  The wire text is built by EC^%ZOSV's rule.
    """

    def __init__(
        self, place: str, text: str, number: str, mnemonic: str, last_ref: str = ""
    ) -> None:
        self.place = place
        self.text = text
        self.number = number
        self.mnemonic = mnemonic
        self.last_ref = last_ref
        super().__init__(f"{mnemonic} at {place}")

    def wire_text(self) -> str:
        """ "M  ERROR=" + $$EC^%ZOSV + CR LF + "LAST REF=" + $$LGR^%ZOSV (ETRAP^XWBTCPM)."""
        ec = f"{self.place},{self.text.replace(',', chr(39))},{self.number},-{self.mnemonic}"
        return f"M  ERROR={ec[:200]}\r\nLAST REF={self.last_ref}"


@runtime_checkable
class BrokerHandler(Protocol):
    """The VistA side of the broker: called by the core for each step of MAIN^XWBTCPM."""

    def open_session(self, session: Session) -> None:
        """A TCPConnect was accepted (NEW^XWBTCPM)."""
        ...

    def lookup_rpc(self, name: str) -> RpcEntry | None:
        """The RPC's entry by name (RPC^XWBPRS: ^XWB(8994,"B",name)), or None."""
        ...

    def check_permission(self, session: Session, name: str) -> str:
        """CHKPRMIT^XWBSEC: "" when the RPC may run in the session's context, else the text."""
        ...

    def call(self, session: Session, entry: RpcEntry, params: list[Param]) -> CallResult:
        """Run the RPC (CAPI^XWBPRS).  Raises :class:`MError` for VistA's error trap."""
        ...

    def close_session(self, session: Session) -> None:
        """The connection ends (EXIT^XWBTCPM: LOGOUT^XUSRB when signed on)."""
        ...
