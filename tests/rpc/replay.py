"""A loopback server that answers with what VistA's own broker answered (../shared/vista-lab).

Each connection must walk one recorded session (signon, badverify, lockout, fileman, clinical):
every byte it receives must be a prefix of a request VistA got at that point, and a complete
request is answered with that flow's recorded ``.bin``.  Any other byte closes the connection at
once and is recorded in :attr:`ReplayServer.mismatches` (tests assert there are none), so a
client that sends one byte VistA did not get fails.

Which flows may come next:

- until the session's successful XWB CREATE CONTEXT, strictly the recorded order (TCPConnect,
  sign-on, ...), because VistA's answers depend on that order;
- after it, any of the session's flows up to its next XWB CREATE CONTEXT, in any order and
  repeatedly (they are reads that depend only on the signed-on user and context), so pools and
  benchmarks can call XWB IM HERE or ORQQAL LIST as often as they like;
- a later XWB CREATE CONTEXT (denied or unknown) drops the context, as CRCONTXT^XWBSEC does:
  from there on the order is strict again;
- #BYE# at any point, answered as recorded, then the connection is closed.

Connections start out matching every session and narrow as requests come (the sessions share
their first requests and VistA's answers to them are the same bytes).

Like check.py, the answers follow the clock: XUS AV CODE's greeting word (morning, afternoon,
evening) and ORWPT SELECT's age are recomputed for now.  The cipher rows in requests are not
normalized: clients under test fix them at rows 1 and 2 (:class:`FixedRows`), as check.py does.
"""

from __future__ import annotations

import importlib.util
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from tests.conftest import shared_path

CONTEXT_RPC = b"\x12XWB CREATE CONTEXT"
BYE = b"[XWB]10304\x05#BYE#\x04"


def load_check() -> ModuleType:
    """../shared/vista-lab/check.py, imported from where it lives."""
    path = Path(shared_path("vista-lab", "check.py"))
    spec = importlib.util.spec_from_file_location("vista_lab_check", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FixedRows:
    """The cipher row chooser check.py's requests imply: identifier row 1, associator row 2
    (ENCRYP^XUSRB1 draws the associator first: $R(20)=1, then the identifier: $R(20)=0)."""

    def __init__(self) -> None:
        self._next = 0

    def randrange(self, stop: int, /) -> int:
        value = 1 if self._next == 0 else 0
        self._next ^= 1
        return value


@dataclass(frozen=True)
class Flow:
    name: str
    request: bytes
    response: bytes


@dataclass
class Session:
    name: str
    flows: list[Flow]
    free_from: int = -1  # first flow index after the successful CREATE CONTEXT
    free_until: int = -1  # index of the next CREATE CONTEXT (exclusive end of the free window)

    def __post_init__(self) -> None:
        for i, flow in enumerate(self.flows):
            if CONTEXT_RPC in flow.request and flow.response == b"\x00\x001\x04":
                self.free_from = i + 1
                later = [
                    j for j in range(i + 1, len(self.flows)) if CONTEXT_RPC in self.flows[j].request
                ]
                self.free_until = later[0] if later else len(self.flows)
                break


@dataclass
class _Cursor:
    session: Session
    pos: int = 0  # next index in strict order
    free: bool = False

    def expected(self) -> list[tuple[int, Flow]]:
        flows = self.session.flows
        if not self.free:
            out = [(self.pos, flows[self.pos])] if self.pos < len(flows) else []
        else:
            window = range(self.session.free_from, self.session.free_until)
            out = [(i, flows[i]) for i in window]
            out += [(i, flows[i]) for i in range(self.session.free_until, len(flows))]
        out += [(i, f) for i, f in enumerate(flows) if f.request == BYE and (i, f) not in out]
        return out

    def advance(self, index: int) -> _Cursor:
        s = self.session
        if self.free and s.free_from <= index < s.free_until:
            return self
        nxt = _Cursor(s, index + 1, False)
        if index + 1 == s.free_from:
            nxt.free = True
        return nxt


@dataclass
class Mismatch:
    """Bytes no recorded session expected at that point (the connection was closed)."""

    received: bytes
    expected: list[str]


def load_sessions(lockout: bool = True) -> list[Session]:
    check = load_check()
    golden = Path(shared_path("vista-lab", "golden"))
    order: dict[str, list[Flow]] = {}
    flows = check.FLOWS + (check.LOCKOUT if lockout else [])
    for session, name, _request in flows:
        flow = Flow(
            name, (golden / f"{name}.req").read_bytes(), (golden / f"{name}.bin").read_bytes()
        )
        order.setdefault(session, []).append(flow)
    return [Session(name, flows) for name, flows in order.items()]


class Answers:
    """Recorded answers adjusted to the clock, as check.py's compare() adjusts them."""

    def __init__(self) -> None:
        self.check = load_check()

    def __call__(self, flow: Flow) -> bytes:
        want = flow.response
        if b"Good morning " in want:
            want = want.replace(b"Good morning ", b"Good " + self.check.greeting_now())
        dob = self.check.AGE_DOB.get(flow.name)
        if dob is not None and want.count(b"^") > 15:
            pieces = want.split(b"^")
            pieces[14] = str(self.check.age_now(dob)).encode()
            want = b"^".join(pieces)
        return bytes(want)


@dataclass
class ReplayServer:
    """The replay broker on 127.0.0.1, a free port, one thread per connection."""

    sessions: list[Session] = field(default_factory=load_sessions)
    read_timeout: float = 10.0
    answers: Callable[[Flow], bytes] = field(default_factory=Answers)
    mismatches: list[Mismatch] = field(default_factory=list)
    served: list[str] = field(default_factory=list)
    resets: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.host, self.port = self._listener.getsockname()[:2]
        self._stop = threading.Event()
        self._conns: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._accept = threading.Thread(target=self._accept_loop, daemon=True)
        self._accept.start()

    def reset(self) -> None:
        """The recorded answers hold no state to put back; counted for tests."""
        self.resets += 1

    def close(self) -> None:
        self._stop.set()
        self._accept.join(2)
        self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in list(self._threads):
            thread.join(2)

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            with self._lock:
                self._conns.add(conn)
                self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(self.read_timeout)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cursors = [_Cursor(s) for s in self.sessions]
        buf = b""
        try:
            while not self._stop.is_set():
                try:
                    chunk = conn.recv(65536)
                except (TimeoutError, OSError):
                    return
                if not chunk:
                    return
                buf += chunk
                while buf:
                    result = self._match(cursors, buf)
                    if result is None:
                        return  # a byte no session expected: closed
                    if result is True:
                        break  # a prefix: wait for more
                    cursors, flow, used = result
                    buf = buf[used:]
                    with self._lock:  # before answering: the client may look right after
                        self.served.append(flow.name)
                    conn.sendall(self.answers(flow))
                    if flow.request == BYE:
                        return
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def _match(
        self, cursors: list[_Cursor], buf: bytes
    ) -> tuple[list[_Cursor], Flow, int] | bool | None:
        prefix = False
        chosen: Flow | None = None
        survivors: list[_Cursor] = []
        for cursor in cursors:
            for index, flow in cursor.expected():
                req = flow.request
                if buf[: len(req)] == req:
                    if chosen is None:
                        chosen = flow
                    if flow.response == chosen.response and flow.request == chosen.request:
                        survivors.append(cursor.advance(index))
                        break
                elif req.startswith(buf):
                    prefix = True
        if chosen is not None:
            return survivors, chosen, len(chosen.request)
        if prefix:
            return True
        names = sorted({f.name for c in cursors for _i, f in c.expected()})
        with self._lock:
            self.mismatches.append(Mismatch(bytes(buf[:200]), names))
        return None


@contextmanager
def replay_server(**options: object) -> Iterator[ReplayServer]:
    """A started :class:`ReplayServer`, closed afterwards."""
    server = ReplayServer(**options)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.close()
