"""Engine-thread jobs closed over their arguments (a lambda in a loop would share them)."""

from __future__ import annotations

from collections.abc import Callable

from globals_map.gtm.calls import EngineCalls


def set_job(g: bytes, pk: bytes, value: bytes) -> Callable[[EngineCalls], None]:
    return lambda ci: ci.set(g, pk, value)


def kill_job(g: bytes, pk: bytes, node_only: bool) -> Callable[[EngineCalls], None]:
    return lambda ci: ci.kill(g, pk, node_only)


def set_many_job(packet: bytes) -> Callable[[EngineCalls], int]:
    return lambda ci: ci.set_many(packet)


def names_job(after: bytes) -> Callable[[EngineCalls], list[bytes]]:
    return lambda ci: ci.names(after)
