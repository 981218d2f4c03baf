"""The connection pools against the broker under test: bounded size and waits, health checks,
reconnect after a drop, no leaked descriptors; the pool only sees client objects."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from rpc.aio import AsyncBrokerClient
from rpc.client import BrokerClient
from rpc.errors import PoolError, PoolTimeoutError, SignOnError
from rpc.pool import AsyncBrokerPool, BrokerPool
from tests.rpc.conftest import open_fds
from tests.rpc.faults import FaultProxy
from tests.rpc.replay import FixedRows
from tests.rpc.servers import BrokerServer
from tests.rpc.test_faults import wait_for_fds

ACCESS, VERIFY = "LABUSER1", "LABUSER1!!"
CPRS = "OR CPRS GUI CHART"


def sync_factory(host: str, port: int, verify: str = VERIFY) -> BrokerClient:
    client = BrokerClient(host, port, timeout=3.0, rng=FixedRows(), client_name="vistalab-check")
    try:
        # the recorded sessions: the right codes after the intro text, wrong ones without it
        client.sign_on(ACCESS, verify, context=CPRS, intro=verify == VERIFY)
    except BaseException:
        client.close()
        raise
    return client


async def async_factory(host: str, port: int) -> AsyncBrokerClient:
    client = AsyncBrokerClient(
        host, port, timeout=3.0, rng=FixedRows(), client_name="vistalab-check"
    )
    await client.sign_on(ACCESS, VERIFY, context=CPRS, intro=True)
    return client


@pytest.fixture
def proxy(broker_server: BrokerServer) -> Iterator[FaultProxy]:
    server = FaultProxy((broker_server.host, broker_server.port))
    yield server
    server.close()


def test_threads_share_at_most_size_connections(broker_server: BrokerServer) -> None:
    before = open_fds()
    results: list[int] = []
    errors: list[BaseException] = []
    with BrokerPool(lambda: sync_factory(broker_server.host, broker_server.port), size=3) as pool:

        def worker() -> None:
            try:
                for _ in range(5):
                    with pool.connection() as client:
                        results.append(len(client.call("ORQQAL LIST", "1").lines))
            except BaseException as exc:  # collected for the assertion below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert errors == [] and results == [9] * 40
        assert pool.stats().created <= 3
    assert wait_for_fds(before) <= before


def test_waiting_for_a_connection_is_bounded(broker_server: BrokerServer) -> None:
    with BrokerPool(lambda: sync_factory(broker_server.host, broker_server.port), size=1) as pool:
        with pool.connection():
            started = time.monotonic()
            with pytest.raises(PoolTimeoutError):
                pool.acquire(timeout=0.2)
            assert time.monotonic() - started < 1.0
        with pool.connection(timeout=0.2) as client:
            client.keep_alive()


def test_idle_connections_are_checked_and_replaced_after_a_drop(proxy: FaultProxy) -> None:
    with BrokerPool(lambda: sync_factory(proxy.host, proxy.port), size=2) as pool:
        with pool.connection() as client:
            client.keep_alive()
        assert pool.check() == 0
        proxy.drop_connections()
        assert pool.check() == 1
        with pool.connection() as fresh:
            assert fresh.call("XWB IM HERE").value == "1"
        assert pool.stats().created == 2


def test_a_call_on_a_dropped_idle_connection_is_retried_on_a_new_one(proxy: FaultProxy) -> None:
    before = open_fds()
    pool = BrokerPool(lambda: sync_factory(proxy.host, proxy.port), size=1, health_interval=3600)
    with pool:
        assert pool.run(lambda c: c.call("XWB IM HERE").value) == "1"
        proxy.drop_connections()
        assert pool.run(lambda c: len(c.call("ORQQAL LIST", "1").lines)) == 9
        assert pool.stats().replaced == 1
    proxy.close()
    assert wait_for_fds(before) <= before


def test_health_check_runs_when_idle_longer_than_the_interval(proxy: FaultProxy) -> None:
    with BrokerPool(
        lambda: sync_factory(proxy.host, proxy.port), size=1, health_interval=0.0
    ) as pool:
        with pool.connection():
            pass
        proxy.drop_connections()
        with pool.connection() as client:  # the IM HERE check fails: a new connection
            assert client.call("XWB IM HERE").value == "1"
        assert pool.stats().replaced == 1


def test_a_failing_factory_frees_its_slot(broker_server: BrokerServer) -> None:
    pool = BrokerPool(
        lambda: sync_factory(broker_server.host, broker_server.port, "WRONG!!"), size=1
    )
    with pytest.raises(SignOnError):
        pool.acquire(timeout=1.0)
    assert pool.stats().open == 0
    pool.close()
    with pytest.raises(PoolError):
        pool.acquire()


def test_asyncio_pool_serves_32_concurrent_tasks(broker_server: BrokerServer) -> None:
    before = open_fds()

    async def main() -> list[int]:
        async with AsyncBrokerPool(
            lambda: async_factory(broker_server.host, broker_server.port), size=4
        ) as pool:

            async def one(_i: int) -> int:
                async with pool.connection() as client:
                    return len((await client.call("ORQQAL LIST", "1")).lines)

            out = await asyncio.gather(*(one(i) for i in range(32)))
            assert pool.stats().created <= 4
            with pytest.raises(PoolTimeoutError):
                held = [await pool.acquire() for _ in range(4)]
                try:
                    await pool.acquire(timeout=0.1)
                finally:
                    for client, _reused in held:
                        await pool.release(client)
            return list(out)

    assert asyncio.run(main()) == [9] * 32
    assert wait_for_fds(before) <= before


def test_signed_on_factory_feeds_a_pool_and_closes_failed_sign_ons(
    broker_server: BrokerServer,
) -> None:
    from rpc.client import signed_on_factory

    before = open_fds()
    common = {"context": CPRS, "rng": FixedRows(), "client_name": "vistalab-check"}
    good = signed_on_factory(
        broker_server.host, broker_server.port, ACCESS, VERIFY, intro=True, **common
    )  # type: ignore[arg-type]
    with BrokerPool(good, size=1) as pool:
        assert pool.run(lambda c: c.call("XWB IM HERE").value) == "1"
    bad = signed_on_factory(broker_server.host, broker_server.port, ACCESS, "WRONG!!", **common)  # type: ignore[arg-type]
    with pytest.raises(SignOnError):
        bad()
    assert wait_for_fds(before) <= before


def test_async_signed_on_factory_feeds_an_async_pool(broker_server: BrokerServer) -> None:
    from rpc.aio import signed_on_factory

    factory = signed_on_factory(
        broker_server.host,
        broker_server.port,
        ACCESS,
        VERIFY,
        context=CPRS,
        intro=True,
        rng=FixedRows(),
        client_name="vistalab-check",
    )

    async def main() -> str:
        async with AsyncBrokerPool(factory, size=2) as pool:
            return await pool.run(lambda c: _im_here(c))

    assert asyncio.run(main()) == "1"


async def _im_here(client: AsyncBrokerClient) -> str:
    return (await client.call("XWB IM HERE")).value
