"""Injection battery: caller data stays data on GT.M (issue 3, item 6).

Subscripts and values made of M syntax (quotes, parentheses, commas, concatenation with $C,
indirection, extrinsic calls, newlines, NULs) are stored and read back byte for byte through
every path (get, $DATA, $ORDER both ways, $QUERY, bulk read), and nothing else appears in the
database.  Names are validated before they reach M.
"""

# ruff: noqa: F811  (pytest fixtures imported from tests/globals_map/engines.py)
from __future__ import annotations

from typing import Any

import pytest

from globals_map.errors import InvalidNameError
from globals_map.gtm import GtmStore
from tests.globals_map.engines import gtm_store  # noqa: F401

HOSTILE = [
    '"',
    ")",
    ",",
    "_$C(65)",
    "@",
    '" X "',
    "$$",
    "a\nb",
    "\x00",
    "nul\x00inside",
    '")) K ^ZZI S x=("',
    '"_$C(10)_"',
    "@^ZZI",
    "@x@(1)",
    "$$EN^XUS()",
    "\x01\x02",
    "\x020",
    "\r\n",
    "\xff\xfe",
    "é\x00日本",
]


@pytest.mark.parametrize("sub", HOSTILE, ids=[repr(s) for s in HOSTILE])
def test_hostile_subscript_and_value_read_back_byte_equal(gtm_store: GtmStore, sub: str) -> None:
    store = gtm_store
    store.set("ZZI", (sub,), sub)
    store.set("ZZI", (sub, sub), "v" + sub)
    store.set("ZZI", ("1", sub, "2"), sub + sub)
    assert store.get("ZZI", (sub,)) == sub
    assert store.get("ZZI", (sub, sub)) == "v" + sub
    assert store.data("ZZI", (sub,)) == 11
    assert store.next_subscript("ZZI", ()) == "1"
    assert store.next_subscript("ZZI", (), "1") == sub
    assert store.prev_subscript("ZZI", ()) == sub
    assert store.next_subscript("ZZI", ("1",)) == sub
    assert store.next_node("ZZI", ("1", sub, "2")) == (sub,)
    assert store.next_node("ZZI", (sub,)) == (sub, sub)
    assert store.read_subtree("ZZI") == [
        (("1", sub, "2"), sub + sub),
        ((sub,), sub),
        ((sub, sub), "v" + sub),
    ]
    assert store.global_names() == ["ZZI"]
    store.kill("ZZI", (sub,))
    assert store.read_subtree("ZZI") == [(("1", sub, "2"), sub + sub)]


def test_every_hostile_string_at_once_in_one_bulk_read_and_set_many(gtm_store: GtmStore) -> None:
    items = [("ZZI", (s, str(i)), s * 3) for i, s in enumerate(HOSTILE)]
    assert gtm_store.set_many(items) == len(HOSTILE)
    got = gtm_store.read_subtree("ZZI")
    assert sorted(got) == sorted((subs, value) for _n, subs, value in items)
    assert gtm_store.global_names() == ["ZZI"]


def test_hostile_lock_names_stay_data(gtm_store: GtmStore) -> None:
    for sub in HOSTILE:
        with gtm_store.lock("ZZI", (sub, "x"), timeout=1):
            gtm_store.set("ZZI", (sub,), "locked")
    assert len(gtm_store.read_subtree("ZZI")) == len(HOSTILE)


@pytest.mark.parametrize(
    "name",
    ['^ZZI"', "^ZZI(1)", "^ZZI,^X", "^@X", "^ZZI_$C(65)", "^$$X", "^ZZ\nI", "^ZZ\x00I", '" X "'],
)
def test_hostile_global_names_are_refused_before_m(gtm_store: GtmStore, name: str) -> None:
    calls: list[str] = []
    original = gtm_store.runtime.call

    def spy(fn: Any) -> Any:
        calls.append("call")
        return original(fn)

    gtm_store.runtime.call = spy  # type: ignore[method-assign]
    try:
        for op in (
            lambda: gtm_store.get(name, ("1",)),
            lambda: gtm_store.set(name, ("1",), "x"),
            lambda: gtm_store.kill(name),
            lambda: gtm_store.read_subtree(name),
            lambda: gtm_store.next_subscript(name, ()),
        ):
            with pytest.raises(InvalidNameError):
                op()
    finally:
        del gtm_store.runtime.call
    assert calls == []
    assert gtm_store.global_names() == []
