"""Sign-on and session steps as generators that both clients drive (psycopg 3's shape).

Each step yields an :class:`Exchange` (request bytes and a label) and receives the
:class:`~rpc.protocol.Reply`; the blocking client and the asyncio client only move bytes.  So
the order of the sign-on RPCs, the cipher, and how each answer becomes a typed value or a typed
error live here once:

- TCPConnect (NEW^XWBTCPM): the server answers ``accept``.
- XUS SIGNON SETUP (SETUP^XUSRB): server, volume, UCI, device, attempts, ...
- XUS INTRO MSG (INTRO^XUSRB), optional.
- XUS AV CODE (VALIDAV^XUSRB): ``ACCESS;VERIFY`` encrypted by ENCRYP^XUSRB1; the answer is DUZ,
  a can't-sign-on flag, a verify-change flag, VistA's message, then post-sign-on lines.
- XUS GET USER INFO (USERINFO^XUSRB2): a :class:`VistaUser`.
- XWB CREATE CONTEXT (CRCONTXT^XWBSEC): the option name, encrypted; ``1`` or VistA's refusal.
- XWB IM HERE (IMHERE^XWBLIB): keep-alive, ``1``.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rpc import protocol
from rpc.cipher import CipherTable, RowChooser, get_table
from rpc.errors import (
    BrokerConnectionError,
    ContextError,
    LockedOutError,
    ProtocolError,
    RPCMError,
    SignOnError,
    VerifyCodeExpiredError,
)
from rpc.protocol import Literal, Param, Reply, RPCResult
from rpc.wire import ReturnType


@dataclass(frozen=True)
class Exchange:
    """One request and the label used in errors (the RPC or command name)."""

    request: bytes
    label: str


@dataclass(frozen=True)
class Credentials:
    """Access and verify codes.  ``repr`` never shows them."""

    access: str = field(repr=False)
    verify: str = field(repr=False)

    def __post_init__(self) -> None:
        if not self.access or not self.verify:
            raise SignOnError("access and verify codes must both be given")
        if ";" in self.access:
            raise SignOnError("an access code cannot contain ';' (XUS AV CODE separates with it)")


@dataclass(frozen=True)
class SignOnSetup:
    """XUS SIGNON SETUP's answer (SETUP^XUSRB)."""

    server: str
    volume: str
    uci: str
    device: str
    attempts: int | None
    skip_signon_screen: bool
    domain: str
    production: bool


@dataclass(frozen=True)
class VistaUser:
    """XUS GET USER INFO's answer (USERINFO^XUSRB2), the fields CPRS's VistaUser object holds."""

    duz: int
    name: str
    standard_name: str
    division_ien: str
    division_name: str
    division_station: str
    title: str
    service_section: str
    language: str
    dtime: int | None
    vpid: str
    agency: str
    authentication: str
    level_of_assurance: str
    raw: tuple[str, ...] = field(repr=False, default=())


@dataclass(frozen=True)
class SignOn:
    """What a successful sign-on learnt."""

    duz: int
    setup: SignOnSetup
    messages: tuple[str, ...]
    intro: tuple[str, ...] | None = None
    user: VistaUser | None = None
    context: str | None = None


@dataclass(frozen=True)
class SessionOptions:
    """How to sign on: the cipher table (and an injectable row chooser for tests), whether to
    fetch the intro text and the user, and the context to create."""

    cipher: CipherTable = field(default_factory=get_table)
    rng: RowChooser | None = None
    intro: bool = False
    user_info: bool = True
    context: str | None = None


def rpc_exchange(name: str, params: Sequence[Param] = ()) -> Exchange:
    if not params:
        return _bare_exchange(name)
    return Exchange(protocol.rpc_request(name, params), name)


@lru_cache(maxsize=256)
def _bare_exchange(name: str) -> Exchange:
    return Exchange(protocol.rpc_request(name), name)


def handshake(client_address: str, client_name: str) -> Generator[Exchange, Reply, None]:
    """TCPConnect: VistA answers ``accept`` (or ``reject`` when logons are inhibited)."""
    reply = yield Exchange(protocol.connect_request(client_address, client_name), "TCPConnect")
    reply.raise_for_error("TCPConnect")
    if reply.data != "accept":
        raise BrokerConnectionError(f"the broker refused the connection ({reply.data[:40]!r})")


def call(
    name: str, params: Sequence[Param] = (), returns: ReturnType | None = None
) -> Generator[Exchange, Reply, RPCResult]:
    """One RPC: its typed result, or its typed error."""
    reply = yield rpc_exchange(name, params)
    return finish_call(name, returns, reply)


def finish_call(name: str, returns: ReturnType | None, reply: Reply) -> RPCResult:
    """How a call's reply becomes its result (shared by :func:`call` and the clients' direct
    single-exchange path)."""
    kind = returns if returns is not None else _KNOWN.get(name, ReturnType.SINGLE_VALUE)
    if reply.security or reply.error or reply.m_error is not None:
        reply.raise_for_error(name)
    return RPCResult(kind, reply.data)


_KNOWN = protocol.KNOWN_RETURN_TYPES


def keep_alive() -> Generator[Exchange, Reply, None]:
    """XWB IM HERE (IMHERE^XWBLIB answers 1)."""
    check_alive((yield from call("XWB IM HERE")))


def check_alive(result: RPCResult) -> None:
    """IMHERE^XWBLIB answers 1."""
    if result.text != "1":
        raise ProtocolError(f"XWB IM HERE answered {result.text[:20]!r}, not 1")


def bye() -> Generator[Exchange, Reply, None]:
    """#BYE#: VistA echoes it and ends the connection's process."""
    reply = yield Exchange(protocol.bye_request(), "#BYE#")
    reply.raise_for_error("#BYE#")
    if reply.data != "#BYE#":
        raise ProtocolError(f"#BYE# answered {reply.data[:20]!r}")


def create_context(
    context: str, cipher: CipherTable | None = None, rng: RowChooser | None = None
) -> Generator[Exchange, Reply, None]:
    """XWB CREATE CONTEXT: CRCONTXT^XWBSEC sets the refusal both as the security packet and as
    the result; either one, or anything but ``1``, is a :class:`ContextError`."""
    table = cipher if cipher is not None else get_table()
    reply = yield rpc_exchange("XWB CREATE CONTEXT", [Literal(table.encrypt(context, rng))])
    if reply.m_error is not None:
        raise RPCMError(reply.m_error, rpc="XWB CREATE CONTEXT")
    refusal = reply.security or reply.error
    if refusal or reply.data != "1":
        raise ContextError(refusal or reply.data or "no answer", context=context)


def signon_setup() -> Generator[Exchange, Reply, SignOnSetup]:
    """XUS SIGNON SETUP (SETUP^XUSRB)."""
    return parse_setup((yield from call("XUS SIGNON SETUP")).lines)


def intro_text() -> Generator[Exchange, Reply, tuple[str, ...]]:
    """XUS INTRO MSG (INTRO^XUSRB): the site's introductory text."""
    return tuple((yield from call("XUS INTRO MSG")).lines)


def authenticate(
    credentials: Credentials, cipher: CipherTable | None = None, rng: RowChooser | None = None
) -> Generator[Exchange, Reply, tuple[int, tuple[str, ...]]]:
    """XUS AV CODE: ``ACCESS;VERIFY`` through ENCRYP^XUSRB1; DUZ and the post-sign-on lines,
    or VistA's refusal as :class:`SignOnError` (naming the cipher table used)."""
    table = cipher if cipher is not None else get_table()
    secret = table.encrypt(f"{credentials.access};{credentials.verify}", rng)
    reply = yield rpc_exchange("XUS AV CODE", [Literal(secret)])
    return interpret_av_code(reply, table.name)


def user_info() -> Generator[Exchange, Reply, VistaUser]:
    """XUS GET USER INFO (USERINFO^XUSRB2); before sign-on VistA answers a security packet."""
    return parse_user((yield from call("XUS GET USER INFO")).lines)


def sign_on(
    credentials: Credentials, options: SessionOptions | None = None
) -> Generator[Exchange, Reply, SignOn]:
    """The whole sign-on after TCPConnect, in the order CPRS (and the recorded flows) use."""
    opts = options if options is not None else SessionOptions()
    setup = yield from signon_setup()
    intro = (yield from intro_text()) if opts.intro else None
    duz, messages = yield from authenticate(credentials, opts.cipher, opts.rng)
    user = (yield from user_info()) if opts.user_info else None
    if opts.context:
        yield from create_context(opts.context, opts.cipher, opts.rng)
    return SignOn(duz, setup, messages, intro, user, opts.context)


def interpret_av_code(reply: Reply, cipher_table: str) -> tuple[int, tuple[str, ...]]:
    """VALIDAV^XUSRB's answer: RET(0)=DUZ, RET(1)=can't-sign-on flag, RET(2)=verify must change,
    RET(3)=VistA's message, RET(5...)=post-sign-on lines.  DUZ 0 is a refusal."""
    if reply.security or reply.error or reply.m_error is not None:
        text = reply.m_error or reply.security or reply.error
        raise SignOnError(text.split("\r\n", 1)[0], cipher_table=cipher_table)
    lines = protocol.RPCResult(ReturnType.ARRAY, reply.data).lines
    if not lines:
        raise ProtocolError("XUS AV CODE answered nothing")
    duz = _int(lines[0])
    text = lines[3] if len(lines) > 3 else ""
    if duz is None or duz <= 0:
        if len(lines) > 2 and lines[2] == "1":
            raise VerifyCodeExpiredError(text or "the verify code must be changed")
        # XUS3 message 7 (IP/device locked) comes with RET(1)=1 (FAIL^XUS3) or alone (LKCHECK)
        if "locked" in text.lower():
            raise LockedOutError(text, cipher_table=cipher_table)
        raise SignOnError(text, cipher_table=cipher_table)
    # RET(5) counts messages and RET(6) divisions to choose from (0 or empty for a single
    # division); the post-sign-on lines (greeting, failed-attempt notice) follow
    return duz, tuple(line for line in lines[6:] if line)


def parse_setup(lines: Sequence[str]) -> SignOnSetup:
    """SETUP^XUSRB: 0 server, 1 volume, 2 UCI, 3 device, 4 attempts, 5 skip sign-on screen,
    6 domain, 7 production."""
    get = _getter(lines)
    return SignOnSetup(
        server=get(0),
        volume=get(1),
        uci=get(2),
        device=get(3),
        attempts=_int(get(4)),
        skip_signon_screen=get(5) == "1",
        domain=get(6),
        production=get(7) == "1",
    )


def parse_user(lines: Sequence[str]) -> VistaUser:
    """USERINFO^XUSRB2: DUZ, name, standard name, division (ien^name^station), title, service,
    language, DTIME, VPID, agency, authentication, level of assurance..."""
    get = _getter(lines)
    duz = _int(get(0))
    if duz is None or duz <= 0:
        raise SignOnError("XUS GET USER INFO: the user is not signed on")
    division = get(3).split("^")
    division += [""] * (3 - len(division))
    return VistaUser(
        duz=duz,
        name=get(1),
        standard_name=get(2),
        division_ien=division[0],
        division_name=division[1],
        division_station=division[2],
        title=get(4),
        service_section=get(5),
        language=get(6),
        dtime=_int(get(7)),
        vpid=get(8),
        agency=get(9),
        authentication=get(10),
        level_of_assurance=get(11),
        raw=tuple(lines),
    )


def _getter(lines: Sequence[str]) -> _Get:
    return _Get(lines)


class _Get:
    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines

    def __call__(self, index: int) -> str:
        return self.lines[index] if index < len(self.lines) else ""


def _int(text: str) -> int | None:
    stripped = text.strip()
    if stripped.lstrip("-").isdigit():
        return int(stripped)
    return None
