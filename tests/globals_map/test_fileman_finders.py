"""Finders over a small file of our own: LIST^DIC walks (index and IEN order, FROM, PART,
MAX, more marker, resuming inside duplicate values), FIND/FIND1 matching rules, subfiles."""

from __future__ import annotations

import pytest

from globals_map import GlobalStore
from globals_map.fileman import (
    AmbiguousMatchError,
    FileManError,
    Finder,
    LookupValueError,
    Schema,
)

NAMES = {
    "1": "APPLE",
    "2": "APRICOT",
    "3": "BANANA",
    "4": "BANANA",
    "5": "BANANA SPLIT",
    "6": "CHERRY",
    "7": "APPLE PIE",
    "8": "100",
    "9": "25",
}


@pytest.fixture
def finder(store: GlobalStore) -> Finder:
    store.set("DIC", ("9980", "0"), "ZZ FRUIT^9980")
    store.set("DIC", ("9980", "0", "GL"), "^ZZF(")
    store.set("DD", ("9980", ".01", "0"), "NAME^RF^^0;1^Q")
    store.set("DD", ("9980", "1", "0"), "SEEDS^9980.01^^1;0")
    store.set("DD", ("9980.01", "0", "UP"), "9980")
    store.set("DD", ("9980.01", ".01", "0"), "SEED^MF^^0;1^Q")
    store.set("ZZF", ("0",), "ZZ FRUIT^9980^9^9")
    for ien, name in NAMES.items():
        store.set("ZZF", (ien, "0"), name)
        store.set("ZZF", ("B", name, ien), "")
    for sub, seed in (("1", "PIP"), ("2", "PIT"), ("3", "STONE")):
        store.set("ZZF", ("1", "1", sub, "0"), seed)
        store.set("ZZF", ("1", "1", "B", seed, sub), "")
    return Finder(Schema(store))


def test_b_order_is_m_collation_numbers_first(finder: Finder) -> None:
    page = finder.list_entries(9980)
    assert [e.value for e in page.entries][:2] == ["25", "100"]
    assert page.iens == ["9", "8", "1", "7", "2", "3", "4", "5", "6"]
    assert not page.more and page.next_from is None


def test_limit_sets_more_and_a_cursor_that_resumes_exactly(finder: Finder) -> None:
    seen: list[str] = []
    start: str | None = None
    start_ien: str | None = None
    for _ in range(10):
        page = finder.list_entries(9980, start=start, start_ien=start_ien, limit=2)
        seen += page.iens
        if not page.more:
            break
        start, start_ien = page.next_from, page.next_from_ien
    assert seen == finder.list_entries(9980).iens


def test_cursor_inside_duplicate_values_carries_the_ien(finder: Finder) -> None:
    page = finder.list_entries(9980, start="APRICOT", limit=1)
    assert page.iens == ["3"] and page.more
    assert (page.next_from, page.next_from_ien) == ("BANANA", "3")
    nxt = finder.list_entries(9980, start="BANANA", start_ien="3", limit=1)
    assert nxt.iens == ["4"]
    page = finder.list_entries(9980, limit=1)
    assert page.next_from_ien is None  # the next value differs: FROM alone resumes


def test_from_is_exclusive_and_part_filters_prefixes(finder: Finder) -> None:
    assert finder.list_entries(9980, start="BANANA").iens == ["5", "6"]
    assert finder.list_entries(9980, part="AP").iens == ["1", "7", "2"]
    assert finder.list_entries(9980, part="APP", limit=1).more
    assert finder.list_entries(9980, part="Z").iens == []
    assert finder.list_entries(9980, start="APPLE", part="AP").iens == ["7", "2"]


def test_reverse_and_ien_order(finder: Finder) -> None:
    assert finder.list_entries(9980, reverse=True).iens[:3] == ["6", "5", "4"]
    assert finder.list_entries(9980, index="#").iens == [str(i) for i in range(1, 10)]
    assert finder.list_entries(9980, index="#", start="7").iens == ["8", "9"]
    assert finder.list_entries(9980, index="#", reverse=True, limit=2).iens == ["9", "8"]
    assert finder.list_entries(9980, limit=0).more


def test_screen_is_a_python_callable(finder: Finder) -> None:
    page = finder.list_entries(9980, screen=lambda ien: int(ien) % 2 == 0, limit=2)
    assert page.iens == ["8", "2"] and page.more


def test_find_partial_exact_and_uppercase_retry(finder: Finder) -> None:
    assert finder.find(9980, "BANANA").iens == ["3", "4", "5"]
    assert finder.find(9980, "BANANA", exact=True).iens == ["3", "4"]
    assert finder.find(9980, "banana sp").iens == ["5"]
    assert finder.find(9980, "CH", limit=5).iens == ["6"]
    assert finder.find(9980, "").iens == [] and finder.find(9980, "^").iens == []


def test_find1_none_one_or_ambiguous(finder: Finder) -> None:
    assert finder.find1(9980, "CHERRY") == "6"
    assert finder.find1(9980, "KIWI") is None
    assert finder.find1(9980, "APPLE", exact=True) == "1"
    with pytest.raises(AmbiguousMatchError) as info:
        finder.find1(9980, "APPLE")  # APPLE and APPLE PIE
    assert info.value.code == 299 and info.value.iens == ["1", "7"]
    assert info.value.params == {"1": "APPLE", "FILE": "9980"}


def test_control_characters_in_a_lookup_value_are_refused(finder: Finder) -> None:
    with pytest.raises(LookupValueError) as info:
        finder.find(9980, "APP\x07")
    assert info.value.code == 204


def test_subfile_listing_and_lookup_need_the_parent(finder: Finder) -> None:
    assert finder.list_entries("9980.01", parent_iens="1,").iens == ["1", "2", "3"]
    assert finder.find1("9980.01", "ST", parent_iens="1,") == "3"
    with pytest.raises(FileManError):
        finder.list_entries("9980.01")
    rec = finder.get("9980.01", "2,1,")
    assert rec[".01"].external == "PIT"


def test_unknown_index_is_an_error_not_an_empty_list(finder: Finder) -> None:
    with pytest.raises(FileManError):
        finder.list_entries(9980, index="NOPE")
    with pytest.raises(FileManError):
        finder.find(9980, "APPLE", index="NOPE")
    with pytest.raises(FileManError):
        finder.list_entries(9980, index="1")  # an entry, not an index
