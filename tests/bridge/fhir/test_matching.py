"""String search semantics of the matcher: prefix and :contains fold case and spaces,
:exact is whole and case-sensitive, OR-ed values match when any does."""

from __future__ import annotations

from bridge.fhir import matching as m
from bridge.fhir.params import Criterion

PATIENT = {"name": [{"family": "ZZDEMO", "given": ["MARY  ANN"], "text": "MARY ANN ZZDEMO"}]}


def hit(modifier: str, *values: str) -> bool:
    return m.matches(PATIENT, Criterion("name", modifier, values), "string", m.human_names)


def test_prefix_folds_case_and_runs_of_spaces() -> None:
    assert hit("", "zzde") and hit("", "mary ann") and hit("", "ZZDEMO,MARY")
    assert not hit("", "ann") and not hit("", "zzdemox")


def test_contains_finds_a_folded_part_anywhere() -> None:
    assert hit("contains", "ANN Z") and hit("contains", "demo")
    assert not hit("contains", "annz")


def test_exact_is_whole_and_case_sensitive() -> None:
    assert hit("exact", "ZZDEMO") and hit("exact", "MARY  ANN")
    assert not hit("exact", "zzdemo") and not hit("exact", "ZZDEM") and not hit("exact", "MARY ANN")


def test_or_values_match_when_any_does() -> None:
    assert hit("", "nobody", "mary") and hit("exact", "X", "ZZDEMO")
    assert not hit("contains", "nobody", "else")
