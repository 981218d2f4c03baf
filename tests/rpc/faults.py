"""Loopback fault injection for the broker tests: a proxy in front of a real (replay) broker
that breaks one answer on demand, and a fake server that runs a scripted misbehaviour.

Both listen on 127.0.0.1 at a free port, run in daemon threads, and close every socket they
opened in :meth:`close`; every wait is bounded so no test can hang on them."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from enum import Enum


class Fault(Enum):
    CLOSE_MID_MESSAGE = "close mid-message"
    GARBAGE = "garbage"
    LYING_LENGTH = "lying length"
    STALL = "stall"


class FaultProxy:
    """Forwards bytes both ways; the first answer to a request containing ``trigger`` is broken
    as ``fault`` says (once), every other byte passes untouched."""

    def __init__(
        self, upstream: tuple[str, int], fault: Fault | None = None, trigger: bytes = b""
    ) -> None:
        self.upstream, self.fault, self.trigger = upstream, fault, trigger
        self.fired = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.host, self.port = self._listener.getsockname()[:2]
        self._stop = threading.Event()
        self._socks: list[socket.socket] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _track(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._socks.append(sock)
        return sock

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._track(client)
            try:
                server = self._track(socket.create_connection(self.upstream, timeout=2))
            except OSError:
                client.close()
                continue
            armed = threading.Event()
            for target, args in (
                (self._up, (client, server, armed)),
                (self._down, (server, client, armed)),
            ):
                thread = threading.Thread(target=target, args=args, daemon=True)
                with self._lock:
                    self._threads.append(thread)
                thread.start()

    def _up(self, src: socket.socket, dst: socket.socket, armed: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if self.fault and self.trigger in data and not self.fired.is_set():
                    armed.set()
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def _down(self, src: socket.socket, dst: socket.socket, armed: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if armed.is_set() and not self.fired.is_set():
                    self.fired.set()
                    self._break(data, src, dst)
                    return
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def _break(self, data: bytes, src: socket.socket, dst: socket.socket) -> None:
        if self.fault is Fault.CLOSE_MID_MESSAGE:
            dst.sendall(data[: max(1, len(data) // 2)])
            for sock in (dst, src):  # shutdown wakes the other thread blocked in recv
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        elif self.fault is Fault.GARBAGE:
            dst.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 3)
        elif self.fault is Fault.LYING_LENGTH:
            dst.sendall(b"\xf0only a few bytes of the 240 announced")
        # STALL: send nothing; the connection stays open until the client gives up

    def drop_connections(self) -> None:
        """Close every proxied connection, as a broker whose processes were halted would."""
        with self._lock:
            socks, self._socks = list(self._socks), []
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        with self._lock:
            socks = list(self._socks)
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        for thread in self._threads:
            thread.join(2)


class FakeServer:
    """Runs ``script(conn)`` for each connection; closes the connection afterwards."""

    def __init__(self, script: Callable[[socket.socket], None]) -> None:
        self.script = script
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.host, self.port = self._listener.getsockname()[:2]
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._accepter = threading.Thread(target=self._accept, daemon=True)
        self._accepter.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(3)
            self._conns.append(conn)
            thread = threading.Thread(target=self._run, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _run(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            self.script(conn)
        conn.close()

    def close(self) -> None:
        self._stop.set()
        self._accepter.join(2)
        self._listener.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        for thread in self._threads:
            thread.join(2)


def read_request(conn: socket.socket) -> bytes:
    """Read one XWB request (up to its final $C(4)) as a server would, bounded."""
    buf = b""
    while not buf.endswith(b"\x04") and len(buf) < 65536:
        chunk = conn.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf
