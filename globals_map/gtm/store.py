"""``GtmStore``: the GlobalStore contract on a GT.M database, in-process.

Every call becomes one job for the process's GT.M thread (:mod:`globals_map.gtm.runtime`);
batch operations (``read_subtree``, ``set_many``) move many nodes per call-in; the bulk reads
(one job walking a whole subtree while another thread decodes) are :mod:`globals_map.gtm.bulk`.
Names are validated here (:func:`normalize_name`)
before they reach M; subscripts and values travel as data (:mod:`globals_map.gtm.packing`).
GT.M decides which subscripts are numbers by the same canonical rule as :mod:`parsers.canonical`
(a test pins the agreement), so order matches :class:`~globals_map.memory.MemoryStore` exactly.

Transactions and locks: GT.M refuses a TSTART left open when a call-in returns (``TPQUIT``),
so a transaction applies writes at once and keeps an undo log (:mod:`globals_map.gtm.undo`);
``apply_atomically`` is the real TP path for a batch.  GT.M's LOCK belongs to the process, so a
per-thread lock table (as in MemoryStore) stands in front of it; the engine LOCK is tried
without blocking the GT.M thread and retried until the timeout.
"""

from __future__ import annotations

import concurrent.futures
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from globals_map.errors import EngineError, TransactionError
from globals_map.gtm.binding import MAX_STRING, CallIns
from globals_map.gtm.bulk import BulkReads
from globals_map.gtm.calls import EngineCalls
from globals_map.gtm.environment import GtmEnvironment, discover
from globals_map.gtm.jobs import names_job, set_job, set_many_job
from globals_map.gtm.packing import (
    pack_set,
    pack_subscripts,
    packed_name,
    unpack_subscripts,
)
from globals_map.gtm.runtime import GtmRuntime, get_runtime
from globals_map.gtm.undo import Undo, UndoTransactions
from globals_map.locktable import LockTimeoutError
from globals_map.store import (
    Subscript,
    Subscripts,
    check_value,
    normalize_subscripts,
)
from parsers.collation import decode_m, encode_m

T = TypeVar("T")

#: Bytes per set_many packet.
SET_PACKET_BYTES = 256 * 1024


class GtmStore(BulkReads, UndoTransactions):
    """GlobalStore on a GT.M database through the call-in interface."""

    backend = "gtm"

    def __init__(
        self,
        gbldir: str | os.PathLike[str] | None = None,
        *,
        gtm_dist: str | os.PathLike[str] | None = None,
        routines: str | None = None,
        cache_dir: Path | None = None,
        env: GtmEnvironment | None = None,
        engine_thread: str = "dedicated",
    ) -> None:
        """Open the database of ``gbldir`` (else ``$gtmgbldir``).

        ``engine_thread``: ``"dedicated"`` (default; any thread or event loop may call) or
        ``"caller"`` (this thread calls GT.M directly, several times faster per single-node
        call; other threads are refused).  The first store of the process decides.
        """
        if engine_thread not in ("dedicated", "caller"):
            raise ValueError("engine_thread must be 'dedicated' or 'caller'")
        self.env = env or discover(
            gtm_dist=gtm_dist, gbldir=gbldir, routines=routines, cache_dir=cache_dir
        )
        genv = self.env
        runtime = get_runtime(
            lambda: CallIns(genv), str(genv.gbldir), dedicated=engine_thread == "dedicated"
        )
        self._setup(runtime, str(genv.gbldir))

    def _setup(self, runtime: GtmRuntime, gbldir: str) -> None:
        """State shared by every engine store: the runtime, the global directory, the locks."""
        self._gbldir = gbldir
        self._gbldir_bytes = gbldir.encode()
        self._rt: GtmRuntime = runtime
        self._mutex = runtime.mutex
        self._undo: list[Undo] | None = None
        self._marks: list[int] = []
        self._locks = runtime.locks
        self._closed = False

    # -- plumbing ------------------------------------------------------------------------
    def _bind(self, fn: Callable[[EngineCalls], T]) -> Callable[[EngineCalls], T]:
        """``fn`` as a job that first points GT.M at this store's global directory."""
        rt = self._rt
        gbldir = self._gbldir

        def job(ci: EngineCalls) -> T:
            if rt.current_gbldir != gbldir:
                ci.set_gbldir(self._gbldir_bytes)
                rt.current_gbldir = gbldir
            return fn(ci)

        return job

    def _run(self, fn: Callable[[EngineCalls], T]) -> T:
        if self._closed:
            raise EngineError("this GtmStore is closed")
        with self._mutex:
            return self._rt.call(self._bind(fn))

    @property
    def runtime(self) -> GtmRuntime:
        return self._rt

    @property
    def gbldir(self) -> str:
        """The global directory this store reads and writes."""
        return self._gbldir

    # -- reads ---------------------------------------------------------------------------
    def get(self, name: str, subs: Sequence[Subscript] = ()) -> str | None:
        g = packed_name(name)
        pk = pack_subscripts(normalize_subscripts(subs))
        d, value = self._run(lambda ci: ci.get(g, pk))
        return decode_m(value) if d % 2 else None

    def data(self, name: str, subs: Sequence[Subscript] = ()) -> int:
        g = packed_name(name)
        pk = pack_subscripts(normalize_subscripts(subs))
        return self._run(lambda ci: ci.data(g, pk))

    def _order(
        self, name: str, parent: Sequence[Subscript], start: str | None, direction: int
    ) -> str | None:
        g = packed_name(name)
        pk = pack_subscripts(normalize_subscripts(parent))
        sb = encode_m(start) if start else b""
        found = self._run(lambda ci: ci.order(g, pk, sb, direction))
        return None if found is None else decode_m(found)

    def next_subscript(
        self, name: str, parent: Sequence[Subscript], after: str | None = None
    ) -> str | None:
        return self._order(name, parent, after, 1)

    def prev_subscript(
        self, name: str, parent: Sequence[Subscript], before: str | None = None
    ) -> str | None:
        return self._order(name, parent, before, -1)

    def next_node(self, name: str, subs: Sequence[Subscript] = ()) -> Subscripts | None:
        g = packed_name(name)
        pk = pack_subscripts(normalize_subscripts(subs))
        found = self._run(lambda ci: ci.query(g, pk))
        return None if found is None else unpack_subscripts(found)

    def global_names(self) -> list[str]:
        names: list[str] = []
        after = b""
        while True:
            chunk = self._run(names_job(after))
            if not chunk:
                return names
            names.extend(c.decode("ascii") for c in chunk)
            after = chunk[-1]

    # -- writes --------------------------------------------------------------------------
    def set(self, name: str, subs: Sequence[Subscript], value: str) -> None:
        g = packed_name(name)
        nsubs = normalize_subscripts(subs)
        pk = pack_subscripts(nsubs)
        vb = encode_m(check_value(value))
        self._write_node(g, pk, lambda ci: ci.set(g, pk, vb))

    def _write_node(self, g: bytes, pk: bytes, write: Callable[[EngineCalls], object]) -> None:
        """One node's SET or ZKILL (``write``); inside :meth:`transaction` the old value is
        read in the same job and logged for the undo step."""
        with self._mutex:
            if self._undo is None:
                self._run(write)
                return

            def write_keep_old(ci: EngineCalls) -> tuple[int, bytes]:
                old = ci.get(g, pk)
                write(ci)
                return old

            d, old = self._run(write_keep_old)
            self._undo.append(("value", g, pk, old if d % 2 else None))

    def set_many(self, items: Iterable[tuple[str, Sequence[Subscript], str]]) -> int:
        """Set many nodes in packets of about 256 KB, packing the next while GT.M sets one."""
        with self._mutex:
            if self._undo is not None:
                count = 0
                for name, subs, value in items:
                    self.set(name, subs, value)
                    count += 1
                return count
            return self._set_packets(items)

    def _set_packets(self, items: Iterable[tuple[str, Sequence[Subscript], str]]) -> int:
        count = 0
        packet: list[bytes] = []
        size = 0
        pending: concurrent.futures.Future[int] | None = None
        for name, subs, value in items:
            g = packed_name(name)
            pk = pack_subscripts(normalize_subscripts(subs))
            vb = encode_m(check_value(value))
            if len(vb) > SET_PACKET_BYTES:
                self._run(set_job(g, pk, vb))
                count += 1
                continue
            rec = pack_set(g, pk, vb)
            packet.append(rec)
            size += len(rec)
            if size >= SET_PACKET_BYTES:
                if pending is not None:
                    count += pending.result()
                data = b"".join(packet)
                pending = self._rt.submit(self._bind(set_many_job(data)))
                packet, size = [], 0
        if pending is not None:
            count += pending.result()
        if packet:
            data = b"".join(packet)
            count += self._run(lambda ci: ci.set_many(data))
        return count

    def apply_atomically(self, ops: Iterable[tuple[str, str, Sequence[Subscript], str]]) -> int:
        """Apply ``(op, name, subscripts, value)`` with op ``"set"``, ``"kill"`` or
        ``"kill_node"`` as one engine transaction (TSTART/TCOMMIT in one call-in): all or
        nothing, and other processes see none of it before the end.  At most ~1 MiB of data
        (one GT.M string); not inside :meth:`transaction`.  Returns the number of operations.
        """
        codes = {"set": b"S", "kill": b"K", "kill_node": b"Z"}
        parts: list[bytes] = []
        for op, name, subs, value in ops:
            if op not in codes:
                raise TransactionError(f"unknown operation {op!r}: use set, kill or kill_node")
            vb = encode_m(check_value(value)) if op == "set" else b""
            parts.append(
                codes[op]
                + pack_set(packed_name(name), pack_subscripts(normalize_subscripts(subs)), vb)
            )
        packet = b"".join(parts)
        if len(packet) > MAX_STRING - 4096:
            raise TransactionError("atomic batch larger than one GT.M string (1 MiB): split it")
        with self._mutex:
            if self._undo is not None:
                raise TransactionError("apply_atomically cannot run inside transaction()")
            return self._run(lambda ci: ci.atomic(packet))

    def kill(self, name: str, subs: Sequence[Subscript] = ()) -> None:
        g = packed_name(name)
        nsubs = normalize_subscripts(subs)
        pk = pack_subscripts(nsubs)
        with self._mutex:
            if self._undo is not None:
                saved = [
                    (g, pack_subscripts(s), encode_m(v)) for s, v in self.iter_subtree(name, nsubs)
                ]
                self._undo.append(("tree", g, pk, saved))
            self._run(lambda ci: ci.kill(g, pk, False))

    def kill_node(self, name: str, subs: Sequence[Subscript] = ()) -> None:
        g = packed_name(name)
        pk = pack_subscripts(normalize_subscripts(subs))
        self._write_node(g, pk, lambda ci: ci.kill(g, pk, True))

    def kill_all(self) -> int:
        """KILL every global of the database (tests start each case from an empty store)."""
        names = self.global_names()
        for name in names:
            self.kill(name)
        return len(names)

    # -- locks -------------------------------------------------------------------------
    @contextmanager
    def lock(
        self, name: str, subs: Sequence[Subscript] = (), timeout: float = 10.0
    ) -> Iterator[None]:
        """Incremental LOCK on a node (other threads and other processes wait)."""
        g = packed_name(name)
        pk = pack_subscripts(normalize_subscripts(subs))
        deadline = time.monotonic() + max(timeout, 0.0)
        target = (self._gbldir_bytes + b"\0" + g, pk)  # a name is per database
        self._locks.acquire(target, deadline, timeout)
        try:
            self._engine_lock(g, pk, deadline, timeout)
        except BaseException:
            self._locks.release(target)
            raise
        try:
            yield
        finally:
            try:
                self._run(lambda ci: ci.lock(g, pk, 0, False))
            finally:
                self._locks.release(target)

    def _engine_lock(self, g: bytes, pk: bytes, deadline: float, timeout: float) -> None:
        """LOCK + with no wait, retried until the deadline: a lock held by another process
        must not stall the GT.M thread that every other thread of this process needs."""
        pause = 0.002
        while not self._run(lambda ci: ci.lock(g, pk, 0, True)):
            left = deadline - time.monotonic()
            if left <= 0:
                raise LockTimeoutError(f"LOCK on {g.decode()} not granted in {timeout}s")
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.05)

    def close(self) -> None:
        """Forget this store; the process's GT.M runtime stays up for other stores."""
        self._closed = True
