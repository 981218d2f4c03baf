"""Helpers for the simulator tests: the lab's globals in a fresh store, check.py, a server."""

from __future__ import annotations

import importlib.util
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from bridge.simulator import VistaHandler, VistaSettings, load_store, zwr_files
from globals_map.store import GlobalStore
from rpc.simulator import BrokerServer, ServerConfig, Timings, running_in_thread
from tests.conftest import shared_path

#: Short waits for tests: check.py's socket timeout (60 s) allows any, the suite stays fast.
FAST = Timings(drain=0.05, trap_hang=0.05, read=2.0)
#: $SYSTEM piece 2 of the engine the flows were recorded on (its gtm_sysid).
LAB_SYSTEM_ID = "vistalab"


def lab_store() -> GlobalStore:
    """A fresh memory store holding ../shared/vista-lab/globals/*.zwr (lab files last)."""
    return load_store(zwr_files(shared_path("vista-lab", "globals")))


def check_module() -> ModuleType:
    """../shared/vista-lab/check.py, imported in place (stdlib only)."""
    path = shared_path("vista-lab", "check.py")
    name = "vista_lab_check"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def lab_server(
    store: GlobalStore | None = None,
    timings: Timings = FAST,
    lockout_hang: float = 0.05,
) -> Iterator[tuple[BrokerServer, VistaHandler]]:
    """The simulator over the lab's globals on 127.0.0.1, port chosen by the OS."""
    handler = VistaHandler(
        store if store is not None else lab_store(),
        VistaSettings(system_id=LAB_SYSTEM_ID, lockout_hang=lockout_hang),
    )
    with running_in_thread(handler, ServerConfig(timings=timings)) as server:
        yield server, handler


def exchange(sock: socket.socket, request: bytes) -> bytes:
    """Send one request, read up to the response's final EOT."""
    sock.sendall(request)
    buf = b""
    while not buf.endswith(b"\x04"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf


@contextmanager
def signed_on(port: int, context: str | None = "OR CPRS GUI CHART") -> Iterator[socket.socket]:
    """A connection through TCPConnect, SIGNON SETUP, AV CODE and (optionally) a context."""
    chk = check_module()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        assert exchange(sock, chk.TCPCONNECT) == b"\x00\x00accept\x04"
        exchange(sock, chk.rpc("XUS SIGNON SETUP"))
        av = exchange(sock, chk.rpc("XUS AV CODE", [chk.encrypt(chk.ACCESS + ";" + chk.VERIFY)]))
        assert av.startswith(b"\x00\x0090001\r\n"), av
        if context:
            assert exchange(sock, chk.rpc("XWB CREATE CONTEXT", [chk.encrypt(context)])) == (
                b"\x00\x001\x04"
            )
        yield sock


def register_rpc(
    store: GlobalStore, ien: int, name: str, tag: str, routine: str, rtype: int, option: int = 1
) -> None:
    """Add a REMOTE PROCEDURE entry and put it in an option's RPC multiple, as VistA keeps
    them (^XWB(8994,ien,0), its "B" index, ^DIC(19,option,"RPC",n,0))."""
    store.set("XWB", ("8994", str(ien), "0"), f"{name}^{tag}^{routine}^{rtype}^R")
    store.set("XWB", ("8994", "B", name, str(ien)), "")
    last = store.prev_subscript("DIC", ("19", str(option), "RPC"), "B") or "0"
    n = str(int(last) + 1)
    store.set("DIC", ("19", str(option), "RPC", n, "0"), str(ien))
    store.set("DIC", ("19", str(option), "RPC", "B", str(ien), n), "")
