"""Faults: a connection closed mid-message, garbage, a length never sent, a stall, a server that
refuses or never answers.  Each call ends with its typed error within its timeout, nothing hangs,
no descriptor leaks, and a pool serves the next call."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from rpc.client import BrokerClient
from rpc.errors import (
    BrokerConnectionError,
    BrokerError,
    BrokerTimeoutError,
    ProtocolError,
)
from rpc.pool import BrokerPool
from tests.rpc.conftest import open_fds
from tests.rpc.faults import FakeServer, Fault, FaultProxy, read_request
from tests.rpc.replay import FixedRows
from tests.rpc.servers import BrokerServer

ACCESS, VERIFY = "LABUSER1", "LABUSER1!!"
CPRS = "OR CPRS GUI CHART"
EXPECTED = {
    Fault.CLOSE_MID_MESSAGE: BrokerConnectionError,
    Fault.GARBAGE: BrokerTimeoutError,
    Fault.LYING_LENGTH: BrokerTimeoutError,
    Fault.STALL: BrokerTimeoutError,
}
CALL_TIMEOUT = 0.4


@pytest.fixture
def proxy_for(broker_server: BrokerServer) -> Iterator[Callable[[Fault], FaultProxy]]:
    made: list[FaultProxy] = []

    def make(fault: Fault) -> FaultProxy:
        proxy = FaultProxy((broker_server.host, broker_server.port), fault, b"ORQQAL LIST")
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.close()


def wait_for_fds(target: int, limit: float = 3.0) -> int:
    deadline = time.monotonic() + limit
    while (now := open_fds()) > target and time.monotonic() < deadline:
        time.sleep(0.02)
    return now


@pytest.mark.parametrize("fault", list(Fault), ids=lambda f: f.name.lower())
def test_broken_answer_ends_in_a_typed_error_within_the_timeout(
    any_face: Callable[..., Any], proxy_for: Callable[[Fault], FaultProxy], fault: Fault
) -> None:
    proxy = proxy_for(fault)
    vista = any_face(proxy.host, proxy.port)
    vista.sign_on(ACCESS, VERIFY, context=CPRS, intro=True)
    started = time.monotonic()
    with pytest.raises(EXPECTED[fault]):
        vista.call("ORQQAL LIST", "1", timeout=CALL_TIMEOUT)
    assert time.monotonic() - started < CALL_TIMEOUT + 1.0
    assert proxy.fired.is_set()
    assert vista.broken
    with pytest.raises(BrokerConnectionError, match="closed"):
        vista.keep_alive()


@pytest.mark.parametrize("fault", list(Fault), ids=lambda f: f.name.lower())
def test_pool_serves_the_next_call_after_a_fault_and_leaks_nothing(
    broker_server: BrokerServer, fault: Fault
) -> None:
    before = open_fds()
    proxy = FaultProxy((broker_server.host, broker_server.port), fault, b"ORQQAL LIST")

    def factory() -> BrokerClient:
        client = BrokerClient(
            proxy.host, proxy.port, timeout=2.0, rng=FixedRows(), client_name="vistalab-check"
        )
        client.sign_on(ACCESS, VERIFY, context=CPRS, intro=True)
        return client

    def allergies(client: BrokerClient) -> list[str]:
        return client.call("ORQQAL LIST", "1", timeout=CALL_TIMEOUT).lines

    try:
        with BrokerPool(factory, size=2, acquire_timeout=2.0) as pool:
            with pytest.raises(EXPECTED[fault]):
                pool.run(allergies)
            assert len(pool.run(allergies)) == 9
            assert pool.stats().replaced == 1
    finally:
        proxy.close()
    assert wait_for_fds(before) <= before


@pytest.fixture
def fake() -> Iterator[Callable[[Callable[[socket.socket], None]], FakeServer]]:
    made: list[FakeServer] = []

    def make(script: Callable[[socket.socket], None]) -> FakeServer:
        server = FakeServer(script)
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()


def test_nothing_listening_is_a_connection_error(any_face: Callable[..., Any]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    vista = any_face("127.0.0.1", port, timeout=1.0)
    with pytest.raises(BrokerConnectionError, match="cannot connect"):
        vista.open()


def test_server_that_never_answers_tcpconnect_times_out(
    any_face: Callable[..., Any], fake: Callable[..., FakeServer]
) -> None:
    server = fake(lambda conn: (read_request(conn), time.sleep(1.5)))
    vista = any_face(server.host, server.port, connect_timeout=0.3)
    started = time.monotonic()
    with pytest.raises(BrokerTimeoutError):
        vista.open()
    assert time.monotonic() - started < 1.3


def test_rejected_tcpconnect_is_a_connection_error(
    any_face: Callable[..., Any], fake: Callable[..., FakeServer]
) -> None:
    server = fake(lambda conn: (read_request(conn), conn.sendall(b"\x00\x00reject\x04")))
    vista = any_face(server.host, server.port, timeout=1.0)
    with pytest.raises(BrokerConnectionError, match="refused"):
        vista.open()


def test_server_closing_at_once_is_a_connection_error(
    any_face: Callable[..., Any], fake: Callable[..., FakeServer]
) -> None:
    server = fake(lambda conn: None)
    vista = any_face(server.host, server.port, timeout=1.0)
    with pytest.raises(BrokerConnectionError):
        vista.open()


def test_unsolicited_bytes_between_answers_are_a_protocol_error(
    any_face: Callable[..., Any], fake: Callable[..., FakeServer]
) -> None:
    def script(conn: socket.socket) -> None:
        read_request(conn)
        conn.sendall(b"\x00\x00accept\x04\x00\x00surprise\x04")
        read_request(conn)
        time.sleep(0.5)

    server = fake(script)
    vista = any_face(server.host, server.port, timeout=1.0)
    vista.open()
    time.sleep(0.05)
    with pytest.raises(ProtocolError):
        vista.keep_alive()


def test_sign_on_against_a_broken_server_leaks_no_descriptors(
    fake: Callable[..., FakeServer],
) -> None:
    server = fake(lambda conn: (read_request(conn), conn.sendall(b"\x00\x00acc")))
    before = open_fds()
    for _ in range(5):
        client = BrokerClient(server.host, server.port, timeout=0.5)
        with pytest.raises(BrokerError):
            client.sign_on(ACCESS, VERIFY)
        client.close()
    assert wait_for_fds(before) <= before


def test_async_watchdog_rearms_and_never_fires_between_calls(broker_server: BrokerServer) -> None:
    import asyncio

    from rpc.aio import AsyncBrokerClient

    async def main() -> None:
        vista = AsyncBrokerClient(
            broker_server.host,
            broker_server.port,
            timeout=0.3,
            rng=FixedRows(),
            client_name="vistalab-check",
        )
        await vista.sign_on(ACCESS, VERIFY, context=CPRS, intro=True, timeout=5.0)
        await vista.keep_alive()
        await asyncio.sleep(0.5)  # the pending timer fires with no call in progress
        await vista.keep_alive()
        await vista.keep_alive(timeout=5.0)  # a longer limit than the armed timer
        await asyncio.sleep(0.35)
        await vista.keep_alive(timeout=0.2)  # a shorter one re-arms earlier
        assert not vista.broken
        await vista.close()

    asyncio.run(main())
