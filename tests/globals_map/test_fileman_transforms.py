"""Output transforms we recognise (re-done in Python; no M runs) and how unknown ones show."""

from __future__ import annotations

from globals_map import GlobalStore
from globals_map.fileman import Decoder, Schema
from globals_map.fileman.transforms import find_transform


def test_known_transforms() -> None:
    allergy = find_transform("S Y(0)=Y S Y=$$OUTTYPE^GMRAUTL(Y)")
    assert allergy is not None
    assert allergy("DF", "5U") == "DRUG, FOOD" and allergy("O", "5U") == "OTHER"
    hidden = find_transform('S Y(0)=Y S Y="<Hidden>"')
    assert hidden is not None and hidden("SECRET", "5U") == "<Hidden>"
    horolog = find_transform('S Y(0)=Y S %H=+Y D YMD^%DTC S Y=X X ^DD("DD")')
    assert horolog is not None
    assert horolog("66000", "5U") == "SEP 13,2021"  # $H day 66000
    assert horolog("99999999999", "5U") is None  # out of range: not printable
    month = find_transform(
        'S Y(0)=Y I Y\'="" N DIERR D DT^DILF("",Y,.Y,"","DIERR") S Y=$$FMTE^XLFDT(Y,"D")'
    )
    assert month is not None
    assert month("4/2023", "5U") == "Apr 2023" and month("3230415", "5U") == "Apr 15, 2023"
    assert month("13/2023", "5U") is None
    assert find_transform("S Y=$$OUT^ZZ(Y)") is None


def test_pointer_with_output_transform(store: GlobalStore) -> None:
    store.set("DIC", ("9970", "0", "GL"), "^ZZO(")
    store.set("DD", ("9970", ".01", "0"), "NAME^F^^0;1^Q")
    store.set("DD", ("9970", "1", "0"), "HIDDEN PTR^P9970'O^ZZO(^0;2^Q")
    store.set("DD", ("9970", "1", "2"), 'S Y(0)=Y S Y="<Hidden>"')
    store.set("DD", ("9970", "2", "0"), "ODD PTR^P9970'O^ZZO(^0;3^Q")
    store.set("DD", ("9970", "2", "2"), "S Y=$$PTR^ZZ(Y)")
    store.set("ZZO", ("1", "0"), "ONE^1^1")
    rec = Decoder(Schema(store)).decode(9970, 1)
    assert rec["1"].external == "<Hidden>" and rec["1"].exact
    assert rec["2"].external == "ONE" and not rec["2"].exact
    assert rec["2"].target_ien == "1"
