"""The broker simulator's protocol core: VistA's RPC Broker, server side, over any handler.

:class:`BrokerServer` speaks XWB as MAIN^XWBTCPM, XWBPRS and XWBRW do; what VistA decides
from its database is behind :class:`BrokerHandler` (``bridge.simulator`` implements it over a
GlobalStore).  This package never imports ``globals_map``.
"""

from rpc.simulator.errors import SimulatorError
from rpc.simulator.handler import (
    BrokerHandler,
    CallResult,
    ListParam,
    Literal,
    MError,
    Param,
    ReturnType,
    RpcEntry,
    Session,
)
from rpc.simulator.server import BrokerServer, Limits, ServerConfig, Timings, running_in_thread

__all__ = [
    "BrokerHandler",
    "BrokerServer",
    "CallResult",
    "Limits",
    "ListParam",
    "Literal",
    "MError",
    "Param",
    "ReturnType",
    "RpcEntry",
    "ServerConfig",
    "Session",
    "SimulatorError",
    "Timings",
    "running_in_thread",
]
