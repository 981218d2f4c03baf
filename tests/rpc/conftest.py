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


class SyncFace:
    """The blocking client, called directly."""

    name = "sync"

    def __init__(self, server: BrokerServer, **options: Any) -> None:
        options.setdefault("rng", FixedRows())
        options.setdefault("timeout", 5.0)
        options.setdefault("client_name", "vistalab-check")
        self.client = BrokerClient(server.host, server.port, **options)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


class AsyncFace:
    """The asyncio client, each coroutine run to completion on the face's own loop."""

    name = "async"

    def __init__(self, server: BrokerServer, **options: Any) -> None:
        options.setdefault("rng", FixedRows())
        options.setdefault("timeout", 5.0)
        options.setdefault("client_name", "vistalab-check")
        self.loop = asyncio.new_event_loop()
        self.client = AsyncBrokerClient(server.host, server.port, **options)

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
def face(request: pytest.FixtureRequest, broker_server: BrokerServer) -> Iterator[FaceFactory]:
    """A factory of clients of one kind; every client made is closed after the test."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        client = (SyncFace if request.param == "sync" else AsyncFace)(broker_server, **options)
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
