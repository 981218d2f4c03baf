"""The judge itself: the replay server answers VistA's recorded bytes and closes on any other."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.conftest import shared_path
from tests.rpc.replay import replay_server


def req(name: str) -> bytes:
    return Path(shared_path("vista-lab", "golden", f"{name}.req")).read_bytes()


def bin_(name: str) -> bytes:
    return Path(shared_path("vista-lab", "golden", f"{name}.bin")).read_bytes()


def exchange(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    buf = b""
    while not buf.endswith(b"\x04"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf


def test_one_wrong_byte_closes_the_connection_and_is_recorded() -> None:
    with replay_server() as server, socket.create_connection((server.host, server.port), 5) as s:
        wrong = bytearray(req("01_tcpconnect"))
        wrong[-3] ^= 1
        assert exchange(s, bytes(wrong)) == b""
        assert len(server.mismatches) == 1


def test_recorded_requests_get_recorded_answers_in_order_only() -> None:
    with replay_server() as server:
        with socket.create_connection((server.host, server.port), 5) as s:
            assert exchange(s, req("01_tcpconnect")) == bin_("01_tcpconnect")
            assert exchange(s, req("02_xus_signon_setup")) == bin_("02_xus_signon_setup")
            # GET USER INFO before AV CODE is not what VistA was sent at this point
            assert exchange(s, req("05_xus_get_user_info")) == b""
        assert server.served == ["01_tcpconnect", "02_xus_signon_setup"]
        assert len(server.mismatches) == 1


def test_requests_split_into_single_bytes_are_answered() -> None:
    with replay_server() as server, socket.create_connection((server.host, server.port), 5) as s:
        for byte in req("01_tcpconnect"):
            s.sendall(bytes([byte]))
        buf = b""
        while not buf.endswith(b"\x04"):
            buf += s.recv(100)
        assert buf == bin_("01_tcpconnect")
        assert server.mismatches == []
