"""The sans-IO core: request bytes equal what VistA got, and every recorded answer decodes
(whole, one byte at a time, or run together) into its typed result or typed error."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from rpc import protocol, wire
from rpc.cipher import get_table
from rpc.errors import (
    BrokerConnectionError,
    ProtocolError,
    RPCApplicationError,
    RPCMError,
    RPCSecurityError,
)
from rpc.protocol import Empty, ListParam, Literal, Reference, ResponseDecoder, RPCResult
from rpc.wire import ParamType, ReturnType
from tests.conftest import shared_path
from tests.rpc.replay import load_sessions

SECURITY = {
    "09_unknown_rpc": "Remote Procedure 'ZZ NO SUCH RPC' doesn't exist on the server.",
    "10_xwb_create_context_denied": "User LABUSER,ONE does not have access to option XUS SIGNON",
    "11_xwb_create_context_unknown": "The context 'OR BOGUS' does not exist on server.",
    "24_xus_get_user_info_not_signed_on": "User not fully sign-on",
}


def golden_dir() -> Path:
    return Path(shared_path("vista-lab", "golden"))


def all_bins() -> list[Path]:
    return sorted(golden_dir().glob("*.bin"))


def test_tcpconnect_and_bye_are_the_recorded_bytes() -> None:
    assert (
        protocol.connect_request("127.0.0.1", "vistalab-check")
        == (golden_dir() / "01_tcpconnect.req").read_bytes()
    )
    assert protocol.bye_request() == (golden_dir() / "12_bye.req").read_bytes()


def test_av_code_request_with_rows_one_and_two_is_the_recorded_bytes() -> None:
    secret = get_table("va").encrypt_with_rows("LABUSER1;LABUSER1!!", 1, 2)
    assert (
        protocol.rpc_request("XUS AV CODE", [secret])
        == (golden_dir() / "04_xus_av_code_ok.req").read_bytes()
    )


def test_ddr_list_parameter_is_the_recorded_bytes() -> None:
    param = ListParam.of(
        {"FILE": "120.82", "FIELDS": "@;.01;1", "FLAGS": "IP", "MAX": "10", "XREF": "B"}
    )
    assert (
        protocol.rpc_request("DDR LISTER", [param])
        == (golden_dir() / "53_ddr_lister_b_first10.req").read_bytes()
    )


def test_every_recorded_rpc_request_is_rebuilt_byte_for_byte() -> None:
    """Each golden request, read back into a call (name and typed parameters), is rebuilt by
    protocol.rpc_request into exactly the bytes VistA got."""
    count = 0
    for path in sorted(golden_dir().glob("*.req")):
        raw = path.read_bytes()
        parsed = wire.parse_request(raw)
        assert parsed is not None
        request = parsed[0]
        if request.is_command:
            continue
        params: list[protocol.Param] = []
        for p in request.params:
            if p.type == ParamType.LITERAL:
                params.append(Literal(p.value.decode()))
            else:
                entries = tuple((wire.parse_subscripts(k.decode()), v.decode()) for k, v in p.pairs)
                params.append(ListParam(tuple((k[0] if len(k) == 1 else k, v) for k, v in entries)))
        assert protocol.rpc_request(request.name.decode(), params) == raw, path.name
        count += 1
    assert count == 55


def test_parameters_are_literals_unless_a_reference_is_built_by_name() -> None:
    data = protocol.rpc_request("ZZ", ["$$KILL^ZZ", 7])
    assert data == b"[XWB]11302\x011\x02ZZ50009$$KILL^ZZf00017f\x04"
    ref = protocol.rpc_request("ZZ", [Reference("DUZ")])
    assert ref == b"[XWB]11302\x011\x02ZZ51003DUZf\x04"


def test_list_param_with_comma_subscript_and_empty_param() -> None:
    data = protocol.rpc_request("ZZ", [ListParam(((("A", 1), "x"), (2, "y"))), Empty()])
    assert data == b'[XWB]11302\x011\x02ZZ52005"A",1001xt0012001yf4f\x04'
    assert protocol.rpc_request("ZZ", [{"K": "v"}]).endswith(b'2003"K"001vf\x04')


def test_long_parameter_widens_the_envelope() -> None:
    data = protocol.rpc_request("ZZ", ["x" * 1200])
    assert data.startswith(b"[XWB]11402")
    parsed = wire.parse_request(data)
    assert parsed is not None and parsed[0].params[0].value == b"x" * 1200


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ProtocolError):
        protocol.rpc_request("ZZ", [True])
    with pytest.raises(ProtocolError):
        protocol.rpc_request("ZZ", [ListParam(((("A",), 1.5),))])  # type: ignore[arg-type]
    with pytest.raises(ProtocolError):
        protocol.rpc_request("")


def test_every_recorded_answer_decodes_into_its_result_or_error() -> None:
    for path in all_bins():
        name = path.stem
        reply = protocol.decode_reply(path.read_bytes())
        if name in SECURITY:
            with pytest.raises(RPCSecurityError) as err:
                reply.result(ReturnType.ARRAY, "X")
            assert err.value.text == SECURITY[name]
        elif name == "08d_m_error_trap":
            with pytest.raises(RPCMError) as merr:
                reply.result(ReturnType.SINGLE_VALUE)
            assert merr.value.text.startswith("M  ERROR=IMHERE^XWBLIB")
            assert merr.value.text.endswith('LAST REF=^%ZTSCH("LOGRSRC")')
        else:
            result = reply.result(ReturnType.ARRAY)
            assert "\x04" not in result.text and not reply.security


def test_data_part_of_a_refused_context_is_kept() -> None:
    reply = protocol.decode_reply((golden_dir() / "10_xwb_create_context_denied.bin").read_bytes())
    assert reply.data == reply.security


def test_decoding_one_byte_at_a_time_gives_the_same_replies() -> None:
    for path in all_bins():
        raw = path.read_bytes()
        decoder = ResponseDecoder()
        replies = []
        for i in range(len(raw)):
            decoder.receive_data(raw[i : i + 1])
            reply = decoder.next_reply()
            if reply is not None:
                replies.append(reply)
                assert i == len(raw) - 1, path.name
        assert replies == [protocol.decode_reply(raw)], path.name
        assert decoder.idle


def test_a_whole_session_run_together_splits_into_its_replies() -> None:
    rng = random.Random(7)
    for session in load_sessions():
        stream = b"".join(f.response for f in session.flows)
        decoder = ResponseDecoder()
        replies = []
        pos = 0
        while pos < len(stream):
            size = rng.randint(1, 40)
            decoder.receive_data(stream[pos : pos + size])
            pos += size
            while (reply := decoder.next_reply()) is not None:
                replies.append(reply)
        assert replies == [protocol.decode_reply(f.response) for f in session.flows]


def test_result_shapes_follow_the_return_type() -> None:
    assert RPCResult(ReturnType.ARRAY, "a\r\nb\r\n").lines == ["a", "b"]
    assert RPCResult(ReturnType.ARRAY, "").lines == []
    assert RPCResult(ReturnType.SINGLE_VALUE, "a\r\nb").lines == ["a\r\nb"]
    assert RPCResult(ReturnType.WORD_PROCESSING, "x\r\ny").lines == ["x", "y"]
    assert RPCResult(ReturnType.GLOBAL_ARRAY, "1\r\n2\r\n").lines == ["1", "2"]
    assert RPCResult(ReturnType.GLOBAL_INSTANCE, "v").value == "v"
    assert RPCResult(ReturnType.VARIABLE_LENGTH, "\x02ab\x01c").lines == ["ab", "c"]
    with pytest.raises(ProtocolError):
        _ = RPCResult(ReturnType.VARIABLE_LENGTH, "\x05ab").lines


def test_application_error_packet_is_typed() -> None:
    reply = protocol.decode_reply(wire.encode_response(b"", error=b"Logons Inhibited"))
    with pytest.raises(RPCApplicationError, match="Logons Inhibited"):
        reply.result(ReturnType.SINGLE_VALUE)


def test_close_in_the_middle_of_a_response_is_a_connection_error() -> None:
    decoder = ResponseDecoder()
    decoder.receive_data(b"\x00\x00partial")
    assert decoder.next_reply() is None
    decoder.receive_data(b"")
    with pytest.raises(BrokerConnectionError, match="middle of a response"):
        decoder.next_reply()


def test_lying_length_byte_never_completes_and_eof_is_typed() -> None:
    decoder = ResponseDecoder()
    decoder.receive_data(b"\xffshort\x04")
    assert decoder.next_reply() is None
    decoder.receive_eof()
    with pytest.raises(BrokerConnectionError):
        decoder.next_reply()


def test_endless_garbage_is_refused_past_the_size_limit() -> None:
    decoder = ResponseDecoder(max_response=1000)
    decoder.receive_data(b"\x00\x00" + b"x" * 2000)
    with pytest.raises(ProtocolError) as err:
        decoder.next_reply()
    assert err.value.offset == 1000


def test_m_error_without_its_closing_end_mark_names_the_byte() -> None:
    with pytest.raises(ProtocolError) as err:
        protocol.decode_reply(b"\x00\x00\x18M  ERROR=X\x04Z")
    assert err.value.offset == 14


def test_trailing_bytes_after_a_whole_response_are_refused() -> None:
    with pytest.raises(ProtocolError) as err:
        protocol.decode_reply(b"\x00\x001\x04junk")
    assert err.value.offset == 4


def test_known_return_types_and_override() -> None:
    assert protocol.return_type_for("DDR LISTER") == ReturnType.GLOBAL_ARRAY
    assert protocol.return_type_for("ZZ") == ReturnType.SINGLE_VALUE
    assert protocol.return_type_for("ZZ", ReturnType.ARRAY) == ReturnType.ARRAY


def test_feed_fast_path_agrees_with_the_incremental_decoder() -> None:
    for path in all_bins():
        raw = path.read_bytes()
        assert ResponseDecoder().feed(raw) == protocol.decode_reply(raw), path.name
    two = b"\x00\x001\x04\x00\x002\x04"
    decoder = ResponseDecoder()
    assert decoder.feed(two) == protocol.Reply("", "", "1")
    assert decoder.next_reply() == protocol.Reply("", "", "2")
    with pytest.raises(BrokerConnectionError):
        ResponseDecoder().feed(b"")
