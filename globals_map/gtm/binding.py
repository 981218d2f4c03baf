"""ctypes binding to GT.M's call-in interface (``libgtmshr.so``); no compiler needed.

Every method here must run on the one thread that called ``gtm_init`` (see
:mod:`globals_map.gtm.runtime`): libgtmshr is not thread-safe, and concurrent calls crash the
process.  The binding therefore owns reusable argument structures and one large output buffer
without locking.  Strings travel as ``gtm_string_t`` (length, address) by pointer, integers as
``c_long`` by value; an output string's length is set to its buffer's capacity before the call.
An M error comes back as a non-zero status, turned into :class:`EngineError` carrying
``gtm_zstatus``'s text.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
from collections.abc import Iterator
from typing import Any

from globals_map.errors import EngineError, InvalidSubscriptError
from globals_map.gtm.environment import CALL_INS, GtmEnvironment

#: GT.M's longest string (and longest value): 1 MiB.
MAX_STRING = 1 << 20
_OUT_CAPACITY = MAX_STRING + 65536


class _SigAction(ctypes.Structure):
    """glibc's ``struct sigaction`` on x86-64 (handler, 1024-bit mask, flags, restorer)."""

    _fields_ = (
        ("handler", ctypes.c_void_p),
        ("mask", ctypes.c_ulong * 16),
        ("flags", ctypes.c_int),
        ("restorer", ctypes.c_void_p),
    )


#: Signals whose handlers the host program owns: Ctrl-C, a server's graceful stop, hang-up.
HOST_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGPIPE)


@contextlib.contextmanager
def kept_signal_handlers() -> Iterator[None]:
    """Put back, after ``gtm_init``, the host's handlers for :data:`HOST_SIGNALS`.

    Measured: ``gtm_init`` installs GT.M's handlers for SIGINT (Ctrl-C then no longer raises
    ``KeyboardInterrupt``) and SIGTERM (the process ends at once with ``%GTM-F-FORCEDHALT``,
    skipping Python's handler and a server's graceful shutdown).  A signal that had no handler
    before (``SIG_DFL``) keeps GT.M's, which at least runs the database down on exit; GT.M's
    timer (SIGALRM) and $ZINTERRUPT (SIGUSR1) handlers are left alone.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    saved: dict[int, _SigAction] = {}
    for signum in (int(s) for s in HOST_SIGNALS):
        old = _SigAction()
        if libc.sigaction(signum, None, ctypes.byref(old)) == 0 and old.handler:
            saved[signum] = old  # handler 0 is SIG_DFL
    try:
        yield
    finally:
        for signum, old in saved.items():
            libc.sigaction(signum, ctypes.byref(old), None)


class KeyTooLongError(InvalidSubscriptError):
    """The node's key (name and subscripts) is longer than the database allows."""


class GtmString(ctypes.Structure):
    _fields_ = (("length", ctypes.c_long), ("address", ctypes.c_char_p))


class CiNameDescriptor(ctypes.Structure):
    _fields_ = (("rtn_name", GtmString), ("handle", ctypes.c_void_p))


class CallIns:
    """The call-in entry points of ``VBRIDGE.m``, bound through ``gtm_cip``."""

    def __init__(self, env: GtmEnvironment) -> None:
        env.apply()
        self.env = env
        self.lib = ctypes.CDLL(str(env.library), mode=ctypes.RTLD_GLOBAL)
        self.lib.gtm_init.restype = ctypes.c_int
        self.lib.gtm_exit.restype = ctypes.c_int
        self.lib.gtm_zstatus.restype = None
        self.lib.gtm_zstatus.argtypes = (ctypes.c_char_p, ctypes.c_int)
        with kept_signal_handlers():
            status = self.lib.gtm_init()
        if status != 0:
            raise EngineError(f"gtm_init failed: {self._zstatus()}", status)
        self._cip = self.lib.gtm_cip
        self._cip.restype = ctypes.c_int
        self._names = {name: ctypes.create_string_buffer(name.encode()) for name, _ in CALL_INS}
        self._desc = {}
        for name, buf in self._names.items():
            desc = CiNameDescriptor()
            desc.rtn_name.length = len(name)
            desc.rtn_name.address = ctypes.cast(buf, ctypes.c_char_p)
            desc.handle = None
            self._desc[name] = desc
        self._ret = ctypes.c_long(0)
        self._ret_ref = ctypes.byref(self._ret)
        self._in = [GtmString() for _ in range(4)]
        self._in_refs = [ctypes.byref(s) for s in self._in]
        self._out_buf = ctypes.create_string_buffer(_OUT_CAPACITY)
        self._out = GtmString()
        self._out.address = ctypes.cast(self._out_buf, ctypes.c_char_p)
        self._out_ref = ctypes.byref(self._out)
        self._zbuf = ctypes.create_string_buffer(2048)
        self.exited = False

    # -- plumbing ------------------------------------------------------------------------
    def _zstatus(self) -> str:
        self.lib.gtm_zstatus(self._zbuf, len(self._zbuf))
        return self._zbuf.value.decode("latin-1")

    def _call(self, name: str, *args: Any) -> int:
        status = self._cip(ctypes.byref(self._desc[name]), self._ret_ref, *args)
        if status != 0:
            message = self._zstatus()
            if "GVSUBOFLOW" in message or "KEY2BIG" in message:
                raise KeyTooLongError(
                    "global name and subscripts exceed the database's key size (GT.M allows at "
                    "most 1019 bytes; see globals_map.engine_db)"
                )
            raise EngineError(f"GT.M error in {name}: {message}", status)
        return self._ret.value

    def _s(self, slot: int, data: bytes) -> Any:
        s = self._in[slot]
        s.length = len(data)
        s.address = data
        return self._in_refs[slot]

    def _o(self) -> Any:
        self._out.length = _OUT_CAPACITY
        return self._out_ref

    def _out_bytes(self) -> bytes:
        return ctypes.string_at(self._out_buf, self._out.length)

    # -- entry points (see VBRIDGE.m for what each does) -----------------------------------
    def get(self, g: bytes, pk: bytes) -> tuple[int, bytes]:
        d = self._call("vb_get", self._s(0, g), self._s(1, pk), self._o())
        return d, self._out_bytes() if d % 2 else b""

    def data(self, g: bytes, pk: bytes) -> int:
        return self._call("vb_data", self._s(0, g), self._s(1, pk))

    def set(self, g: bytes, pk: bytes, value: bytes) -> None:
        self._call("vb_set", self._s(0, g), self._s(1, pk), self._s(2, value))

    def kill(self, g: bytes, pk: bytes, node_only: bool) -> None:
        self._call("vb_kill", self._s(0, g), self._s(1, pk), ctypes.c_long(int(node_only)))

    def order(self, g: bytes, pk: bytes, start: bytes, direction: int) -> bytes | None:
        found = self._call(
            "vb_order",
            self._s(0, g),
            self._s(1, pk),
            self._s(2, start),
            ctypes.c_long(direction),
            self._o(),
        )
        return self._out_bytes() if found else None

    def query(self, g: bytes, pk: bytes) -> bytes | None:
        found = self._call("vb_query", self._s(0, g), self._s(1, pk), self._o())
        return self._out_bytes() if found else None

    def set_many(self, packet: bytes) -> int:
        return self._call("vb_setm", self._s(0, packet))

    def atomic(self, packet: bytes) -> int:
        return self._call("vb_atomic", self._s(0, packet))

    def read(
        self, g: bytes, pk: bytes, start: bytes, mode: int, limit: int, cap: int
    ) -> tuple[int, bytes]:
        count = self._call(
            "vb_read",
            self._s(0, g),
            self._s(1, pk),
            self._s(2, start),
            ctypes.c_long(mode),
            ctypes.c_long(limit),
            ctypes.c_long(cap),
            self._o(),
        )
        return count, self._out_bytes()

    def names(self, after: bytes) -> list[bytes]:
        count = self._call("vb_names", self._s(0, after), self._o())
        return self._out_bytes().split(b"\0") if count else []

    def lock(self, g: bytes, pk: bytes, timeout_ms: int, increment: bool) -> bool:
        granted = self._call(
            "vb_lock",
            self._s(0, g),
            self._s(1, pk),
            ctypes.c_long(timeout_ms),
            ctypes.c_long(int(increment)),
        )
        return bool(granted)

    def set_gbldir(self, gbldir: bytes) -> None:
        self._call("vb_setgd", self._s(0, gbldir))

    def nop(self) -> int:
        return self._call("vb_nop")

    def exit(self) -> None:
        """``gtm_exit``: run GT.M down for this process (databases flushed and detached)."""
        if not self.exited:
            self.exited = True
            self.lib.gtm_exit()
