"""MemoryStore.generation: the per-global write counter that lets readers keep derived data."""

from __future__ import annotations

import pytest

from globals_map.memory import MemoryStore


def test_every_kind_of_write_moves_the_global_and_total_counters() -> None:
    store = MemoryStore()
    assert store.generation("A") == 0 and store.generation() == 0
    seen = [store.generation("A")]
    store.set("A", ("1",), "x")
    seen.append(store.generation("A"))
    store.set_many([("A", ("2",), "y")])
    seen.append(store.generation("A"))
    store.kill_node("A", ("2",))
    seen.append(store.generation("A"))
    store.kill("A", ("1",))
    seen.append(store.generation("A"))
    assert seen == sorted(set(seen)), "each write must raise the counter"
    assert store.generation() >= seen[-1]


def test_reads_and_writes_elsewhere_leave_a_global_counter_alone() -> None:
    store = MemoryStore()
    store.set("A", ("1",), "x")
    before = store.generation("A")
    store.get("A", ("1",))
    store.read_subtree("A")
    store.set("B", ("1",), "y")
    store.kill("A", ("nothing",))  # kills nothing: no change
    assert store.generation("A") == before
    assert store.generation("^A") == before
    assert store.generation() > before


def test_a_rolled_back_transaction_still_moves_the_counter() -> None:
    """A cache stamped inside the transaction must not survive its rollback."""
    store = MemoryStore()
    store.set("A", ("1",), "x")
    with pytest.raises(RuntimeError), store.transaction():
        store.set("A", ("1",), "changed")
        inside = store.generation("A")
        raise RuntimeError("roll back")
    assert store.get("A", ("1",)) == "x"
    assert store.generation("A") > inside
