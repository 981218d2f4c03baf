"""Every text comes from the store: change a node, the answer changes with it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from globals_map.store import GlobalStore
from tests.bridge.simulator_lab import check_module, exchange, lab_server, lab_store, signed_on


@pytest.fixture
def store() -> Iterator[GlobalStore]:
    yield lab_store()


def test_intro_text_comes_from_kernel_system_parameters(store: GlobalStore) -> None:
    chk = check_module()
    store.set("XTV", ("8989.3", "1", "INTRO", "1", "0"), "Welcome to the simulator lab")
    store.kill("XTV", ("8989.3", "1", "INTRO", "2"))
    with lab_server(store) as (server, _), signed_on(server.port, context=None) as sock:
        reply = exchange(sock, chk.rpc("XUS INTRO MSG"))
    assert reply.startswith(b"\x00\x00Welcome to the simulator lab\r\n     NAME ")
    assert b"VEHU or CPRS DEMO" not in reply


def test_sign_on_refusal_text_comes_from_the_dialog_file(store: GlobalStore) -> None:
    chk = check_module()
    store.set("DI", (".84", "30810.04", "2", "1", "0"), "Those codes are not right.")
    with lab_server(store) as (server, _):
        import socket

        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            exchange(sock, chk.TCPCONNECT)
            exchange(sock, chk.rpc("XUS SIGNON SETUP"))
            bad = chk.rpc("XUS AV CODE", [chk.encrypt(chk.ACCESS + ";NOPE")])
            reply = exchange(sock, bad)
    assert reply == b"\x00\x000\r\n0\r\n0\r\nThose codes are not right.\r\n0\r\n0\r\n\x04"


def test_allergy_rows_follow_the_allergy_file(store: GlobalStore) -> None:
    chk = check_module()
    zero = store.get("GMR", ("120.8", "1", "0"))
    assert zero is not None
    parts = zero.split("^")
    parts[1] = "STRAWBERRIES ( FREE TEXT )"
    store.set("GMR", ("120.8", "1", "0"), "^".join(parts))
    store.set("GMR", ("120.8", "1", "10", "1", "0"), "1")  # sign/symptom: HIVES (120.83 #1)
    store.set("GMR", ("120.8", "320", "ER"), "1")  # entered in error: dropped
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        reply = exchange(sock, chk.rpc("ORQQAL LIST", ["1"]))
    lines = reply[2:-1].split(b"\r\n")
    assert lines[0] == b"1^STRAWBERRIES ( FREE TEXT )^^HIVES"
    assert not any(line.startswith(b"320^") for line in lines)
    assert len(lines) == 9  # 8 rows + the empty piece after the last CR LF


def test_fileman_fields_follow_data_and_dictionary(store: GlobalStore) -> None:
    chk = check_module()
    store.set("GMRD", ("120.82", "3", "0"), "DARK CHOCOLATE^DF^1")
    store.set("DD", ("120.82", "2", "0"), "NATIONAL ALLERGY^SX^1:NATIONWIDE;^0;3^Q")
    req = chk.ddr("DDR GETS ENTRY DATA", FILE="120.82", IENS="3,", FIELDS=".01;2", FLAGS="IE")
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        reply = exchange(sock, req)
    assert reply == (
        b"\x00\x00[Data]\r\n120.82^3^.01^DARK CHOCOLATE^DARK CHOCOLATE\r\n"
        b"120.82^3^2^1^NATIONWIDE\r\n\x04"
    )


def test_rpc_registry_and_menus_come_from_the_store(store: GlobalStore) -> None:
    """Remove ORQQAL LIST from the option's RPC multiple: the context check refuses it."""
    chk = check_module()
    store.kill("DIC", ("19", "1", "RPC", "1"))
    with lab_server(store) as (server, _), signed_on(server.port) as sock:
        reply = exchange(sock, chk.rpc("ORQQAL LIST", ["1"]))
        renamed = exchange(sock, chk.rpc("XWB IM HERE"))
    text = b"The remote procedure ORQQAL LIST is not registered to the option OR CPRS GUI CHART."
    assert reply == bytes([len(text)]) + text + b"\x00\x04"
    assert renamed == b"\x00\x001\x04"


def test_codes_are_compared_hashed_as_new_person_holds_them(store: GlobalStore) -> None:
    """CHECKAV^XUS hashes both codes (EN^XUSHSH) before looking in NEW PERSON."""
    import socket

    from bridge.simulator import VistaHandler, VistaSettings
    from rpc.simulator import ServerConfig, running_in_thread
    from tests.bridge.simulator_lab import FAST, LAB_SYSTEM_ID

    chk = check_module()
    store.kill("VA", ("200", "A", "LABUSER1"))
    store.set("VA", ("200", "A", "1RESUBAL", "90001"), "1")
    store.set("VA", ("200", "90001", ".1"), "3260101^!!1RESUBAL")
    settings = VistaSettings(system_id=LAB_SYSTEM_ID, code_hash=lambda code: code[::-1])
    handler = VistaHandler(store, settings)
    with (
        running_in_thread(handler, ServerConfig(timings=FAST)) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock,
    ):
        exchange(sock, chk.TCPCONNECT)
        exchange(sock, chk.rpc("XUS SIGNON SETUP"))
        reply = exchange(sock, chk.rpc("XUS AV CODE", [chk.encrypt("labuser1;labuser1!!")]))
    assert reply.startswith(b"\x00\x0090001\r\n0\r\n0\r\n\r\n")
