"""The brokers the client suite runs against ("one suite, two servers", issue 11 item 4).

Each entry of :data:`SERVERS` is a context manager factory yielding a :class:`BrokerServer`:
where it listens and how to put its sign-on state back (``reset``, called before each test, as
check.py calls its reset before each session).  The ``broker_server`` fixture in conftest.py is
parametrized over the names in :data:`SERVERS`, so every client test runs against each.

To add the simulator, append to this module (nothing else changes)::

    @contextmanager
    def _simulator() -> Iterator[BrokerServer]:
        sim = ...start the simulator over ../shared/vista-lab/globals on 127.0.0.1:0...
        try:
            yield BrokerServer("simulator", "127.0.0.1", sim.port, sim.reset)
        finally:
            sim.close()

    SERVERS["simulator"] = _simulator

A server also says whether it is the replay of VistA's own bytes (``replay``): a few tests read
what the replay saw (flow names) and skip that check elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

from tests.rpc.replay import ReplayServer, replay_server


@dataclass
class BrokerServer:
    name: str
    host: str
    port: int
    reset: Callable[[], None]
    replay: ReplayServer | None = field(default=None, repr=False)


@contextmanager
def _replay() -> Iterator[BrokerServer]:
    with replay_server() as server:
        yield BrokerServer("replay", server.host, server.port, server.reset, server)


SERVERS: dict[str, Callable[[], AbstractContextManager[BrokerServer]]] = {"replay": _replay}


@contextmanager
def _simulator() -> Iterator[BrokerServer]:
    """The broker simulator (rpc.simulator + bridge.simulator) over the lab's globals."""
    from tests.bridge.simulator_lab import lab_server

    with lab_server() as (server, handler):
        yield BrokerServer("simulator", "127.0.0.1", server.port, handler.reset)


SERVERS["simulator"] = _simulator
