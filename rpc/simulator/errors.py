"""Errors of the broker simulator itself (not the answers it sends: those are bytes)."""

from __future__ import annotations

from rpc.errors import BrokerError


class SimulatorError(BrokerError):
    """The simulator could not start, or was used wrongly (e.g. asked its port before start)."""
