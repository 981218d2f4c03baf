"""What the simulator keeps between calls (parsed RPC entries, permission verdicts, allergy
rows, a FileMan decoder) never outlives a write to the store: on one running server and one
connection, each answer changes with the very next call after the store changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.simulator.derived import ANY_GLOBAL, Derived
from globals_map.memory import MemoryStore
from globals_map.store import GlobalStore
from rpc.simulator.reader import Call, RequestReader
from tests.bridge.simulator_lab import check_module, exchange, lab_server, lab_store, signed_on


@pytest.fixture
def store() -> Iterator[GlobalStore]:
    yield lab_store()


def test_allergy_rows_change_after_the_call_that_kept_them(store: GlobalStore) -> None:
    chk = check_module()
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        before = exchange(sock, chk.rpc("ORQQAL LIST", ["1"]))
        assert exchange(sock, chk.rpc("ORQQAL LIST", ["1"])) == before  # kept, same bytes
        zero = store.get("GMR", ("120.8", "1", "0")) or ""
        parts = zero.split("^")
        parts[1] = "KEPT NO LONGER"
        store.set("GMR", ("120.8", "1", "0"), "^".join(parts))
        after = exchange(sock, chk.rpc("ORQQAL LIST", ["1"]))
        assert after != before and b"^KEPT NO LONGER^" in after
        # a sign's name lives in another global (^GMRD(120.83)): followed as well
        store.set("GMR", ("120.8", "1", "10", "1", "0"), "1")
        name = (store.get("GMRD", ("120.83", "1", "0")) or "").split("^")
        name[0] = "RENAMED SIGN"
        store.set("GMRD", ("120.83", "1", "0"), "^".join(name))
        assert b"^RENAMED SIGN" in exchange(sock, chk.rpc("ORQQAL LIST", ["1"]))


def test_fileman_data_read_through_the_kept_decoder_follows_writes(store: GlobalStore) -> None:
    """A pointer's external value (the target's .01, which the decoder caches) follows a
    rename of the target between two calls."""
    chk = check_module()
    req = chk.ddr("DDR GETS ENTRY DATA", FILE="200", IENS="90001,", FIELDS="201", FLAGS="IE")
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        assert b"^201^1^OR CPRS GUI CHART\r\n" in exchange(sock, req)
        zero = (store.get("DIC", ("19", "1", "0")) or "").split("^")
        zero[0] = "OR RENAMED CHART"
        store.set("DIC", ("19", "1", "0"), "^".join(zero))
        assert b"^201^1^OR RENAMED CHART\r\n" in exchange(sock, req)


def test_permission_and_registry_follow_writes_within_one_session(store: GlobalStore) -> None:
    """USER^XQCS reads the user's menus on every call: take the primary menu away and the
    kept verdict goes with it; drop the RPC's "B" entry and RPC^XWBPRS no longer finds it."""
    chk = check_module()
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        assert exchange(sock, chk.rpc("ORQQAL LIST", ["1"])).startswith(b"\x00\x00")
        primary = store.get("VA", ("200", "90001", "201")) or ""
        store.set("VA", ("200", "90001", "201"), "999999")
        refused = exchange(sock, chk.rpc("ORQQAL LIST", ["1"]))
        assert b"does not have access to option OR CPRS GUI CHART" in refused
        store.set("VA", ("200", "90001", "201"), primary)
        assert exchange(sock, chk.rpc("ORQQAL LIST", ["1"])).startswith(b"\x00\x00")
        assert exchange(sock, chk.rpc("XWB IM HERE")) == b"\x00\x001\x04"
        store.kill("XWB", ("8994", "B", "XWB IM HERE"))
        gone = exchange(sock, chk.rpc("XWB IM HERE"))
        assert b"Remote Procedure 'XWB IM HERE' doesn't exist on the server." in gone


class _NoCounters:
    """A store without write counters (as GT.M): nothing may be kept."""

    def __init__(self, inner: MemoryStore) -> None:
        self.inner = inner

    def get(self, name: str, subs: tuple[str, ...] = ()) -> str | None:
        return self.inner.get(name, subs)


def test_derived_values_are_kept_only_while_their_globals_are_unwritten() -> None:
    store = MemoryStore()
    derived = Derived(store)
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        return store.get("A", ("1",)) or ""

    store.set("A", ("1",), "one")
    assert derived.get("k", ("A",), compute) == "one"
    assert derived.get("k", ("A",), compute) == "one" and len(calls) == 1
    store.set("B", ("1",), "elsewhere")  # another global: still kept
    assert derived.get("k", ("A",), compute) == "one" and len(calls) == 1
    assert derived.get("any", ANY_GLOBAL, compute) == "one" and len(calls) == 2
    store.set("A", ("1",), "two")
    assert derived.get("k", ("A",), compute) == "two" and len(calls) == 3
    owner = object()
    assert derived.get("k", ("A",), compute, owner) == "two" and len(calls) == 4  # new owner
    plain = Derived(_NoCounters(store))  # type: ignore[arg-type]
    assert not plain.enabled
    plain.get("k", ("A",), compute)
    plain.get("k", ("A",), compute)
    assert len(calls) == 6


def test_a_repeated_request_parses_to_the_same_call_and_a_different_one_does_not() -> None:
    chk = check_module()
    reader = RequestReader()
    reader.feed(chk.TCPCONNECT)
    assert reader.next_event() is not None
    first, again, other = (
        chk.rpc("ORQQAL LIST", ["1"]),
        chk.rpc("ORQQAL LIST", ["1"]),
        chk.rpc("ORQQAL LIST", ["2"]),
    )
    reader.feed(first + again + other)
    events = [reader.next_event() for _ in range(3)]
    assert reader.next_event() is None
    assert all(isinstance(e, Call) for e in events)
    calls = [e for e in events if isinstance(e, Call)]
    assert calls[0] is calls[1]  # the second came from the kept parse
    assert calls[2].params != calls[0].params
    # the same bytes split across two feeds still parse (and are answered) the same way
    reader.feed(first[:7])
    assert reader.next_event() is None
    reader.feed(first[7:])
    assert reader.next_event() == calls[0]
    # an EOT inside a literal: the kept request must not match a prefix of it
    tricky = chk.rpc("ORQQAL LIST", ["1\x04"])
    reader.feed(tricky)
    event = reader.next_event()
    assert isinstance(event, Call) and event.params != calls[0].params
