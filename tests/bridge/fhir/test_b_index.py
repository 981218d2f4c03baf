"""The lazy "B" index walk behind FHIR name searches: order, prefixes, chunk boundaries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.facade import Bridge
from bridge.fhir.resources import walk_b_index


@pytest.fixture(scope="module")
def bridge() -> Iterator[Bridge]:
    b = Bridge.demo(patients=30)
    yield b
    b.close()


def names(bridge: Bridge, iens: list[str]) -> list[str]:
    return [bridge.clinical.get_patient(i).name for i in iens]


@pytest.mark.parametrize("chunk", [1, 2, 7, 64])
def test_walk_is_in_name_order_and_complete_whatever_the_chunk(bridge: Bridge, chunk: int) -> None:
    iens = list(walk_b_index(bridge.clinical, "2", "ZZDEMO", chunk=chunk))
    assert sorted(iens, key=int) == [str(i) for i in range(1, 31)]
    got = names(bridge, iens)
    assert got == sorted(got)


def test_walk_stops_at_the_end_of_the_prefix(bridge: Bridge) -> None:
    name = bridge.clinical.get_patient("3").name
    iens = list(walk_b_index(bridge.clinical, "2", name, chunk=2))
    assert "3" in iens and all(n.startswith(name) for n in names(bridge, iens))
    assert list(walk_b_index(bridge.clinical, "2", "ZZZZ")) == []
    assert list(walk_b_index(bridge.clinical, "2", "A")) == []


def test_walk_is_lazy(bridge: Bridge) -> None:
    walk = walk_b_index(bridge.clinical, "2", "ZZDEMO", chunk=4)
    assert next(walk) and next(walk)  # two IENs without reading the whole index
