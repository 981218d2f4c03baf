"""The byte formats between Python and the engine thread (pure: no engine needed)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from globals_map.gtm.packing import (
    OVERSIZE,
    encode_read,
    pack_set,
    pack_subscripts,
    parse_records,
    split_read,
    unpack_set_packet,
    unpack_subscripts,
)
from parsers.collation import decode_m, encode_m

#: M strings as Python holds them: any bytes, via UTF-8 with surrogateescape.
m_strings = st.binary(max_size=40).map(decode_m)
subscripts = st.lists(m_strings.filter(bool), max_size=4).map(tuple)
#: Nodes below the root (the root, subscripts (), can only come first in an answer).
inner = st.lists(m_strings.filter(bool), min_size=1, max_size=4).map(tuple)


@given(subscripts)
def test_packed_subscripts_round_trip(subs: tuple[str, ...]) -> None:
    assert unpack_subscripts(pack_subscripts(subs)) == subs


@given(
    st.lists(st.tuples(inner, m_strings), max_size=20),
    st.booleans(),
    subscripts,
    st.none() | m_strings,
)
def test_bulk_answers_round_trip_whatever_bytes_they_hold(
    nodes: list[tuple[tuple[str, ...], str]],
    more: bool,
    cont: tuple[str, ...],
    root: str | None,
) -> None:
    if root is not None:
        nodes = [((), root), *nodes]
    raw = encode_read(
        more,
        [encode_m(s) for s in cont],
        [([encode_m(s) for s in subs], encode_m(v)) for subs, v in nodes],
    )
    got_more, got_cont, body = split_read(raw)
    assert got_more == (2 if more else 0)
    assert unpack_subscripts(got_cont) == cont
    items, oversize = parse_records(body)
    assert items == nodes
    assert oversize == []


def test_an_oversize_value_is_flagged_not_confused_with_a_value_of_chr2() -> None:
    raw = encode_read(False, [], [([b"1"], None), ([b"2"], b"\x02"), ([b"3"], b"\x020")])
    items, oversize = parse_records(split_read(raw)[2])
    assert oversize == [0]
    assert items[0] == (("1",), OVERSIZE)
    assert items[1:] == [(("2",), "\x02"), (("3",), "\x020")]


def test_set_packets_split_back_into_their_records() -> None:
    packet = pack_set(b"^A", pack_subscripts(("1", "x,y")), b"v,1") + pack_set(b"^B", b"", b"")
    assert unpack_set_packet(packet) == [
        (b"^A", pack_subscripts(("1", "x,y")), b"v,1"),
        (b"^B", b"", b""),
    ]
