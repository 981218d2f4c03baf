"""The RPC Broker (XWB): sans-IO protocol core, clients, sign-on, pool and simulator.

The public API, in short (see README "The RPC Broker client")::

    from rpc import BrokerClient, AsyncBrokerClient, BrokerPool, AsyncBrokerPool
"""

from rpc.aio import AsyncBrokerClient
from rpc.client import BrokerClient
from rpc.errors import BrokerError
from rpc.pool import AsyncBrokerPool, BrokerPool
from rpc.protocol import Empty, ListParam, Literal, Reference, RPCResult
from rpc.wire import ReturnType

__all__ = [
    "AsyncBrokerClient",
    "AsyncBrokerPool",
    "BrokerClient",
    "BrokerError",
    "BrokerPool",
    "Empty",
    "ListParam",
    "Literal",
    "RPCResult",
    "Reference",
    "ReturnType",
]
