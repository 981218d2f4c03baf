"""XWB framing primitives: length prefixes, parameters, subscripts, request and response frames.

The recorded conversations in ../shared/vista-lab/golden are the judge: every request VistA got
parses and re-encodes to the same bytes; the response encoders rebuild VistA's error frames."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rpc import wire
from rpc.errors import ProtocolError
from rpc.wire import ParamType, Request, RequestParam, ReturnType
from tests.conftest import shared_path


def golden(name: str) -> bytes:
    return Path(shared_path("vista-lab", "golden", name)).read_bytes()


def golden_requests() -> list[Path]:
    return sorted(Path(shared_path("vista-lab", "golden")).glob("*.req"))


def test_spack_is_one_length_byte_then_bytes() -> None:
    assert wire.spack(b"XUS AV CODE") == b"\x0bXUS AV CODE"
    assert wire.spack(b"") == b"\x00"


def test_spack_refuses_more_than_255_bytes() -> None:
    with pytest.raises(ProtocolError):
        wire.spack(b"x" * 256)


def test_lpack_uses_envelope_width_digits() -> None:
    assert wire.lpack(b"abc") == b"003abc"
    assert wire.lpack(b"abc", 5) == b"00003abc"
    with pytest.raises(ProtocolError):
        wire.lpack(b"x" * 1000)


def test_envelope_grows_only_when_a_parameter_needs_it() -> None:
    assert wire.envelope_for(999) == 3
    assert wire.envelope_for(1000) == 4
    with pytest.raises(ProtocolError):
        wire.envelope_for(10**9)


def test_read_lpack_reports_incomplete_and_bad_digits() -> None:
    assert wire.read_lpack(b"003ab", 0) is None
    assert wire.read_lpack(b"003abcX", 0) == (b"abc", 6)
    assert wire.read_lpack(b"xx003abc", 2) == (b"abc", 8)
    with pytest.raises(ProtocolError) as err2:
        wire.read_lpack(b"0a3abc", 0)
    assert err2.value.offset == 0


def test_read_spack_reports_incomplete() -> None:
    assert wire.read_spack(b"\x05abc", 0) is None
    assert wire.read_spack(b"\x03abcd", 0) == (b"abc", 4)


def test_list_param_with_comma_subscript_round_trips() -> None:
    sub = wire.format_subscripts(("A", 1)).encode()
    assert sub == b'"A",1'
    encoded = wire.list_param([(sub, b"x"), (b'"B"', b"")])
    assert encoded == b'2005"A",1001xt003"B"000f'
    req = Request(False, b"ZZ", b"1", 3, (RequestParam(ParamType.LIST, pairs=((sub, b"x"),)),))
    parsed, _end = wire.parse_request(wire.encode_request(req)) or (None, 0)
    assert parsed == req
    assert wire.parse_subscripts(sub.decode()) == ("A", "1")


def test_empty_list_is_one_empty_subscript() -> None:
    assert wire.list_param([]) == b"2000f"
    req = wire.parse_request(b"[XWB]11302\x011\x02ZZ52000f\x04")
    assert req is not None
    assert req[0].params == (RequestParam(ParamType.LIST),)


def test_no_parameters_travel_as_one_empty_param() -> None:
    assert wire.params_chunk([]) == b"54f\x04"


def test_subscripts_quote_strings_and_double_quotes() -> None:
    assert wire.format_subscripts('say "hi"') == '"say ""hi"""'
    assert wire.parse_subscripts('"say ""hi""",-2,"x,y"') == ('say "hi"', "-2", "x,y")


def test_numeric_subscripts_are_canonicalized_when_parsed() -> None:
    assert wire.parse_subscripts("01,1.50,.5") == ("1", "1.5", ".5")


@pytest.mark.parametrize("bad", ['"open', "X", "$$EN^XUS", '"a"b', "1,", "", '"a",@X', "1+1"])
def test_subscript_literals_that_are_not_data_are_refused(bad: str) -> None:
    with pytest.raises(ProtocolError):
        wire.parse_subscripts(bad)


@pytest.mark.parametrize("bad", [(), "", True, 1.5])
def test_format_subscripts_refuses_what_m_cannot_hold(bad: object) -> None:
    with pytest.raises(ProtocolError):
        wire.format_subscripts(bad)  # type: ignore[arg-type]


@pytest.mark.shared
def test_every_recorded_request_parses_and_reencodes_byte_for_byte() -> None:
    paths = golden_requests()
    assert len(paths) == 65
    for path in paths:
        raw = path.read_bytes()
        got = wire.parse_request(raw)
        assert got is not None, path.name
        request, end = got
        assert end == len(raw), path.name
        assert wire.encode_request(request) == raw, path.name


@pytest.mark.shared
def test_parse_request_waits_for_every_byte() -> None:
    raw = golden("53_ddr_lister_b_first10.req")
    for cut in range(len(raw)):
        assert wire.parse_request(raw[:cut]) is None
    got = wire.parse_request(raw + b"[XWB]")
    assert got is not None and got[1] == len(raw)


@pytest.mark.shared
def test_recorded_list_request_holds_ddr_subscripts() -> None:
    got = wire.parse_request(golden("45_ddr_gets_allergy_1.req"))
    assert got is not None
    request = got[0]
    assert request.name == b"DDR GETS ENTRY DATA"
    (param,) = request.params
    assert param.type == ParamType.LIST
    assert [wire.parse_subscripts(k.decode()) for k, _ in param.pairs] == [
        ("FILE",),
        ("IENS",),
        ("FIELDS",),
        ("FLAGS",),
    ]


@pytest.mark.parametrize(
    ("raw", "offset"),
    [
        (b"GET / HTTP/1.1", 0),
        (b"[XWB]1x302", 5),
        (b"[XWB]11309", 9),
        (b"[XWB]11302\x011\x02ZZ59", 16),
        (b"[XWB]11302\x011\x02ZZ50003abcX", 23),
        (b"[XWB]11302\x011\x02ZZ52001a001bX", 25),
    ],
)
def test_malformed_requests_name_the_byte(raw: bytes, offset: int) -> None:
    with pytest.raises(ProtocolError) as err:
        wire.parse_request(raw)
    assert err.value.offset == offset


@pytest.mark.shared
def test_response_encoders_rebuild_vistas_error_frames() -> None:
    unknown = b"Remote Procedure 'ZZ NO SUCH RPC' doesn't exist on the server."
    assert wire.encode_response(security=unknown) == golden("09_unknown_rpc.bin")
    denied = b"User LABUSER,ONE does not have access to option XUS SIGNON"
    assert wire.encode_response(denied, security=denied) == golden(
        "10_xwb_create_context_denied.bin"
    )
    recorded = golden("08d_m_error_trap.bin")
    text = recorded[3:-2]
    assert wire.encode_m_error(text) == recorded


@pytest.mark.shared
def test_encode_data_writes_arrays_as_snddata_does() -> None:
    recorded = golden("08b_orwpt_list_all.bin")
    lines = recorded[2:-1].split(b"\r\n")[:-1]
    assert wire.encode_response(wire.encode_data(ReturnType.ARRAY, lines)) == recorded


def test_encode_data_honours_word_wrap() -> None:
    vals = [b"a", b"\r\n", b"b"]
    assert wire.encode_data(ReturnType.GLOBAL_ARRAY, vals, wrap=True) == b"a\r\n\r\nb\r\n"
    assert wire.encode_data(ReturnType.GLOBAL_ARRAY, vals) == b"a\r\nb"
    assert wire.encode_data(ReturnType.WORD_PROCESSING, [b"x", b"y"]) == b"xy"
    assert wire.encode_data(ReturnType.VARIABLE_LENGTH, [b"ab"]) == b"\x02ab"
    assert wire.encode_data(ReturnType.SINGLE_VALUE, [b"1"]) == b"1"


def test_security_and_error_packets_are_cut_to_255_bytes() -> None:
    frame = wire.encode_response(security=b"s" * 300)
    assert frame[0] == 255 and frame[256] == 0


def test_bye_and_tcpconnect_requests() -> None:
    bye = Request(True, b"#BYE#")
    assert wire.encode_request(bye) == b"[XWB]10304\x05#BYE#\x04"
    assert wire.parse_request(wire.encode_request(bye)) == (bye, 17)


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x04"), max_size=40
)
_sub = st.one_of(st.integers(-(10**12), 10**12), _text.filter(bool))


@given(subs=st.lists(_sub, min_size=1, max_size=4))
def test_subscript_literals_round_trip(subs: list[str | int]) -> None:
    literal = wire.format_subscripts(tuple(subs))
    assert wire.parse_subscripts(literal) == tuple(str(s) for s in subs)


_param = st.one_of(
    st.builds(
        lambda v: RequestParam(ParamType.LITERAL, v.encode("utf-8", "surrogateescape")), _text
    ),
    st.builds(
        lambda pairs: RequestParam(
            ParamType.LIST,
            pairs=tuple((wire.format_subscripts(k).encode(), v.encode()) for k, v in pairs),
        ),
        st.lists(st.tuples(_sub, _text), min_size=1, max_size=4),
    ),
)


@given(name=_text.filter(bool), params=st.lists(_param, max_size=5))
def test_any_request_round_trips_through_parse(name: str, params: list[RequestParam]) -> None:
    request = Request(False, name.encode()[:200], b"1", 3, tuple(params))
    raw = wire.encode_request(request)
    assert wire.parse_request(raw) == (request, len(raw))
