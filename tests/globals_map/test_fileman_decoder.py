"""The decoder over a small dictionary of our own that uses every field type, and its handling
of bad data: per-field errors naming file, IEN and field, the rest still decoding, strict mode
raising."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from globals_map import GlobalStore, MemoryStore
from globals_map.fileman import (
    Decoder,
    FieldType,
    FieldValue,
    FieldValueError,
    FileManError,
    NoSuchEntryError,
    NoSuchFileError,
    Record,
    Schema,
    entry_location,
)
from globals_map.fileman.external import ExternalFormatter
from parsers.fmdate import FMDate, FMDateError, fm_to_external

F, S, C = "9990", "9991", "9992"


def _file(store: GlobalStore, number: str, name: str, root: str | None) -> None:
    if root is not None:
        store.set("DIC", (number, "0"), f"{name}^{number}")
        store.set("DIC", (number, "0", "GL"), root)
    store.set("DD", (number, "0"), f"{name}^^99^9")


def _field(store: GlobalStore, file: str, num: str, zero: str) -> None:
    store.set("DD", (file, num, "0"), zero)


def build(store: GlobalStore) -> None:
    """A test patient file 9990 with every type, a state file 9991, a clinic file 9992 whose
    .01 is a date, a word-processing subfile and a two-level multiple."""
    _file(store, F, "ZZ PATIENT", "^ZZT(")
    _field(store, F, ".001", "NUMBER^NJ6,0^^ ^Q")
    _field(store, F, ".01", "NAME^RFX^^0;1^K:$L(X)>30 X")
    _field(store, F, ".02", "SEX^RS^M:MALE;F:FEMALE;^0;2^Q")
    _field(store, F, ".03", 'DOB^D^^0;3^S %DT="E" D ^%DT S X=Y K:Y<1 X')
    _field(store, F, ".04", "WEIGHT^NJ5,1^^0;4^Q")
    _field(store, F, ".05", f"STATE^P{S}'^ZZS(^0;5^Q")
    _field(store, F, ".06", "CODE^F^^1;E1,10^Q")
    _field(store, F, ".07", "AGE^CJ3^^ ; ^S X=$$AGE^ZZ(D0)")
    _field(store, F, ".08", "SOURCE^V^^0;6^Q")
    store.set("DD", (F, ".08", "V", "0"), "^.12P^2^2")
    store.set("DD", (F, ".08", "V", "1", "0"), f"{S}^STATE^1^S^n^n")
    store.set("DD", (F, ".08", "V", "2", "0"), f"{C}^CLINIC DAY^2^C^n^n")
    _field(store, F, ".09", "ROUTINE^K^^2;E1,245^Q")
    _field(store, F, ".1", f"CLINIC DAY^P{C}'^ZZC(^0;7^Q")
    _field(store, F, ".11", "SECRET^FO^^0;8^Q")
    store.set("DD", (F, ".11", "2"), 'S Y(0)=Y S Y="<Hidden>"')
    _field(store, F, ".12", "ODD^FO^^0;9^Q")
    store.set("DD", (F, ".12", "2"), "S Y=$$OUT^ZZ(Y)")
    _field(store, F, "1", f"NOTES^{F}.01^^1;0")
    _field(store, F, "2", f"VISITS^{F}.02D^^V;0")
    store.set("DD", (F, "0", "ID", ".02"), 'W "   ",$P(^(0),U,2)')
    store.set("DD", (F, ".01", "1", "1", "0"), f"{F}^B")
    store.set("DD", (F, ".01", "1", "1", "1"), 'S ^ZZT("B",$E(X,1,30),DA)=""')
    # word processing subfile
    store.set("DD", (F + ".01", "0"), "NOTES SUB-FIELD^^.01^1")
    store.set("DD", (F + ".01", "0", "UP"), F)
    _field(store, F + ".01", ".01", "NOTES^W^^0;1")
    # visits multiple, with a nested multiple
    store.set("DD", (F + ".02", "0"), "VISITS SUB-FIELD^^2^3")
    store.set("DD", (F + ".02", "0", "UP"), F)
    _field(store, F + ".02", ".01", "VISIT DATE^RD^^0;1^Q")
    _field(store, F + ".02", "1", f"PROVIDER STATE^P{S}'^ZZS(^0;2^Q")
    _field(store, F + ".02", "2", f"TAGS^{F}.22^^T;0")
    store.set("DD", (F + ".22", "0"), "TAGS SUB-FIELD^^.01^1")
    store.set("DD", (F + ".22", "0", "UP"), F + ".02")
    _field(store, F + ".22", ".01", "TAG^MF^^0;1^Q")
    # target files
    _file(store, S, "ZZ STATE", "^ZZS(")
    _field(store, S, ".01", "NAME^RF^^0;1^Q")
    _field(store, S, "1", "ABBR^F^^0;2^Q")
    _file(store, C, "ZZ CLINIC DAY", "^ZZC(")
    _field(store, C, ".01", "DAY^RD^^0;1^Q")
    store.set("ZZS", ("0",), f"ZZ STATE^{S}^2^2")
    store.set("ZZS", ("1", "0"), "ALABAMA^AL")
    store.set("ZZS", ("2", "0"), "ALASKA^AK")
    store.set("ZZC", ("0",), f"ZZ CLINIC DAY^{C}^1^1")
    store.set("ZZC", ("1", "0"), "3230415.0830")
    store.set("DD", ("DD",), 'S Y=$$FMTE^DILIBF(Y,"5U")')


def patient(store: GlobalStore, ien: str, zero: str, **nodes: str) -> None:
    store.set("ZZT", (ien, "0"), zero)
    for node, value in nodes.items():
        store.set("ZZT", (ien, node), value)


@pytest.fixture
def filled(store: GlobalStore) -> GlobalStore:
    build(store)
    patient(
        store,
        "1",
        "ZZTEST,ONE^F^2450101^72.5^1^1;ZZS(^1^SECRET^INTERNAL",
        **{"1": "ABCDEFGHIJKLMN", "2": 'W "HI"'},
    )
    store.set("ZZT", ("1", "1", "0"), "^^2^2^3230101^")
    store.set("ZZT", ("1", "1", "1", "0"), "First line.")
    store.set("ZZT", ("1", "1", "2", "0"), "Second ^ line.")
    store.set("ZZT", ("1", "V", "0"), f"^{F}.02D^2^2")
    store.set("ZZT", ("1", "V", "1", "0"), "3230415.1^2")
    store.set("ZZT", ("1", "V", "1", "T", "0"), f"^{F}.22^1^1")
    store.set("ZZT", ("1", "V", "1", "T", "1", "0"), "FIRST VISIT")
    store.set("ZZT", ("1", "V", "2", "0"), "3230500")
    store.set("ZZT", ("1", "V", "B", "3230415.1", "1"), "")
    store.set("ZZT", ("B", "ZZTEST,ONE", "1"), "")
    return store


def test_every_type_decodes_to_fileman_internal_and_external(filled: GlobalStore) -> None:
    rec = Decoder(Schema(filled)).decode(F, 1)
    assert rec.errors == []
    got = {n: (v.internal, v.external) for n, v in rec.values.items() if v.internal is not None}
    assert got == {
        ".001": ("1", "1"),
        ".01": ("ZZTEST,ONE", "ZZTEST,ONE"),
        ".02": ("F", "FEMALE"),
        ".03": ("2450101", "JAN 1,1945"),
        ".04": ("72.5", "72.5"),
        ".05": ("1", "ALABAMA"),
        ".06": ("ABCDEFGHIJ", "ABCDEFGHIJ"),
        ".08": ("1;ZZS(", "ALABAMA"),
        ".09": ('W "HI"', 'W "HI"'),
        ".1": ("1", "APR 15,2023@08:30"),
        ".11": ("SECRET", "<Hidden>"),
        ".12": ("INTERNAL", "INTERNAL"),
    }
    assert rec[".03"].value == "1945-01-01"
    assert rec[".04"].value == pytest.approx(72.5)
    assert (rec[".05"].target_file, rec[".05"].target_ien) == (S, "1")
    assert (rec[".08"].target_file, rec[".08"].target_ien) == (S, "1")
    assert rec[".12"].exact is False and rec[".11"].exact is True
    computed = rec[".07"]
    assert computed.evaluated is False and computed.internal is None
    assert rec["1"].type is FieldType.WORD_PROCESSING
    assert rec["1"].lines == ["First line.", "Second ^ line."]


def test_multiples_are_nested_records_with_their_iens(filled: GlobalStore) -> None:
    rec = Decoder(Schema(filled)).decode(F, "1,")
    visits = rec["2"].records
    assert visits is not None and [v.iens for v in visits] == ["1,1,", "2,1,"]
    assert visits[0][".01"].external == "APR 15,2023@10:00"
    assert visits[0][".01"].value == "2023-04-15T10:00:00"
    assert visits[0]["1"].external == "ALASKA"
    assert visits[1][".01"].value == "2023-05"  # imprecise stays imprecise
    tags = visits[0]["2"].records
    assert tags is not None and tags[0][".01"].external == "FIRST VISIT"
    assert tags[0].iens == "1,1,1,"


def test_subentry_decodes_by_iens_and_locates_its_node(filled: GlobalStore) -> None:
    schema = Schema(filled)
    assert entry_location(schema, F + ".22", "1,1,1,") == ("ZZT", ("1", "V", "1", "T", "1"))
    rec = Decoder(schema).decode(F + ".02", "1,1,")
    assert rec[".01"].internal == "3230415.1"


def test_selected_fields_in_the_order_asked(filled: GlobalStore) -> None:
    rec = Decoder(Schema(filled)).decode(F, 1, [".05", ".01"])
    assert list(rec.values) == [".05", ".01"]


def test_variable_pointer_through_v_node_when_the_target_has_no_header(
    filled: GlobalStore,
) -> None:
    filled.set("ZZT", ("1", "0"), "ZZTEST,ONE^^^^^1;ZZC(")
    filled.kill("ZZC", ("0",))
    rec = Decoder(Schema(filled)).decode(F, 1, [".08"])
    assert rec[".08"].external == "APR 15,2023@08:30"
    assert rec[".08"].target_file == C


@pytest.mark.parametrize(
    ("field", "zero"),
    [
        (".02", "X^Q"),  # a code not in the set
        (".03", "X^^3231345"),  # not a date
        (".04", "X^^^12KG"),  # letters in a numeric field
        (".05", "X^^^^99"),  # dangling pointer
        (".05", "X^^^^ABC"),  # pointer that is not a number
        (".08", "X^^^^^5;ZZS("),  # dangling variable pointer
        (".08", "X^^^^^5"),  # variable pointer without a root
        (".08", "X^^^^^1;ZZT("),  # a global with entries but no file header or "V" node
    ],
)
def test_bad_value_is_a_field_error_and_the_rest_decodes(
    filled: GlobalStore, field: str, zero: str
) -> None:
    patient(filled, "7", zero.replace("X", "ZZBAD,ONE", 1))
    rec = Decoder(Schema(filled)).decode(F, 7)
    errs = rec.errors
    assert len(errs) == 1
    err = errs[0]
    assert isinstance(err, FieldValueError)
    assert (err.file, err.ien, err.field) == (F, "7,", field)
    assert rec[field].internal and rec[field].external is None
    assert rec[".01"].external == "ZZBAD,ONE"
    with pytest.raises(FieldValueError) as info:
        Decoder(Schema(filled), strict=True).decode(F, 7)
    assert (info.value.file, info.value.ien, info.value.field) == (F, "7,", field)


def test_bad_value_inside_a_multiple_names_the_subentry(filled: GlobalStore) -> None:
    filled.set("ZZT", ("1", "V", "2", "0"), "3231345")
    rec = Decoder(Schema(filled)).decode(F, 1)
    (err,) = rec.errors
    assert (err.file, err.ien, err.field) == (F + ".02", "2,1,", ".01")


def test_missing_entry_file_and_bad_iens_are_typed_errors(filled: GlobalStore) -> None:
    decoder = Decoder(Schema(filled))
    with pytest.raises(NoSuchEntryError) as info:
        decoder.decode(F, 99)
    assert info.value.code == 601 and info.value.file == F
    with pytest.raises(NoSuchFileError):
        decoder.decode("123456", 1)
    with pytest.raises(FileManError):
        decoder.decode(F, "1,2,")  # a top-level file has one level
    with pytest.raises(FileManError):
        decoder.decode(F, "0")
    assert decoder.exists(F, 1) and not decoder.exists(F, 2)


def test_external_of_a_single_value_and_pointer_cache(filled: GlobalStore) -> None:
    decoder = Decoder(Schema(filled))
    assert decoder.external(F, ".02", "M") == "MALE"
    assert decoder.external(F, ".05", "2") == "ALASKA"
    filled.set("ZZS", ("2", "0"), "RENAMED^AK")
    assert decoder.external(F, ".05", "2") == "ALASKA"  # cached
    decoder.clear_cache()
    assert decoder.external(F, ".05", "2") == "RENAMED"
    with pytest.raises(FieldValueError):
        decoder.external(F, ".02", "Z")


def test_pointer_into_a_file_whose_data_is_absent_is_unresolved_not_an_error(
    filled: GlobalStore,
) -> None:
    filled.kill("ZZS")
    rec = Decoder(Schema(filled)).decode(F, 1, [".05"])
    fv = rec[".05"]
    assert fv.error is None and fv.exact is False and fv.external == "1"
    # a pointer to a file with neither a dictionary nor a global root: malformed
    filled.set("DD", (F, ".13", "0"), "GHOST^P9999'^^0;10^Q")
    filled.set("ZZT", ("1", "0"), "ZZTEST,ONE^^^^^^^^^4")
    ghost = Decoder(Schema(filled)).decode(F, 1, [".13"])[".13"]
    assert ghost.error is not None and ghost.error.field == ".13"
    assert "no global root" in str(ghost.error)
    filled.set("ZZT", ("1", "0"), "ZZTEST,ONE^^^^^3;ZZNONE(")
    vp = Decoder(Schema(filled)).decode(F, 1, [".08"])[".08"]
    assert vp.error is None and vp.exact is False and vp.external == "3"


def test_decoding_reads_the_entry_with_one_bulk_call(filled: GlobalStore) -> None:
    schema = Schema(filled)
    decoder = Decoder(schema)
    decoder.decode(F, 1)  # warm the schema and pointer caches
    calls: list[tuple[str, tuple[str, ...]]] = []
    real = filled.read_subtree

    def counting(name: str, subs: tuple[str, ...] = (), **kw: object) -> object:
        calls.append((name, tuple(subs)))
        return real(name, subs, **kw)  # type: ignore[arg-type]

    filled.read_subtree = counting  # type: ignore[method-assign,assignment]
    try:
        decoder.decode(F, 1)
    finally:
        del filled.read_subtree  # type: ignore[method-assign]
    assert calls == [("ZZT", ("1",))]


@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_iter_file_bulk_walk_equals_entry_by_entry(filled: GlobalStore, chunk: int) -> None:
    patient(filled, "2", "ZZTEST,TWO^M^2450202")
    patient(filled, ".5", "ZZTEST,HALF^M")
    patient(filled, "10", "ZZTEST,TEN^F^^^2")
    decoder = Decoder(Schema(filled))
    walked = list(decoder.iter_file(F, chunk=chunk))
    assert [r.ien for r in walked] == [".5", "1", "2", "10"]
    for rec in walked:
        assert rec == decoder.decode(F, rec.ien)
    assert [r.ien for r in decoder.iter_file(F, after="1", chunk=chunk)] == ["2", "10"]
    with pytest.raises(FileManError):
        list(decoder.iter_file(F + ".02"))


_piece = st.one_of(
    st.text(st.characters(blacklist_characters="^", blacklist_categories=["Cs"]), max_size=12),
    st.sampled_from(["1", "2", "99", "3230415.1", "3231345", "1;ZZS(", "9;ZZC(", "M", "-1"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_piece, min_size=1, max_size=10), st.lists(_piece, max_size=3))
def test_any_stored_value_decodes_or_gives_field_errors_never_raises(
    zero: list[str], visit: list[str]
) -> None:
    store = MemoryStore()
    build(store)
    patient(store, "5", "^".join(zero), **{"1": "^".join(visit)})
    if visit:
        store.set("ZZT", ("5", "V", "1", "0"), "^".join(visit))
    rec = Decoder(Schema(store)).decode(F, 5)
    for err in rec.errors:
        assert isinstance(err, FieldValueError) and err.file in (F, F + ".02")
    for fv in rec.values.values():
        if fv.internal and fv.error is None and fv.evaluated:
            assert fv.external is not None


@settings(max_examples=150, deadline=None)
@given(st.lists(_piece, min_size=1, max_size=10), st.lists(_piece, max_size=3))
def test_errors_known_at_decode_are_those_of_the_fields_built_later(
    zero: list[str], visit: list[str]
) -> None:
    store = MemoryStore()
    build(store)
    patient(store, "5", "^".join(zero), **{"1": "^".join(visit)})
    if visit:
        store.set("ZZT", ("5", "V", "1", "0"), "^".join(visit))
    decoder = Decoder(Schema(store))
    found = [(e.file, e.ien, e.field, str(e)) for e in decoder.decode(F, 5).errors]
    eager = decoder.decode(F, 5)
    shown: list[tuple[str | None, str | None, str | None, str]] = []

    def walk(rec: Record) -> None:
        for fv in rec.values.values():
            if fv.error is not None:
                e = fv.error
                shown.append((e.file, e.ien, e.field, str(e)))
            for sub in fv.records or ():
                walk(sub)

    walk(eager)
    assert found == shown
    one_by_one = decoder.decode(F, 5)
    for number in reversed(list(eager.values)):  # built in another order, one at a time
        assert _plain(one_by_one[number]) == _plain(eager[number])
    assert list(one_by_one.values) == list(eager.values)


def _plain(fv: FieldValue) -> tuple[object, ...]:
    """A field as plain data (errors as their text: two decodes raise distinct objects)."""
    subs = [(r.iens, {n: _plain(v) for n, v in r.values.items()}) for r in fv.records or ()]
    error = None if fv.error is None else str(fv.error)
    return (fv.internal, fv.external, fv.value, fv.lines, subs, fv.exact, fv.target_ien, error)


def test_strict_and_lazy_decoding_give_the_same_record(filled: GlobalStore) -> None:
    lazy = Decoder(Schema(filled)).decode(F, 1)
    fv = lazy[".05"]
    assert fv is lazy.values[".05"]  # a field built on demand is the one values holds
    assert lazy == Decoder(Schema(filled), strict=True).decode(F, 1)
    assert ".05" in lazy and "99" not in lazy
    without = Decoder(Schema(filled)).decode(F, 1, multiples=False)
    assert "2" not in without and "2" not in without.values
    with pytest.raises(KeyError):
        without["2"]


def test_pointer_externals_are_read_when_the_entry_is_decoded(filled: GlobalStore) -> None:
    decoder = Decoder(Schema(filled))
    rec = decoder.decode(F, 1)
    filled.set("ZZS", ("1", "0"), "RENAMED^AL")
    decoder.clear_cache()
    assert rec[".05"].external == "ALABAMA" and rec[".08"].external == "ALABAMA"
    again = decoder.decode(F, 1)
    assert again[".05"].external == "RENAMED" and again[".08"].external == "RENAMED"


_fm_dates = st.builds(
    lambda y, m, d, frac: (
        f"{y}{m:02d}{d:02d}" + (f".{frac}".rstrip("0").rstrip(".") if frac else "")
    ),
    st.integers(100, 399),
    st.integers(0, 13),
    st.integers(0, 32),
    st.one_of(st.none(), st.from_regex(r"[0-9]{1,6}", fullmatch=True)),
)


@settings(max_examples=300, deadline=None)
@given(_fm_dates, st.sampled_from(["5U", "1", "1S", "2", "3", "4", "5P", "6", "7D", "6S"]))
def test_dates_converted_by_day_and_time_equal_fmte_and_the_parser(
    internal: str, flags: str
) -> None:
    store = MemoryStore()
    build(store)
    store.set("DD", ("DD",), f'S Y=$$FMTE^DILIBF(Y,"{flags}")')
    schema = Schema(store)
    formatter = ExternalFormatter(schema)
    date_field = schema.field(F, ".03")
    try:
        expected = FMDate.parse(internal).to_iso()
    except FMDateError:
        with pytest.raises(FieldValueError):
            formatter.external(date_field, internal, ien=None)
        return
    for _ in range(2):  # converted, then from the caches
        shown = formatter.external(date_field, internal, ien=None)
        assert shown[:2] == (fm_to_external(internal, formatter.schema.date_format), expected)


def test_an_entry_node_with_its_own_value_still_checks_every_field(filled: GlobalStore) -> None:
    filled.set("ZZT", ("7",), "a value on the entry node itself")
    patient(filled, "7", "ZZBAD,ONE^Q")
    decoder = Decoder(Schema(filled))
    assert [e.field for e in decoder.decode(F, 7).errors] == [".02"]
    walked = {rec.ien: rec for rec in decoder.iter_file(F)}
    assert [e.field for e in walked["7"].errors] == [".02"]
    name, subs = entry_location(decoder.schema, F, "7,")
    nodes = filled.read_subtree(name, subs)
    rec = decoder.decode_nodes(F, "7", nodes, base=len(subs))
    assert [e.field for e in rec.errors] == [".02"] and rec[".01"].external == "ZZBAD,ONE"
