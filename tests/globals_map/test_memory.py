"""What the memory backend adds to the contract: its bulk set_many path keeps set()'s
semantics exactly, and its helpers (node_count, iter_global) tell the truth."""

from __future__ import annotations

import random
import threading
from decimal import Decimal

import pytest

from globals_map import InvalidNameError, InvalidSubscriptError, MemoryStore, StoreError


def _dump(store: MemoryStore) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    return {name: store.read_subtree(name) for name in store.global_names()}


def test_set_many_equals_one_set_per_item_in_any_order() -> None:
    rng = random.Random(7)
    items = [
        (rng.choice(["A", "^A", "B"]), tuple(rng.choice(["1", "2", "x", "10"]) for _ in range(
            rng.randint(0, 3))), str(i))
        for i in range(400)
    ]  # fmt: skip
    bulk, single = MemoryStore(), MemoryStore()
    bulk.set("A", ("2",), "existing")
    single.set("A", ("2",), "existing")
    assert bulk.set_many(items) == len(items)
    for name, subs, value in items:
        single.set(name, subs, value)
    assert _dump(bulk) == _dump(single)


def test_set_many_later_item_for_the_same_node_wins() -> None:
    store = MemoryStore()
    store.set_many([("A", ("1",), "first"), ("A", (1,), "second"), ("A", ["1"], "third")])
    assert store.read_subtree("A") == [(("1",), "third")]


def test_set_many_normalizes_ints_decimals_and_lists() -> None:
    store = MemoryStore()
    store.set_many([("A", [1, Decimal("2.50")], "x"), ("A", (Decimal("-0.5"),), "y")])
    assert store.read_subtree("A") == [(("-.5",), "y"), (("1", "2.5"), "x")]


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (("A", ("1", ""), "v"), InvalidSubscriptError),
        (("A", "1", "v"), InvalidSubscriptError),
        (("A", (None,), "v"), InvalidSubscriptError),
        (("1A", ("1",), "v"), InvalidNameError),
        ((None, ("1",), "v"), InvalidNameError),
        (("A", ("1",), 5), InvalidSubscriptError),
        (("A", ("1",), "x" * ((1 << 20) + 1)), StoreError),
    ],
)
def test_set_many_writes_nothing_when_an_item_is_invalid(
    bad: tuple[object, object, object], error: type[Exception]
) -> None:
    store = MemoryStore()
    store.set("A", ("0",), "kept")
    good = [("A", (str(i),), "v") for i in range(1, 50)]
    with pytest.raises(error):
        store.set_many([*good, bad, ("B", ("1",), "after")])  # type: ignore[list-item]
    assert _dump(store) == {"A": [(("0",), "kept")]}


def test_set_many_inside_a_rolled_back_transaction_leaves_the_old_values() -> None:
    store = MemoryStore()
    store.set_many([("A", (str(i),), "old") for i in range(10)])
    before = _dump(store)
    with pytest.raises(RuntimeError), store.transaction():
        store.set_many([("A", (str(i),), "new") for i in range(5, 20)])
        store.set_many([("B", ("1",), "new global")])
        raise RuntimeError("undo")
    assert _dump(store) == before


def test_set_many_into_a_large_tree_merges_in_order() -> None:
    store = MemoryStore()
    store.set_many([("A", (i,), "even") for i in range(0, 2000, 2)])
    store.set_many([("A", (i,), "odd") for i in range(1, 2000, 2)])
    store.set_many([("A", (i,), "small") for i in (5, 7)])
    subs = [int(s[0]) for s, _v in store.read_subtree("A")]
    assert subs == list(range(2000))
    assert store.get("A", (7,)) == "small"


def test_node_count_and_iter_global() -> None:
    store = MemoryStore()
    store.set_many([("A", (i,), "v") for i in range(5)] + [("B", (), "root")])
    assert store.node_count() == 6
    snapshot = store.iter_global("A")
    store.kill("A", (0,))
    assert len(list(snapshot)) == 4  # generator started after the kill: reads current state
    store.close()
    assert store.node_count() == 0


def test_concurrent_writers_and_readers_stay_consistent() -> None:
    store = MemoryStore()
    errors: list[BaseException] = []

    def writer(base: int) -> None:
        try:
            for chunk in range(10):
                store.set_many([("A", (base, chunk, j), "v") for j in range(50)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            for _ in range(50):
                nodes = store.read_subtree("A")
                assert nodes == sorted(nodes, key=lambda n: [int(s) for s in n[0]])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(b,)) for b in range(3)]
    threads.append(threading.Thread(target=reader))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert store.node_count() == 3 * 10 * 50
