"""The broker's error tree.  Messages never carry access/verify codes, passwords or PHI."""

from __future__ import annotations

from parsers.errors import BridgeError


class BrokerError(BridgeError):
    """Root of every RPC Broker error."""
