"""The patient decode fast path (decode plan + trusted construction) gives exactly what the
field-by-field, validated construction gives, for every demo patient and for odd entries."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.clinical import Clinical
from bridge.clinical.entries import DecodePlan, Entry, fm_date
from bridge.clinical.models import Address, Coded, Patient, Ref
from bridge.facade import Bridge
from globals_map.fileman.filer_rules import FieldRule, FileRules


@pytest.fixture(scope="module")
def clinical() -> Clinical:
    return Bridge.demo(patients=40, seed=11).clinical


def _slow_patient(c: Clinical, e: Entry) -> Patient:
    """The reference: Entry.opt per field and validating constructors (the former code)."""
    r = c.reader
    name = e.get(".01")
    family, _, given = name.partition(",")
    address = Address(
        line1=e.opt(".111"),
        line2=e.opt(".112"),
        city=e.opt(".114"),
        state=r.field_of("5", e.opt(".115"), "0", 1),
        state_abbreviation=r.field_of("5", e.opt(".115"), "0", 2),
        zip=e.opt(".116"),
    )

    def ref(file: str, ien: str | None) -> Ref | None:
        return Ref(file=file, ien=ien, name=r.field_of(file, ien, "0", 1)) if ien else None

    sex = e.opt(".02")
    icn, check = e.opt("991.01"), e.opt("991.02")
    return Patient(
        ien=e.ien,
        name=name,
        family_name=family,
        given_names=given,
        sex=Coded(code=sex, label=r.dd.rules("2").fields[".02"].codes.get(sex, sex))
        if sex
        else None,
        birth_date=fm_date(e.opt(".03")),
        ssn=e.opt(".09"),
        marital_status=ref("11", e.opt(".05")),
        race=ref("10", e.opt(".06")),
        religion=ref("13", e.opt(".08")),
        address=address if any(address.model_dump().values()) else None,
        phone_home=e.opt(".131"),
        phone_cell=e.opt(".134"),
        email=e.opt(".133"),
        date_of_death=fm_date(e.opt(".351")),
        icn=(f"{icn}V{check}" if check else icn) if icn else None,
        primary_provider=ref("200", e.opt(".104")),
    )


def _same(fast: Any, slow: Any) -> None:
    assert fast == slow
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_dump_json() == slow.model_dump_json()
    assert type(fast).model_validate(fast.model_dump()) == fast  # values of declared types


def test_every_demo_patient_decodes_as_the_validated_construction(clinical: Clinical) -> None:
    for ien in clinical.reader.iens("2"):
        entry = clinical.reader.entry("2", ien)
        _same(clinical.get_patient(ien), _slow_patient(clinical, entry))


def test_sparse_and_short_nodes_decode_like_entry_opt(clinical: Clinical) -> None:
    base = clinical.reader.entry("2", "3")
    variants = [
        {"0": "DOE,JANE"},  # only the name: no address, no codes, no pointers
        {"0": "DOE,JOHN^M", ".11": "^^^^12345"},  # short zero node; zip alone makes an address
        {**base.nodes, ".11": "", ".13": "^^^"},  # empty nodes and empty pieces
        {**base.nodes, "991": "123"},  # ICN without checksum
    ]
    for nodes in variants:
        entry = Entry(base.rules, "3", nodes)
        _same(clinical._patient(entry), _slow_patient(clinical, entry))


def test_trusted_with_missing_fields_is_model_construct() -> None:
    partial = Ref.trusted(file="5", ien="1")
    assert partial == Ref(file="5", ien="1") and partial.name is None
    with pytest.raises(Exception, match="frozen"):
        partial.name = "X"  # type: ignore[misc]


def test_plan_matches_opt_for_piece_extract_and_whole_node_fields() -> None:
    def rule(number: str, node: str, piece: int | None, extract: tuple[int, int] | None) -> Any:
        return FieldRule(
            file="9",
            number=number,
            label=number,
            kind="F",
            required=False,
            node=node,
            piece=piece,
            extract=extract,
        )

    fields = {
        ".01": rule(".01", "0", 1, None),
        "2": rule("2", "0", 3, None),
        "3": rule("3", "1", None, (2, 5)),
        "4": rule("4", "WP", None, None),
        "5": rule("5", "0", 9, None),
    }
    rules = FileRules("9", "TEST", "^TEST(", "9", fields)
    plan = DecodePlan(rules, [".01", "2", "3", "4", "5", "99"])
    for nodes in ({"0": "A^B^C", "1": "xHELLO  ", "WP": "all"}, {"0": "A"}, {}, {"1": "x  "}):
        entry = Entry(rules, "1", nodes)
        assert plan.values(entry) == [entry.opt(n) for n in (".01", "2", "3", "4", "5", "99")]


def test_an_unchanged_patient_is_reused_and_a_changed_one_is_decoded_again() -> None:
    c = Bridge.demo(patients=3, seed=5).clinical
    first = c.get_patient("2")
    assert c.get_patient("2") is first  # same nodes: the memo's instance
    c.store.set("DPT", ("2", ".13"), "555-0100^^^^^^^^^^^^^")
    changed = c.get_patient("2")
    assert changed is not first and changed.phone_home == "555-0100"
    assert changed == _slow_patient(c, c.reader.entry("2", "2"))


def test_the_patient_memo_is_bounded() -> None:
    c = Clinical(Bridge.demo(patients=6, seed=5).clinical.store, memo_size=4)
    for ien in ("1", "2", "3", "4", "5", "6"):
        c.get_patient(ien)
    assert len(c._memo) == 4 and set(c._memo) == {"3", "4", "5", "6"}


def test_a_zero_memo_decodes_every_time() -> None:
    c = Clinical(Bridge.demo(patients=2, seed=5).clinical.store, memo_size=0)
    assert c.get_patient("1") == c.get_patient("1") and not c._memo


def test_a_variable_pointer_with_a_malformed_root_stays_unresolved() -> None:
    reader = Bridge.demo(patients=1, seed=5).clinical.reader
    ref = reader.variable_ref('7;GMRD(X"Y,')
    assert ref is not None and ref.file == "" and ref.ien == "7" and ref.name is None
