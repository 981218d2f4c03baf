"""``GtmStore``: the GlobalStore contract on a GT.M database, in-process.

Every call becomes one job for the process's GT.M thread (:mod:`globals_map.gtm.runtime`);
batch operations (``read_subtree``, ``set_many``) move many nodes per call-in.  A whole-subtree
read is one job in which the engine thread walks chunk after chunk while another thread decodes
(measured on 1M nodes: from 0.15-0.38x to 0.3-0.6x of the native M ``$ORDER`` walk, the spread
being the shared machine's load); ``iter_subtree`` asks for one chunk ahead instead, because
its caller's code runs between chunks.  Names are validated here (:func:`normalize_name`)
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
import gc
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

from globals_map.errors import EngineError, TransactionError
from globals_map.gtm.binding import MAX_STRING, CallIns
from globals_map.gtm.calls import EngineCalls
from globals_map.gtm.environment import GtmEnvironment, discover
from globals_map.gtm.jobs import names_job, set_job, set_many_job
from globals_map.gtm.packing import (
    ESCAPED,
    pack_set,
    pack_subscripts,
    parse_records,
    read_header,
    separators_agree,
    split_read,
    unpack_subscripts,
)
from globals_map.gtm.runtime import GtmRuntime, get_runtime
from globals_map.gtm.undo import Undo, UndoTransactions
from globals_map.locktable import LockTimeoutError
from globals_map.store import (
    NodeItem,
    Subscript,
    Subscripts,
    check_value,
    normalize_name,
    normalize_subscripts,
)
from parsers.collation import decode_m, encode_m, node_key

T = TypeVar("T")

#: Bytes per bulk-read call-in (GT.M strings stop at 1 MiB).
READ_CHUNK_BYTES = 64 * 1024
#: Bytes per set_many packet.
SET_PACKET_BYTES = 256 * 1024


def _g(name: str) -> bytes:
    """The validated global name with its caret, as the routine takes it."""
    if type(name) is not str:
        normalize_name(name)  # raises the typed error
    return _caret_name(name)


@lru_cache(maxsize=4096)
def _caret_name(name: str) -> bytes:
    return b"^" + normalize_name(name).encode("ascii")


def _read_chunk(
    ci: EngineCalls, g: bytes, pk: bytes, start: bytes, mode: int, limit: int, cap: int
) -> tuple[int, bytes]:
    """One bulk-read chunk: unescaped first (the common case, and the cheap one for M), read
    again escaped when a field held a separator byte (:func:`separators_agree`)."""
    count, raw = ci.read(g, pk, start, mode, limit, cap)
    if not separators_agree(raw, count):
        count, raw = ci.read(g, pk, start, mode + ESCAPED, limit, cap)
    return count, raw


def _walk_job(
    g: bytes,
    pk: bytes,
    mode: int,
    start: bytes,
    limit: int,
    raws: queue.SimpleQueue[bytes | BaseException | None],
) -> Callable[[EngineCalls], None]:
    """A job that reads a whole subtree chunk after chunk, putting each chunk's records on
    ``raws`` (then None; or the error that stopped it).  The queue is unbounded, so the job
    never waits for its reader: the engine thread is free again as soon as the walk is over."""

    def job(ci: EngineCalls) -> None:
        m, s, left = mode, start, limit
        try:
            while True:
                count, raw = _read_chunk(ci, g, pk, s, m, left, READ_CHUNK_BYTES)
                more, cont, body_at = read_header(raw)
                raws.put(raw[body_at:])
                if limit:
                    left -= count
                if not more or (limit and left <= 0):
                    break
                m, s = more, cont
        except BaseException as exc:
            raws.put(exc)
            raise
        raws.put(None)

    return job


def _decode_into(
    raws: queue.SimpleQueue[bytes | BaseException | None],
    out: list[NodeItem],
    late: list[tuple[int, Subscripts]],
) -> None:
    """Decode the chunks of a walk job onto ``out`` until the job ends the queue; ``late``
    gets the positions (and subscripts) of values left out as too large."""
    while True:
        raw = raws.get()
        if raw is None:
            return
        if isinstance(raw, BaseException):
            raise raw
        items, oversize = parse_records(raw)
        late.extend((len(out) + i, items[i][0]) for i in oversize)
        out.extend(items)


class GtmStore(UndoTransactions):
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
        g = _g(name)
        pk = pack_subscripts(normalize_subscripts(subs))
        d, value = self._run(lambda ci: ci.get(g, pk))
        return decode_m(value) if d % 2 else None

    def data(self, name: str, subs: Sequence[Subscript] = ()) -> int:
        g = _g(name)
        pk = pack_subscripts(normalize_subscripts(subs))
        return self._run(lambda ci: ci.data(g, pk))

    def _order(
        self, name: str, parent: Sequence[Subscript], start: str | None, direction: int
    ) -> str | None:
        g = _g(name)
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
        g = _g(name)
        pk = pack_subscripts(normalize_subscripts(subs))
        found = self._run(lambda ci: ci.query(g, pk))
        return None if found is None else unpack_subscripts(found)

    def read_subtree(
        self,
        name: str,
        subs: Sequence[Subscript] = (),
        *,
        after: Sequence[Subscript] | None = None,
        limit: int | None = None,
    ) -> list[NodeItem]:
        """The whole subtree at once: the engine thread walks it in one job, chunk after chunk
        with no hand-off between chunks, while this thread decodes the chunks already read.

        (:meth:`iter_subtree` cannot work this way: its caller runs code between chunks that
        may need the engine thread, so it asks for one chunk at a time.)
        """
        plan = self._plan(name, subs, after, limit)
        if plan is None:
            return []
        g, pk, mode, start, left = plan
        out: list[NodeItem] = []
        late: list[tuple[int, Subscripts]] = []
        # The cyclic GC is paused for the whole read: the result is a growing heap of fresh
        # tuples that full collections would walk again and again (measured: up to 1.7x).
        enabled = gc.isenabled()
        gc.disable()
        try:
            with self._mutex:
                raws: queue.SimpleQueue[bytes | BaseException | None] = queue.SimpleQueue()
                if self._rt.dedicated:
                    walk = self._rt.submit(self._bind(_walk_job(g, pk, mode, start, left, raws)))
                    _decode_into(raws, out, late)
                    walk.result()
                else:
                    self._walk_beside_decoder(g, pk, mode, start, left, raws, out, late)
                # Values too large to share a chunk: fetched once the walk is over (the engine
                # thread was busy with it until now).
                for i, subs_i in late:
                    out[i] = (subs_i, self.get(name, subs_i) or "")
        finally:
            if enabled:
                gc.enable()
        return out

    def _walk_beside_decoder(
        self,
        g: bytes,
        pk: bytes,
        mode: int,
        start: bytes,
        limit: int,
        raws: queue.SimpleQueue[bytes | BaseException | None],
        out: list[NodeItem],
        late: list[tuple[int, Subscripts]],
    ) -> None:
        """Caller mode: this thread is the GT.M thread, so it walks while a helper thread
        decodes.  The first chunk is read alone: most reads fit in one chunk and need no
        thread."""
        count, raw = self._run(
            lambda ci: _read_chunk(ci, g, pk, start, mode, limit, READ_CHUNK_BYTES)
        )
        more, cont, body_at = read_header(raw)
        raws.put(raw[body_at:])
        left = limit - count if limit else 0
        if not more or (limit and left <= 0):
            raws.put(None)
            _decode_into(raws, out, late)
            return
        failed: list[BaseException] = []

        def decode() -> None:
            try:
                _decode_into(raws, out, late)
            except BaseException as exc:
                failed.append(exc)

        helper = threading.Thread(target=decode, name="gtm-decode", daemon=True)
        helper.start()
        try:
            self._run(_walk_job(g, pk, more, cont, left, raws))
        finally:
            helper.join()  # the job ends the queue (None or its error) whatever happens
        if failed:
            raise failed[0]

    def iter_subtree(
        self,
        name: str,
        subs: Sequence[Subscript] = (),
        *,
        after: Sequence[Subscript] | None = None,
        limit: int | None = None,
        chunk_bytes: int = READ_CHUNK_BYTES,
    ) -> Iterator[NodeItem]:
        """The nodes of a subtree, read in chunks of about ``chunk_bytes`` per call-in.

        The store's mutex is held until the iterator is exhausted or closed.
        """
        for chunk in self._chunks(name, subs, after, limit, chunk_bytes):
            yield from chunk

    def _plan(
        self,
        name: str,
        subs: Sequence[Subscript],
        after: Sequence[Subscript] | None,
        limit: int | None,
    ) -> tuple[bytes, bytes, int, bytes, int] | None:
        """(global, packed base, first mode, packed start node, node limit or 0) of a bulk read,
        or None when nothing can be read."""
        g = _g(name)
        base = normalize_subscripts(subs)
        pk = pack_subscripts(base)
        mode, start = 0, b""
        if after is not None:
            asubs = normalize_subscripts(after)
            if asubs[: len(base)] == base:
                mode, start = 1, pack_subscripts(asubs)
            elif node_key(asubs) > node_key(base):
                return None
        if limit is not None and limit <= 0:
            return None
        return g, pk, mode, start, 0 if limit is None else limit

    def _chunks(
        self,
        name: str,
        subs: Sequence[Subscript],
        after: Sequence[Subscript] | None,
        limit: int | None,
        cap: int,
    ) -> Iterator[list[NodeItem]]:
        plan = self._plan(name, subs, after, limit)
        if plan is None:
            return
        g, pk, mode, start, left = plan

        def reader(
            m: int, s: bytes, lim: int, started: threading.Event
        ) -> Callable[[EngineCalls], tuple[int, bytes]]:
            def job(ci: EngineCalls) -> tuple[int, bytes]:
                started.set()
                return _read_chunk(ci, g, pk, s, m, lim, cap)

            return self._bind(job)

        with self._mutex:
            future: concurrent.futures.Future[tuple[int, bytes]] | None
            future = self._rt.submit(reader(mode, start, left, threading.Event()))
            while future is not None:
                count, raw = future.result()
                more, cont, body = split_read(raw)
                if limit is not None:
                    left -= count
                future = None
                if more and (limit is None or left > 0):
                    # Ask for the next chunk now, and let the GT.M thread get into M (where it
                    # runs without the GIL) before decoding this one: the decoding is long C
                    # loops that would otherwise keep the GIL and so the GT.M thread waiting.
                    started = threading.Event()
                    future = self._rt.submit(reader(more, cont, left, started))
                    started.wait()
                items, oversize = parse_records(body)
                for i in oversize:
                    subs_i = items[i][0]
                    items[i] = (subs_i, self.get(name, subs_i) or "")
                yield items

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
        g = _g(name)
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
            g = _g(name)
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
                codes[op] + pack_set(_g(name), pack_subscripts(normalize_subscripts(subs)), vb)
            )
        packet = b"".join(parts)
        if len(packet) > MAX_STRING - 4096:
            raise TransactionError("atomic batch larger than one GT.M string (1 MiB): split it")
        with self._mutex:
            if self._undo is not None:
                raise TransactionError("apply_atomically cannot run inside transaction()")
            return self._run(lambda ci: ci.atomic(packet))

    def kill(self, name: str, subs: Sequence[Subscript] = ()) -> None:
        g = _g(name)
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
        g = _g(name)
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
        g = _g(name)
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
