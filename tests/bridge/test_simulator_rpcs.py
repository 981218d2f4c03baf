"""VistA-side RPC behaviour beyond the recorded flows: DDR FILER, DDR errors and formats,
vitals and problems with data, and the trap for an entry point the simulator lacks."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from globals_map.store import GlobalStore
from rpc.wire import list_param, literal_param, message_header, params_chunk, rpc_chunk
from tests.bridge.simulator_lab import (
    check_module,
    exchange,
    lab_server,
    lab_store,
    register_rpc,
    signed_on,
)


@pytest.fixture
def store() -> Iterator[GlobalStore]:
    yield lab_store()


def rpc_call(name: str, *params: bytes) -> bytes:
    return message_header(1) + rpc_chunk(name.encode()) + params_chunk(params)


def rows(reply: bytes) -> list[bytes]:
    assert reply.startswith(b"\x00\x00") and reply.endswith(b"\x04"), reply
    return reply[2:-1].split(b"\r\n")[:-1]


def filer_root(*rows_: str) -> bytes:
    return list_param([(str(i).encode(), r.encode()) for i, r in enumerate(rows_, 1)])


def test_ddr_filer_writes_through_fileman_and_indexes(store: GlobalStore) -> None:
    chk = check_module()
    register_rpc(store, 16, "DDR FILER", "FILEC", "DDR3", 2)
    edit = rpc_call(
        "DDR FILER", literal_param(b"EDIT"), filer_root("120.82^.01^3,^WHITE CHOCOLATE")
    )
    find = chk.ddr("DDR FIND1", FILE="120.82", FLAGS="X", VALUE="WHITE CHOCOLATE", XREF="B")
    old = chk.ddr("DDR FIND1", FILE="120.82", FLAGS="X", VALUE="CHOCOLATE", XREF="B")
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        assert rows(exchange(sock, edit)) == [b"[Data]"]
        assert rows(exchange(sock, find)) == [b"3"]
        assert rows(exchange(sock, old)) == [b"0"]
    assert store.get("GMRD", ("120.82", "3", "0")) == "WHITE CHOCOLATE^DF^1"


def test_ddr_filer_refuses_invalid_values_and_leaves_the_entry(store: GlobalStore) -> None:
    register_rpc(store, 16, "DDR FILER", "FILEC", "DDR3", 2)
    bad = rpc_call("DDR FILER", literal_param(b"EDIT"), filer_root("120.82^2^3,^7"))
    before = store.get("GMRD", ("120.82", "3", "0"))
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        lines = rows(exchange(sock, bad))
    assert lines[:2] == [b"[Data]", b"[BEGIN_diERRORS]"]
    assert lines[2] == b"701^1^120.82^3,^2^6"
    assert lines[-2] == b"The value '7' for field 2 in file 120.82 is not valid."
    assert lines[-1] == b"[END_diERRORS]"
    assert store.get("GMRD", ("120.82", "3", "0")) == before


def test_ddr_filer_adds_an_entry_for_a_placeholder(store: GlobalStore) -> None:
    register_rpc(store, 16, "DDR FILER", "FILEC", "DDR3", 2)
    add = rpc_call(
        "DDR FILER",
        literal_param(b"ADD"),
        filer_root(
            "120.82^.01^+1,^ZZ SIMULATED ALLERGEN",
            "120.82^1^+1,^F",
            "120.82^99.98^+1,^0",
            "120.82^99.99^+1,^9999999",
        ),
    )
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        lines = rows(exchange(sock, add))
    assert lines[0] == b"[Data]" and lines[1].startswith(b"+1,^")
    ien = lines[1].split(b"^")[1].decode()
    assert store.get("GMRD", ("120.82", ien, "0")) == "ZZ SIMULATED ALLERGEN^F"
    assert store.get("GMRD", ("120.82", ien, "VUID")) == "9999999^0"
    assert store.data("GMRD", ("120.82", "B", "ZZ SIMULATED ALLERGEN", ien)) == 1


def test_ddr_errors_name_the_file_from_the_dialog_file(store: GlobalStore) -> None:
    chk = check_module()
    gets = chk.ddr("DDR GETS ENTRY DATA", FILE="999", IENS="1,", FIELDS="*", OPTIONS="U")
    screened = chk.ddr("DDR FIND1", FILE="120.82", VALUE="PEA", SCREEN="I 1")
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        missing = rows(exchange(sock, gets))
        refused = rows(exchange(sock, screened))
    assert missing == [
        b"[BEGIN_diDATA]",
        b"[END_diDATA]",
        b"[BEGIN_diERRORS]",
        b"401^1^999^^^1",
        b"FILE^999",
        b"File #999 does not exist.",
        b"[END_diERRORS]",
    ]
    assert refused[:3] == [b"", b"[BEGIN_diERRORS]", b"202^1^^^^1"]
    assert refused[4] == b"The input parameter that identifies the SCREEN is missing or invalid."


def test_ddr_lister_unpacked_lists_iens_and_field_values(store: GlobalStore) -> None:
    chk = check_module()
    req = chk.ddr("DDR LISTER", FILE="120.82", FIELDS="@;.01", MAX="2", XREF="B", PART="PEAN")
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        lines = rows(exchange(sock, req))
    assert lines == [
        b"[Misc]",
        b"MORE^PEANUT OIL^",
        b"[BEGIN_diDATA]",
        b"BEGIN_IENs",
        b"484",
        b"106",
        b"END_IENs",
        b"BEGIN_IDVALUES",
        b".01;^1",
        b"PEANUT BUTTER",
        b"PEANUT OIL",
        b"END_IDVALUES",
        b"[END_diDATA]",
    ]


def test_vitals_come_from_the_measurement_file_and_its_index(store: GlobalStore) -> None:
    chk = check_module()
    pulse = store.next_subscript("GMRD", ("120.51", "B", "PULSE"), None)
    assert pulse is not None
    store.set("GMR", ("120.5", "77", "0"), "3261120.0915^1^" + pulse + "^^^^^72")
    store.set("PXRMINDX", ("120.5", "PI", "1", pulse, "3261120.0915", "77"), "")
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        reply = exchange(sock, chk.rpc("ORQQVI VITALS", ["1", "3260101", "3261231"]))
        other = exchange(sock, chk.rpc("ORQQVI VITALS", ["3"]))
    assert rows(reply) == [b"77^P^72^3261120.0915"]
    assert other == b"\x00\x00\x04"


def test_problem_list_reads_the_problem_file(store: GlobalStore) -> None:
    register_rpc(store, 17, "ORQQPL PROBLEM LIST", "LIST", "ORQQPL", 2)
    store.set("AUPNPROB", ("5", "0"), "^1^3261001^^9^^^3261001^^^^A^3250615")
    store.set("AUPNPROB", ("AC", "1", "5"), "")
    store.set("AUTNPOV", ("9", "0"), "Seasonal allergic rhinitis")
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        one = exchange(sock, rpc_call("ORQQPL PROBLEM LIST", literal_param(b"1")))
        three = exchange(sock, rpc_call("ORQQPL PROBLEM LIST", literal_param(b"3")))
    assert rows(one) == [b"5^Seasonal allergic rhinitis^A^^3250615^3261001"]
    assert rows(three) == [b"^No problems found."]


def test_select_records_the_patient_and_takes_a_literal_reference(store: GlobalStore) -> None:
    select = rpc_call("ORWPT SELECT", b"1" + b"003" + b'"3"' + b"f")
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        reply = exchange(sock, select)
    assert reply.startswith(b"\x00\x00LABPATIENT,THREE^M^2380930^")
    assert store.get("DISV", ("90001", "^DPT(")) == "3"


def test_an_entry_point_the_simulator_lacks_is_an_m_error(store: GlobalStore) -> None:
    register_rpc(store, 18, "ZZ MISSING", "NOPE", "ZZNONE", 1)
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        reply = exchange(sock, rpc_call("ZZ MISSING"))
    assert reply.startswith(b"\x00\x00\x18M  ERROR=CAPI+14^XWBPRS, Label referenced")
    assert reply.endswith(b'LAST REF=^%ZTSCH("LOGRSRC")\x04\x04')


def test_rpcs_outside_the_context_are_refused_before_sign_on(store: GlobalStore) -> None:
    chk = check_module()
    with (
        lab_server(store) as (server, _),
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock,
    ):
        exchange(sock, chk.TCPCONNECT)
        reply = exchange(sock, chk.rpc("ORQQAL LIST", ["1"]))
    text = b"Application context has not been created!"
    assert reply == bytes([len(text)]) + text + b"\x00\x04"


def test_id_info_names_the_attending_through_fileman(store: GlobalStore) -> None:
    """IDINFO^ORWPT: piece 10 is $$GET1^DIQ(200,attending,.01) of ^DPT(DFN,.1041)."""
    chk = check_module()
    store.set("DPT", ("3", ".1041"), "90001")
    store.set("DPT", ("3", "VET"), "Y")
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        reply = exchange(sock, chk.rpc("ORWPT ID INFO", ["3"]))
    assert reply == b"\x00\x00000000003^2380930^M^Y^^^^LABPATIENT,THREE^^LABUSER,ONE\x04"


def test_ddr_gets_flag_n_leaves_out_empty_fields(store: GlobalStore) -> None:
    chk = check_module()
    req = chk.ddr("DDR GETS ENTRY DATA", FILE="8994", IENS="10,", FIELDS="*", FLAGS="IEN")
    bad = chk.ddr("DDR GETS ENTRY DATA", FILE="8994", IENS="10,", FIELDS="a:b", FLAGS="I")
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        lines = rows(exchange(sock, req))
        refused = rows(exchange(sock, bad))
    assert lines[0] == b"[Data]"
    assert [line.split(b"^")[2] for line in lines[1:]] == [
        b".01",
        b".02",
        b".03",
        b".04",
        b".05",
        b".08",
    ]
    assert refused == [b"[ERROR]"]
