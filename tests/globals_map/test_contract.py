"""The GlobalStore contract: every backend (memory, GT.M, YottaDB) passes this same suite.

Only the protocol's methods are used, so a backend registered in tests/globals_map/engines.py
runs it unchanged.  GT.M's own extract (../shared/fixtures/engine) is the judge of order.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from globals_map import GlobalStore, InvalidNameError, InvalidSubscriptError, StoreError
from globals_map.store import iter_subscripts
from globals_map.zwr_io import load_zwr
from parsers.zwr import parse_zwr_file
from tests.conftest import shared_path
from tests.parsers.test_collation import reference_key

#: The issue's collation edge cases in GT.M order: canonical numbers first, numerically, then
#: every other string by its bytes (so "1E3", "01", "1.0", "-0" are strings).
LONG = "Z" * 800  # long, yet inside GT.M's 1019-byte key limit
M_ORDER = [
    "-1", "0", ".5", "1", "2", "10", "1000",
    " ", "-0", "01", "1.0", "1E3", "A", "B", LONG, "a", "ab", "é", "日本",
]  # fmt: skip


def children(store: GlobalStore, name: str, parent: tuple[str, ...] = ()) -> list[str]:
    return list(iter_subscripts(store, name, parent))


def query_walk(store: GlobalStore, name: str, limit: int = 1000) -> list[tuple[str, ...]]:
    """Every node with a value below the root, by repeated $QUERY (bounded)."""
    walk: list[tuple[str, ...]] = []
    nxt = store.next_node(name, ())
    while nxt is not None and len(walk) < limit:
        walk.append(nxt)
        nxt = store.next_node(name, nxt)
    return walk


# -- collation ----------------------------------------------------------------------------
def test_subscripts_collate_in_gtm_order(store: GlobalStore) -> None:
    for sub in reversed(M_ORDER):
        store.set("ZZC", (sub,), "v")
    assert children(store, "ZZC") == M_ORDER
    assert list(iter_subscripts(store, "ZZC", (), reverse=True)) == M_ORDER[::-1]


def test_order_matches_the_order_gtm_itself_extracted(store: GlobalStore) -> None:
    path = shared_path("fixtures", "engine", "gtm-mupip-extract.zwr")
    in_file = [(n.subscripts, n.value) for n in parse_zwr_file(path)]
    load_zwr(store, path)
    assert store.read_subtree("ZZT") == in_file
    assert children(store, "ZZT", ("3",)) == [
        "-.5", ".000001", "123456789012345678", "1234567890123456780",
    ]  # fmt: skip


def test_ints_and_decimals_become_their_canonical_strings(store: GlobalStore) -> None:
    store.set("ZZN", (1, Decimal("1.50"), Decimal("-0.25")), "x")
    assert store.next_node("ZZN") == ("1", "1.5", "-.25")
    assert store.get("ZZN", ("1", "1.5", "-.25")) == "x"
    assert store.get("ZZN", (1, Decimal("1.5"), Decimal("-.250"))) == "x"


def test_numeric_and_string_forms_are_distinct_nodes(store: GlobalStore) -> None:
    store.set("ZZN", ("1",), "number")
    store.set("ZZN", ("1.0",), "string")
    store.set("ZZN", ("01",), "other string")
    assert store.get("ZZN", (1,)) == "number"
    assert children(store, "ZZN") == ["1", "01", "1.0"]


# -- root nodes and $DATA ----------------------------------------------------------------
def test_root_node_holds_a_value_beside_its_subtree(store: GlobalStore) -> None:
    store.set("^ZZR", (), "root")
    store.set("ZZR", ("1",), "child")
    assert store.get("ZZR") == "root"
    assert store.get("^ZZR", ()) == "root"
    assert store.data("ZZR") == 11
    assert store.read_subtree("ZZR") == [((), "root"), (("1",), "child")]


def test_data_on_every_shape(store: GlobalStore) -> None:
    store.set("ZZD", ("v",), "value only")
    store.set("ZZD", ("c", "1"), "under c")
    store.set("ZZD", ("b",), "")
    store.set("ZZD", ("b", "1"), "under b")
    assert store.data("ZZD", ("v",)) == 1
    assert store.data("ZZD", ("c",)) == 10
    assert store.data("ZZD", ("b",)) == 11
    assert store.data("ZZD", ("none",)) == 0
    assert store.data("ZZD", ("c", "1", "deeper")) == 0
    assert store.data("ZZD") == 10
    assert store.data("ZZNOSUCH") == 0
    assert store.data("ZZD", ("c", "1")) == 1


def test_empty_value_is_a_value(store: GlobalStore) -> None:
    store.set("ZZE", ("1",), "")
    assert store.get("ZZE", ("1",)) == ""
    assert store.get("ZZE", ("2",)) is None
    assert store.data("ZZE", ("1",)) == 1


def test_prefix_strings_are_not_children(store: GlobalStore) -> None:
    store.set("ZZP", ("AB",), "x")
    assert store.data("ZZP", ("A",)) == 0
    assert store.read_subtree("ZZP", ("A",)) == []


# -- $ORDER and $QUERY -------------------------------------------------------------------
def _tree(store: GlobalStore) -> None:
    store.set("ZZQ", (), "r")
    store.set("ZZQ", ("1",), "a")
    store.set("ZZQ", ("1", "1"), "b")
    store.set("ZZQ", ("1", "2", "x"), "c")
    store.set("ZZQ", ("2", "1"), "d")
    store.set("ZZQ", ("10",), "e")
    store.set("ZZQ", ("A", "B", "C"), "f")


def test_next_and_prev_subscript_walk_one_level(store: GlobalStore) -> None:
    _tree(store)
    assert store.next_subscript("ZZQ", ()) == "1"
    assert store.next_subscript("ZZQ", (), "") == "1"
    assert store.next_subscript("ZZQ", (), "1") == "2"
    assert store.next_subscript("ZZQ", (), "3") == "10"
    assert store.next_subscript("ZZQ", (), "10") == "A"
    assert store.next_subscript("ZZQ", (), "A") is None
    assert store.prev_subscript("ZZQ", ()) == "A"
    assert store.prev_subscript("ZZQ", (), "") == "A"
    assert store.prev_subscript("ZZQ", (), "10") == "2"
    assert store.prev_subscript("ZZQ", (), "1") is None
    assert children(store, "ZZQ", ("1",)) == ["1", "2"]
    assert children(store, "ZZQ", ("1", "1")) == []
    assert children(store, "ZZNOSUCH") == []


def test_next_subscript_after_a_missing_subscript_finds_the_following_one(
    store: GlobalStore,
) -> None:
    for sub in ("1", "3", "B"):
        store.set("ZZO", (sub,), "x")
    assert store.next_subscript("ZZO", (), "2") == "3"
    assert store.next_subscript("ZZO", (), "A") == "B"
    assert store.prev_subscript("ZZO", (), "A") == "3"
    assert store.prev_subscript("ZZO", (), "2") == "1"


def test_next_node_is_query_order_across_levels(store: GlobalStore) -> None:
    _tree(store)
    walk = query_walk(store, "ZZQ", limit=20)
    assert walk == [("1",), ("1", "1"), ("1", "2", "x"), ("2", "1"), ("10",), ("A", "B", "C")]
    assert store.next_node("ZZQ", ("1", "2")) == ("1", "2", "x")
    assert store.next_node("ZZQ", ("1", "5")) == ("2", "1")
    assert store.next_node("ZZNOSUCH") is None


# -- kill --------------------------------------------------------------------------------
def test_kill_removes_node_and_subtree_only(store: GlobalStore) -> None:
    _tree(store)
    store.kill("ZZQ", ("1",))
    assert store.data("ZZQ", ("1",)) == 0
    assert store.get("ZZQ", ("1", "2", "x")) is None
    assert store.get("ZZQ", ("10",)) == "e"
    assert store.get("ZZQ") == "r"
    store.kill("ZZQ", ("nothing", "here"))
    assert store.data("ZZQ") == 11


def test_kill_of_the_root_removes_the_global(store: GlobalStore) -> None:
    _tree(store)
    store.set("ZZQ2", (), "other")
    store.kill("^ZZQ")
    assert store.data("ZZQ") == 0
    assert "ZZQ" not in store.global_names()
    assert store.get("ZZQ2") == "other"


def test_kill_node_keeps_descendants(store: GlobalStore) -> None:
    _tree(store)
    store.kill_node("ZZQ", ("1",))
    assert store.data("ZZQ", ("1",)) == 10
    assert store.get("ZZQ", ("1", "1")) == "b"
    store.kill_node("ZZQ")
    assert store.data("ZZQ") == 10
    store.kill_node("ZZQ", ("missing",))


# -- values and subscripts -------------------------------------------------------------
def test_values_up_to_one_mib_round_trip(store: GlobalStore) -> None:
    big = "".join(chr(32 + i % 95) for i in range(1 << 20))
    store.set("ZZV", ("big",), big)
    assert store.get("ZZV", ("big",)) == big
    wide = "é" * (1 << 19)  # 1 MiB of UTF-8
    store.set("ZZV", ("wide",), wide)
    assert store.get("ZZV", ("wide",)) == wide


def test_value_over_one_mib_is_refused(store: GlobalStore) -> None:
    with pytest.raises(StoreError):
        store.set("ZZV", ("big",), "x" * ((1 << 20) + 1))
    assert store.data("ZZV") == 0


def test_control_characters_and_utf8_round_trip_in_values_and_subscripts(
    store: GlobalStore,
) -> None:
    raw = b"\xff\xfe".decode("utf-8", "surrogateescape")
    nasty = ["a\x00b", "tab\there", "line\nfeed", '"quoted"', "^caret", "é日本", raw, "\x7f"]
    for i, text in enumerate(nasty):
        store.set("ZZU", (text,), text + "|" + str(i))
    for i, text in enumerate(nasty):
        assert store.get("ZZU", (text,)) == text + "|" + str(i)
    assert sorted(children(store, "ZZU"), key=lambda s: s.encode("utf-8", "surrogateescape")) == (
        children(store, "ZZU")
    )


@pytest.mark.parametrize("op", ["set", "get", "data", "kill", "next_subscript"])
def test_empty_string_subscript_is_refused_clearly(store: GlobalStore, op: str) -> None:
    with pytest.raises(InvalidSubscriptError, match="empty-string subscript"):
        if op == "set":
            store.set("ZZS", ("1", ""), "x")
        elif op == "next_subscript":
            store.next_subscript("ZZS", ("",))
        else:
            getattr(store, op)("ZZS", ("",))
    assert store.data("ZZS") == 0


@pytest.mark.parametrize("value", [None, 5, b"bytes", 1.5])
def test_non_string_values_are_refused(store: GlobalStore, value: object) -> None:
    with pytest.raises(StoreError):
        store.set("ZZS", ("1",), value)  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        store.set_many([("ZZS", ("2",), value)])  # type: ignore[list-item]
    assert store.data("ZZS") == 0


@pytest.mark.parametrize("sub", [None, 1.5, b"bytes", True])
def test_non_string_subscripts_are_refused(store: GlobalStore, sub: object) -> None:
    with pytest.raises(InvalidSubscriptError):
        store.set("ZZS", (sub,), "x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name", ["", "^", "1ABC", "A_B", "A B", "A(1)", "^^A", "A" * 32, "%" + "A" * 31, "é", "A\n"]
)
def test_invalid_global_names_are_refused(store: GlobalStore, name: str) -> None:
    with pytest.raises(InvalidNameError):
        store.set(name, ("1",), "x")
    with pytest.raises(InvalidNameError):
        store.get(name)


@pytest.mark.parametrize("name", ["%", "%ZOSF", "%1", "A" * 31, "%" + "A" * 30, "^DPT", "Dpt2"])
def test_valid_global_names_are_accepted(store: GlobalStore, name: str) -> None:
    store.set(name, (), "x")
    assert store.get(name) == "x"
    assert name.lstrip("^") in store.global_names()


def test_global_names_are_listed_in_m_order(store: GlobalStore) -> None:
    for name in ("b", "A", "%Z", "B1", "Ab"):
        store.set(name, ("1",), "x")
    assert store.global_names() == ["%Z", "A", "Ab", "B1", "b"]


def test_set_many_writes_all_and_counts(store: GlobalStore) -> None:
    n = store.set_many([("ZZM", (i, "x"), str(i)) for i in range(500)])
    assert n == 500
    assert store.get("ZZM", (499, "x")) == "499"
    assert children(store, "ZZM")[:3] == ["0", "1", "2"]


# -- bulk read ---------------------------------------------------------------------------
def test_read_subtree_includes_the_node_and_resumes_with_after_and_limit(
    store: GlobalStore,
) -> None:
    _tree(store)
    whole = store.read_subtree("ZZQ", ("1",))
    assert whole == [(("1",), "a"), (("1", "1"), "b"), (("1", "2", "x"), "c")]
    first = store.read_subtree("ZZQ", ("1",), limit=2)
    assert first == whole[:2]
    rest = store.read_subtree("ZZQ", ("1",), after=first[-1][0], limit=10)
    assert rest == whole[2:]
    assert store.read_subtree("ZZQ", ("1",), after=whole[-1][0]) == []
    assert store.read_subtree("ZZQ", ("1",), limit=0) == []
    assert store.read_subtree("ZZQ", ("nothing",)) == []
    assert store.read_subtree("ZZQ", (), after=()) == store.read_subtree("ZZQ")[1:]


def test_read_subtree_pages_through_a_large_subtree(store: GlobalStore) -> None:
    store.set_many([("ZZL", ("E", i, j), f"{i}.{j}") for i in range(1, 101) for j in (0, 1)])
    store.set("ZZL", ("F",), "outside")
    pages: list[tuple[tuple[str, ...], str]] = []
    after: tuple[str, ...] | None = None
    for _ in range(100):
        page = store.read_subtree("ZZL", ("E",), after=after, limit=37)
        pages.extend(page)
        if len(page) < 37:
            break
        after = page[-1][0]
    assert len(pages) == 200
    assert pages[0] == (("E", "1", "0"), "1.0") and pages[-1] == (("E", "100", "1"), "100.1")


# -- transactions ------------------------------------------------------------------------
def test_transaction_commits_when_the_block_ends(store: GlobalStore) -> None:
    with store.transaction():
        store.set("ZZT", ("1",), "in")
        assert store.get("ZZT", ("1",)) == "in"
    assert store.get("ZZT", ("1",)) == "in"


def test_transaction_rolls_back_sets_and_kills_when_it_raises(store: GlobalStore) -> None:
    store.set("ZZT", ("keep",), "old")
    store.set("ZZT", ("gone", "1"), "deep")
    with pytest.raises(RuntimeError), store.transaction():
        store.set("ZZT", ("keep",), "new")
        store.set("ZZT", ("added",), "x")
        store.set("ZZNEW", (), "new global")
        store.kill("ZZT", ("gone",))
        store.kill_node("ZZT", ("keep",))
        raise RuntimeError("boom")
    assert store.read_subtree("ZZT") == [(("gone", "1"), "deep"), (("keep",), "old")]
    assert store.data("ZZNEW") == 0


def test_nested_transaction_rolls_back_only_the_inner_block(store: GlobalStore) -> None:
    with store.transaction():
        store.set("ZZT", ("outer",), "1")
        with pytest.raises(ValueError), store.transaction():
            store.set("ZZT", ("inner",), "2")
            raise ValueError("inner fails")
        store.set("ZZT", ("after",), "3")
    assert children(store, "ZZT") == ["after", "outer"]


def test_outer_rollback_undoes_a_committed_inner_block(store: GlobalStore) -> None:
    with pytest.raises(KeyError), store.transaction():
        with store.transaction():
            store.set("ZZT", ("inner",), "2")
        raise KeyError("outer fails")
    assert store.data("ZZT") == 0


# -- locks -------------------------------------------------------------------------------
def _try_lock_elsewhere(
    store: GlobalStore, name: str, subs: tuple[str, ...], timeout: float
) -> bool:
    got: list[bool] = []

    def worker() -> None:
        try:
            with store.lock(name, subs, timeout=timeout):
                got.append(True)
        except StoreError:
            got.append(False)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout + 5)
    assert not thread.is_alive()
    return got == [True]


def test_lock_excludes_the_node_its_ancestors_and_descendants(store: GlobalStore) -> None:
    with store.lock("ZZK", ("1",)):
        assert not _try_lock_elsewhere(store, "ZZK", ("1",), 0.1)
        assert not _try_lock_elsewhere(store, "ZZK", ("1", "2"), 0.1)
        assert not _try_lock_elsewhere(store, "ZZK", (), 0.1)
        assert _try_lock_elsewhere(store, "ZZK", ("2",), 5.0)
        assert _try_lock_elsewhere(store, "ZZOTHER", ("1",), 5.0)
    assert _try_lock_elsewhere(store, "ZZK", ("1",), 5.0)


def test_lock_is_incremental_for_its_owner(store: GlobalStore) -> None:
    with store.lock("ZZK", ("1",)), store.lock("ZZK", ("1",)):
        pass
    with store.lock("ZZK", ("1",)):
        assert not _try_lock_elsewhere(store, "ZZK", ("1",), 0.05)
    assert _try_lock_elsewhere(store, "ZZK", ("1",), 5.0)


def test_waiting_lock_is_granted_when_released(store: GlobalStore) -> None:
    release = threading.Event()
    held = threading.Event()

    def holder() -> None:
        with store.lock("ZZK", ("1",)):
            held.set()
            release.wait(5)

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(5)
    threading.Timer(0.1, release.set).start()
    started = time.monotonic()
    with store.lock("ZZK", ("1",), timeout=5):
        waited = time.monotonic() - started
    thread.join(5)
    assert 0.05 < waited < 4


def test_lock_with_zero_timeout_fails_at_once_when_held_elsewhere(store: GlobalStore) -> None:
    with store.lock("ZZK", ("1",)):
        started = time.monotonic()
        assert not _try_lock_elsewhere(store, "ZZK", ("1",), 0)
        assert time.monotonic() - started < 3


# -- properties: the store's order is the reference order ----------------------------------
_SUB = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.sampled_from(["-0", "01", "1.0", "1E3", ".5", " ", "A", "a", "é"]),
    st.text(alphabet=st.characters(max_codepoint=0x3FF), min_size=1, max_size=5),
)  # fmt: skip
_PROPERTY = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_PROPERTY
@given(subs=st.lists(_SUB, max_size=25, unique=True))
def test_next_subscript_order_matches_the_reference(store: GlobalStore, subs: list[str]) -> None:
    store.kill("ZZH")
    store.set_many([("ZZH", (s,), s) for s in subs])
    assert children(store, "ZZH") == sorted(subs, key=reference_key)
    assert list(iter_subscripts(store, "ZZH", reverse=True)) == sorted(
        subs, key=reference_key, reverse=True
    )


@_PROPERTY
@given(nodes=st.lists(st.lists(_SUB, min_size=1, max_size=3).map(tuple), max_size=20))
def test_query_order_matches_the_reference(
    store: GlobalStore, nodes: list[tuple[str, ...]]
) -> None:
    store.kill("ZZH")
    store.set_many([("ZZH", n, "|".join(n)) for n in nodes])
    expected = sorted(set(nodes), key=lambda n: [reference_key(s) for s in n])
    assert query_walk(store, "ZZH", limit=len(expected) + 1) == expected
    assert [subs for subs, _value in store.read_subtree("ZZH")] == expected
