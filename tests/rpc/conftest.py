"""Fixtures for the broker tests: the server under test and the two client faces.

``broker_server`` is parametrized over tests/rpc/servers.py's SERVERS (the replay of VistA's
recorded answers; the simulator adds itself there), started once per module and reset before
each test.  ``face`` runs the same test through the blocking client and the asyncio client.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from rpc.aio import AsyncBrokerClient
from rpc.client import BrokerClient
from tests.rpc.replay import FixedRows
from tests.rpc.servers import SERVERS, BrokerServer

T = TypeVar("T")


@pytest.fixture(scope="module", params=sorted(SERVERS))
def _started_server(request: pytest.FixtureRequest) -> Iterator[BrokerServer]:
    with SERVERS[request.param]() as server:
        yield server


@pytest.fixture
def broker_server(_started_server: BrokerServer) -> Iterator[BrokerServer]:
    _started_server.reset()
    if _started_server.replay is not None:
        _started_server.replay.served.clear()
        _started_server.replay.mismatches.clear()
    yield _started_server
    if _started_server.replay is not None:
        assert _started_server.replay.mismatches == [], "the client sent bytes VistA did not get"


def _defaults(options: dict[str, Any]) -> dict[str, Any]:
    options.setdefault("rng", FixedRows())
    options.setdefault("timeout", 5.0)
    options.setdefault("client_name", "vistalab-check")
    return options


class SyncFace:
    """The blocking client, called directly."""

    name = "sync"

    def __init__(self, host: str, port: int, **options: Any) -> None:
        self.client = BrokerClient(host, port, **_defaults(options))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


class AsyncFace:
    """The asyncio client, each coroutine run to completion on the face's own loop."""

    name = "async"

    def __init__(self, host: str, port: int, **options: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.client = AsyncBrokerClient(host, port, **_defaults(options))

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if not callable(attr):
            return attr

        def run(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if isinstance(result, Awaitable):
                return self.loop.run_until_complete(_wrap(result))
            return result

        return run

    def shutdown(self) -> None:
        self.loop.run_until_complete(self.client.close())
        self.loop.close()


async def _wrap(awaitable: Awaitable[T]) -> T:
    return await awaitable


FaceFactory = Callable[..., Any]


@pytest.fixture(params=["sync", "async"])
def any_face(request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """A factory ``make(host, port, **options)`` of clients of one kind, closed afterwards."""
    made: list[Any] = []

    def make(host: str, port: int, **options: Any) -> Any:
        client = (SyncFace if request.param == "sync" else AsyncFace)(host, port, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        if isinstance(client, AsyncFace):
            client.shutdown()
        else:
            client.close()


@pytest.fixture(params=["sync", "async"])
def face(request: pytest.FixtureRequest, broker_server: BrokerServer) -> Iterator[FaceFactory]:
    """A factory of clients of one kind on the broker under test, closed after the test."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        kind = SyncFace if request.param == "sync" else AsyncFace
        client = kind(broker_server.host, broker_server.port, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        if isinstance(client, AsyncFace):
            client.shutdown()
        else:
            client.close()


def open_fds() -> int:
    """Open file descriptors of this process (Linux)."""
    return len(os.listdir("/proc/self/fd"))
