"""The simulator's protocol core (rpc.simulator) with a small handler: framing, the MAIN loop,
bad input, timeouts and many connections.  The VistA side is tested in tests/bridge."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rpc.simulator import (
    CallResult,
    Limits,
    ListParam,
    Literal,
    MError,
    Param,
    ReturnType,
    RpcEntry,
    ServerConfig,
    Session,
    Timings,
    running_in_thread,
)
from rpc.simulator.reader import Bye, Call, Connect, Ignored, Reference, RequestReader
from rpc.wire import (
    EOT,
    empty_param,
    list_param,
    literal_param,
    message_header,
    params_chunk,
    reference_param,
    rpc_chunk,
)
from tests.conftest import shared_path

TCPCONNECT = b"[XWB]10304\nTCPConnect50009127.0.0.1f00010f0014vistalab-checkf\x04"
BYE = b"[XWB]10304\x05#BYE#\x04"


def call(name: str, *params: bytes, header: bytes | None = None) -> bytes:
    head = header if header is not None else message_header(1)
    return head + rpc_chunk(name.encode()) + params_chunk(params)


class EchoHandler:
    """ECHO returns its parameters; BOOM fails in Python; MERR raises an M error."""

    def __init__(self) -> None:
        self.closed = 0

    def open_session(self, session: Session) -> None:
        session.vars["locals"] = {"DUZ": "42"}

    def lookup_rpc(self, name: str) -> RpcEntry | None:
        if name in ("ECHO", "BOOM", "MERR"):
            return RpcEntry(name, name, "ZZSIM", ReturnType.ARRAY)
        return None

    def check_permission(self, session: Session, name: str) -> str:
        return ""

    def call(self, session: Session, entry: RpcEntry, params: list[Param]) -> CallResult:
        if entry.name == "BOOM":
            raise ValueError("secret patient data must not leak")
        if entry.name == "MERR":
            raise MError("MERR^ZZSIM", " Bad things", "1", "%GTM-E-TEST", '^X("Y")')
        lines = []
        for p in params:
            if isinstance(p, Literal):
                lines.append(p.value)
            else:
                lines += [",".join(k) + "=" + v for k, v in p.items.items()]
        return CallResult(lines)

    def close_session(self, session: Session) -> None:
        self.closed += 1


FAST = Timings(connect=2.0, signon_idle=2.0, idle=2.0, read=0.5, drain=0.05, trap_hang=0.01)


@pytest.fixture
def server() -> Iterator[tuple[int, EchoHandler]]:
    handler = EchoHandler()
    config = ServerConfig(timings=FAST, limits=Limits(max_connections=150, max_field=4096))
    with running_in_thread(handler, config) as srv:
        yield srv.port, handler


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    assert exchange(sock, TCPCONNECT) == b"\x00\x00accept\x04"
    return sock


def exchange(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    return read_reply(sock)


def read_reply(sock: socket.socket) -> bytes:
    buf = b""
    while not buf.endswith(EOT):
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf


def closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        return sock.recv(100) == b""
    except TimeoutError:
        return False


# -- the sans-IO reader --------------------------------------------------------------------
def _golden_requests() -> list[Path]:
    return sorted(shared_path("vista-lab", "golden").glob("*.req"))


def test_reader_parses_every_recorded_request_fed_one_byte_at_a_time() -> None:
    for path in _golden_requests():
        data = path.read_bytes()
        first = path.name.endswith("tcpconnect.req")
        whole, trickled = RequestReader(), RequestReader()
        if not first:
            whole.feed(TCPCONNECT)
            trickled.feed(TCPCONNECT)
            assert isinstance(whole.next_event(), Connect)
            assert isinstance(trickled.next_event(), Connect)
        whole.feed(data)
        expected = whole.next_event()
        got = None
        for byte in data:
            assert got is None, path.name
            trickled.feed(bytes([byte]))
            got = trickled.next_event()
        assert got == expected is not None, path.name
        assert whole.buffered() == 0


def test_reader_reads_list_params_as_literals_and_keeps_references_unevaluated() -> None:
    reader = RequestReader()
    reader.feed(TCPCONNECT)
    reader.next_event()
    pairs = [(b'"FILE"', b"120.82"), (b'"A",01', b"x"), (b'"E"', b"\x01")]
    reader.feed(call("ECHO", list_param(pairs), reference_param(b"$$EN^XUS"), empty_param()))
    event = reader.next_event()
    assert isinstance(event, Call)
    assert event.params == (
        ListParam({("FILE",): "120.82", ("A", "1"): "x", ("E",): ""}),
        Reference("$$EN^XUS"),
    )


def test_reader_consumes_garbage_five_bytes_at_a_time_with_bounded_buffer() -> None:
    reader = RequestReader()
    reader.feed(TCPCONNECT)
    reader.next_event()
    reader.feed(b"x" * 100_000)
    events = []
    while (event := reader.next_event()) is not None:
        events.append(event)
    assert len(events) == 20_000 and all(isinstance(e, Ignored) for e in events)
    assert reader.buffered() == 0
    reader.feed(b"#BYE#")
    assert isinstance(reader.next_event(), Bye)


# -- the server ----------------------------------------------------------------------------
def test_answers_literals_lists_and_resolved_references(
    server: tuple[int, EchoHandler],
) -> None:
    port, _ = server
    with connect(port) as sock:
        reply = exchange(
            sock,
            call(
                "ECHO",
                literal_param(b"one"),
                list_param([(b'"K",2', b"v")]),
                reference_param(b"DUZ"),
                reference_param(b'"quoted"'),
                reference_param(b"$$X^Y"),
            ),
        )
    assert reply == b"\x00\x00one\r\nK,2=v\r\n42\r\nquoted\r\n\r\n\x04"


def test_a_reference_outside_the_fixed_set_is_refused_never_evaluated(
    server: tuple[int, EchoHandler],
) -> None:
    port, _ = server
    with connect(port) as sock:
        reply = exchange(sock, call("ECHO", reference_param(b"$G(^VA(200,1,0))")))
        after = exchange(sock, call("ECHO", literal_param(b"still here")))
    assert reply.startswith(b"\x00\x00\x18M  ERROR=GETV+4^XWBPRS,")
    assert reply.endswith(b"\x04\x04")
    assert after == b"\x00\x00still here\r\n\x04"


def test_a_list_subscript_that_is_not_a_literal_is_refused(
    server: tuple[int, EchoHandler],
) -> None:
    port, _ = server
    with connect(port) as sock:
        reply = exchange(sock, call("ECHO", list_param([(b"$$KILL^ALL", b"x")])))
    assert reply.startswith(b"\x00\x00\x18M  ERROR=LINST+3^XWBPRS,")


def test_unknown_rpc_gets_the_security_packet(server: tuple[int, EchoHandler]) -> None:
    port, _ = server
    with connect(port) as sock:
        reply = exchange(sock, call("NOPE"))
    text = b"Remote Procedure 'NOPE' doesn't exist on the server."
    assert reply == bytes([len(text)]) + text + b"\x00\x04"


def test_a_failing_handler_answers_like_vistas_trap_without_traceback(
    server: tuple[int, EchoHandler],
) -> None:
    port, _ = server
    with connect(port) as sock:
        boom = exchange(sock, call("BOOM"))
        merr = exchange(sock, call("MERR"))
        ok = exchange(sock, call("ECHO", literal_param(b"x")))
    assert boom.startswith(
        b"\x00\x00\x18M  ERROR=BOOM^ZZSIM, Simulator handler failed (ValueError)"
    )
    assert b"secret" not in boom and b"Traceback" not in boom
    assert merr == (
        b'\x00\x00\x18M  ERROR=MERR^ZZSIM, Bad things,1,-%GTM-E-TEST\r\nLAST REF=^X("Y")\x04\x04'
    )
    assert ok == b"\x00\x00x\r\n\x04"


def test_bye_answers_and_closes_and_ends_the_session(server: tuple[int, EchoHandler]) -> None:
    port, handler = server
    with connect(port) as sock:
        assert exchange(sock, BYE) == b"\x00\x00#BYE#\x04"
        assert closed_within(sock, 2)
    with connect(port) as sock:
        assert exchange(sock, b"#BYE#") == b"\x00\x00#BYE#\x04"
    deadline = time.monotonic() + 2
    while handler.closed < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert handler.closed == 2


def test_first_message_must_be_tcpconnect(server: tuple[int, EchoHandler]) -> None:
    port, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        assert exchange(sock, call("ECHO")) == b"\x00\x00reject\x04"
        assert closed_within(sock, 2)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n\r\n")
        assert closed_within(sock, 2)


def test_garbage_between_requests_is_skipped(server: tuple[int, EchoHandler]) -> None:
    port, _ = server
    with connect(port) as sock:
        reply = exchange(sock, b"zzzzz" * 3 + call("ECHO", literal_param(b"after")))
    assert reply == b"\x00\x00after\r\n\x04"


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(call("ECHO", literal_param(b"hello"))[:-6] + EOT, id="truncated"),
        pytest.param(message_header(1) + rpc_chunk(b"ECHO") + b"50050ab\x04", id="lying-length"),
        pytest.param(message_header(1) + b"2\x011\x40ECHO\x04", id="short-spack"),
    ],
)
def test_broken_requests_close_the_connection(
    server: tuple[int, EchoHandler], broken: bytes
) -> None:
    port, _ = server
    with connect(port) as sock:
        sock.sendall(broken)
        assert closed_within(sock, 2)


def test_a_chunk_that_is_no_chunk_gets_invalid_chunk(server: tuple[int, EchoHandler]) -> None:
    """PRSM^XWBPRS: ERR="-1^Invalid Chunk" becomes the security packet (after CLRBUF)."""
    port, _ = server
    with connect(port) as sock:
        reply = exchange(sock, message_header(1) + b"9\x04")
    assert reply == b"\x0dInvalid Chunk\x00\x04"


def test_oversized_field_closes_without_reading_it(server: tuple[int, EchoHandler]) -> None:
    port, _ = server
    header = b"[XWB]1190"  # an L-pack width of 9 digits
    big = header + rpc_chunk(b"ECHO") + b"5" + b"0" + b"%09d" % 999_999_999
    with connect(port) as sock:
        sock.sendall(big)
        assert closed_within(sock, 2)


def test_slow_loris_is_closed_within_the_read_timeout_others_unaffected(
    server: tuple[int, EchoHandler],
) -> None:
    port, _ = server
    request = call("ECHO", literal_param(b"slow"))
    with connect(port) as slow, connect(port) as fast:
        start = time.monotonic()
        closed = False
        for byte in request:
            try:
                slow.sendall(bytes([byte]))
            except OSError:
                closed = True
                break
            assert exchange(fast, call("ECHO", literal_param(b"f"))) == b"\x00\x00f\r\n\x04"
            time.sleep(0.1)
            if time.monotonic() - start > 3:
                break
        assert closed or closed_within(slow, 1)
        assert time.monotonic() - start < FAST.read + 1.5


def test_idle_connections_time_out(server: tuple[int, EchoHandler]) -> None:
    port, _ = server
    with connect(port) as sock:
        start = time.monotonic()
        assert closed_within(sock, 5)
        assert FAST.signon_idle - 0.2 <= time.monotonic() - start < FAST.signon_idle + 1.5


def test_return_flag_suppresses_the_reply(server: tuple[int, EchoHandler]) -> None:
    """MAIN^XWBTCPM sends nothing when the header's 4th digit is set (XWBPRT)."""
    port, _ = server
    with connect(port) as sock:
        sock.sendall(call("ECHO", literal_param(b"quiet"), header=b"[XWB]1131"))
        reply = exchange(sock, call("ECHO", literal_param(b"loud")))
    assert reply == b"\x00\x00loud\r\n\x04"


def test_hundred_concurrent_asyncio_connections(server: tuple[int, EchoHandler]) -> None:
    port, _ = server

    async def one(i: int) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(TCPCONNECT)
        await reader.readuntil(EOT)
        out = b""
        for _ in range(5):
            writer.write(call("ECHO", literal_param(str(i).encode())))
            out = await reader.readuntil(EOT)
        writer.write(BYE)
        await reader.readuntil(EOT)
        writer.close()
        return out

    async def many() -> list[bytes]:
        return await asyncio.gather(*(one(i) for i in range(100)))

    replies = asyncio.run(many())
    assert replies == [b"\x00\x00%d\r\n\x04" % i for i in range(100)]


def test_connections_above_the_limit_are_rejected() -> None:
    config = ServerConfig(timings=FAST, limits=Limits(max_connections=2))
    with running_in_thread(EchoHandler(), config) as srv:
        socks = [connect(srv.port) for _ in range(2)]
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as extra:
            assert exchange(extra, TCPCONNECT) == b"\x00\x00reject\x04"
        for s in socks:
            s.close()


def test_server_threads_stop_cleanly() -> None:
    before = threading.active_count()
    with running_in_thread(EchoHandler(), ServerConfig(timings=FAST)) as srv:
        sock = connect(srv.port)
    sock.close()
    assert threading.active_count() <= before


def test_tcpconnect_inside_a_session_is_no_rpc(server: tuple[int, EchoHandler]) -> None:
    """CALLP^XWBPRS: a command with parameters reaches $$RPC without an RPC name."""
    port, _ = server
    with connect(port) as sock:
        reply = exchange(sock, TCPCONNECT)
    assert reply == b"\x0bNo RPC sent\x00\x04"


def test_refused_request_drains_what_follows_like_clrbuf(
    server: tuple[int, EchoHandler],
) -> None:
    """CLRBUF^XWBPRS reads up to the next byte 4 after a refused request, so a request sent
    right behind it is swallowed, as on VistA; the one after that is answered.  (A byte 4
    inside the next request, such as the length of a 4-character RPC name, stops the drain
    there, and what remains is read as garbage: VistA does the same.)"""
    port, _ = server
    with connect(port) as sock:
        sock.sendall(call("NOPE") + call("SWALLOWED", literal_param(b"eaten")))
        first = read_reply(sock)
        second = exchange(sock, call("ECHO", literal_param(b"kept")))
    assert first.endswith(b"doesn't exist on the server.\x00\x04")
    assert second == b"\x00\x00kept\r\n\x04"


def test_xus_set_shared_answers_empty(server: tuple[int, EchoHandler]) -> None:
    port, _ = server
    with connect(port) as sock:
        assert exchange(sock, call("XUS SET SHARED")) == b"\x00\x00\x04"


def test_requests_sent_during_a_pause_wait_their_turn(server: tuple[int, EchoHandler]) -> None:
    """An M error pauses the answer (^%ZTER's H 1); requests sent meanwhile are answered after,
    in order."""
    port, _ = server
    with connect(port) as sock:
        sock.sendall(call("MERR") + call("ECHO", literal_param(b"next")))
        both = b""
        while not both.endswith(b"next\r\n\x04"):
            chunk = sock.recv(65536)
            assert chunk, both
            both += chunk
    first, second = both.split(b"\x04\x04", 1)
    assert first.startswith(b"\x00\x00\x18M  ERROR=MERR^ZZSIM")
    assert second == b"\x00\x00next\r\n\x04"


def test_a_request_above_the_size_limit_closes_the_connection() -> None:
    config = ServerConfig(timings=FAST, limits=Limits(max_field=4096, max_request=10_000))
    with running_in_thread(EchoHandler(), config) as srv, connect(srv.port) as sock:
        many = [literal_param(b"x" * 900) for _ in range(20)]
        sock.sendall(call("ECHO", *many))
        assert closed_within(sock, 2)


def test_a_garbage_flood_is_consumed_with_a_bounded_buffer(
    server: tuple[int, EchoHandler],
) -> None:
    port, _ = server
    with connect(port) as sock:
        sock.sendall(b"z" * 2_000_000)
        reply = exchange(sock, call("ECHO", literal_param(b"alive")))
    assert reply == b"\x00\x00alive\r\n\x04"
