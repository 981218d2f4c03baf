"""The one engine thread of this process (GT.M or YottaDB) and the queue that feeds it.

GT.M's runtime is per process and not thread-safe: four Python threads calling in at once
crashed the process (see ../shared/notes/gtm-from-python.md).  So one daemon thread calls
``gtm_init`` and then runs every GT.M call; any other thread (or an asyncio loop, through
:meth:`GtmRuntime.submit`) puts a job on a queue and waits for its result.  A job runs a whole
batch (a bulk read, a ``set_many`` packet) so the hand-off cost is paid once per batch.

There is at most one runtime per process (``gtm_init`` cannot run twice); stores bound to
different global directories share it, and it switches ``$ZGBLDIR`` when they alternate.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import os
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from globals_map.errors import StoreError
from globals_map.gtm.calls import EngineCalls
from globals_map.locktable import ThreadLockTable

T = TypeVar("T")
_Job = tuple[Callable[[EngineCalls], Any], "concurrent.futures.Future[Any] | None", list[Any]]


class RuntimeClosedError(StoreError):
    """The GT.M runtime of this process has been shut down (``gtm_exit`` ran)."""


class ForkedProcessError(StoreError):
    """A GT.M store opened before ``fork()`` was used in the child process."""


class WrongThreadError(StoreError):
    """In caller mode, a thread other than the one that started GT.M tried to use it."""


class GtmRuntime:
    """Owns the GT.M thread; :meth:`call` runs a function there with the bound call-ins.

    ``dedicated=True`` (the default, for servers and anything threaded): a daemon thread calls
    ``gtm_init`` and serves a queue; every call is a hand-off (tens of microseconds), so batch.
    ``dedicated=False`` ("caller" mode, for single-threaded programs such as the CLI, loaders
    and benchmarks): the thread that starts the runtime is the GT.M thread and calls in
    directly; any other thread gets :class:`WrongThreadError` instead of a crash.
    """

    def __init__(
        self, make: Callable[[], EngineCalls], gbldir: str, *, dedicated: bool = True
    ) -> None:
        self._make = make
        self.dedicated = dedicated
        #: Which engine this runtime drives ("gtm" or "yottadb").
        self.engine = "gtm"
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._ci: EngineCalls | None = None
        self._closed = False
        self._pid = os.getpid()
        #: Held by a store's transaction (and every call): GT.M's state is the process's, so
        #: every store of the process shares it.
        self.mutex = threading.RLock()
        #: Which thread holds which LOCK, for every store of the process.
        self.locks = ThreadLockTable()
        self.current_gbldir = gbldir
        if dedicated:
            self._thread = threading.Thread(target=self._main, name="gtm-runtime", daemon=True)
            self._thread.start()
            self._ready.wait()
            if self._failure is not None:
                raise self._failure
            self._owner = self._thread.ident
        else:
            self._ci = make()
            self._owner = threading.get_ident()
        atexit.register(self.shutdown)

    @property
    def thread_id(self) -> int | None:
        """The thread that runs every GT.M call."""
        return self._owner

    def _wrong_thread(self) -> WrongThreadError:
        return WrongThreadError(
            "GT.M runs in caller mode on another thread of this process; open the store with "
            "engine_thread='dedicated' to share it between threads"
        )

    def _main(self) -> None:
        try:
            self._ci = self._make()
        except BaseException as exc:
            self._failure = exc
            self._ready.set()
            return
        self._ready.set()
        ci = self._ci
        while True:
            job = self._jobs.get()
            if job is None:
                ci.exit()
                return
            fn, future, box = job
            try:
                result = fn(ci)
            except BaseException as exc:
                if future is not None:
                    future.set_exception(exc)
                else:
                    box.append(False)
                    box.append(exc)
                    box[0].release()
                continue
            if future is not None:
                future.set_result(result)
            else:
                box.append(True)
                box.append(result)
                box[0].release()

    def _check_process(self) -> None:
        if self._closed:
            raise RuntimeClosedError("the GT.M runtime of this process was shut down")
        if os.getpid() != self._pid:
            # A forked child has a copy of GT.M's state but no GT.M thread: calls would hang.
            raise ForkedProcessError(
                "this GT.M store was opened before the process forked; open it in the child "
                "(or use the 'spawn' start method)"
            )

    def call(self, fn: Callable[[EngineCalls], T]) -> T:
        """Run ``fn(call_ins)`` on the GT.M thread and return its result (or raise its error)."""
        self._check_process()
        if threading.get_ident() == self._owner:
            assert self._ci is not None
            return fn(self._ci)
        if not self.dedicated:
            raise self._wrong_thread()
        done = threading.Lock()
        done.acquire()
        box: list[Any] = [done]
        self._jobs.put((fn, None, box))
        done.acquire()
        if box[1]:
            result: T = box[2]
            return result
        raise box[2]

    def submit(self, fn: Callable[[EngineCalls], T]) -> concurrent.futures.Future[T]:
        """Queue ``fn`` for the GT.M thread; an asyncio caller awaits ``asyncio.wrap_future``."""
        self._check_process()
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        if not self.dedicated:
            if threading.get_ident() != self._owner:
                raise self._wrong_thread()
            assert self._ci is not None
            try:
                future.set_result(fn(self._ci))
            except Exception as exc:
                future.set_exception(exc)
            return future
        self._jobs.put((fn, future, []))
        return future

    def shutdown(self) -> None:
        """Run ``gtm_exit`` on the GT.M thread and stop it (also registered with atexit)."""
        if self._closed or os.getpid() != self._pid:
            return
        self._closed = True
        if not self.dedicated:
            # gtm_exit must run on the GT.M thread; elsewhere GT.M's own exit handler runs it.
            if threading.get_ident() == self._owner and self._ci is not None:
                self._ci.exit()
            return
        self._jobs.put(None)
        self._thread.join(timeout=30)


_lock = threading.Lock()
_runtime: GtmRuntime | None = None


class EngineConflictError(StoreError):
    """This process already runs the other M engine (GT.M and YottaDB cannot share one)."""


def get_runtime(
    make: Callable[[], EngineCalls],
    gbldir: str,
    *,
    dedicated: bool = True,
    engine: str = "gtm",
) -> GtmRuntime:
    """The process's runtime, started on first use: ``make()`` runs on the GT.M thread (it
    calls ``gtm_init``), ``gbldir`` is the global directory the engine opens first.  The first
    store decides the threading mode and the engine (``"gtm"`` or ``"yottadb"``) for the whole
    process."""
    global _runtime
    with _lock:
        if _runtime is None or _runtime._closed:
            if _runtime is not None:
                raise RuntimeClosedError(
                    "GT.M was shut down in this process and cannot start again (gtm_init runs "
                    "once per process)"
                )
            _runtime = GtmRuntime(make, gbldir, dedicated=dedicated)
            _runtime.engine = engine
        elif _runtime.engine != engine:
            raise EngineConflictError(
                f"this process already runs {_runtime.engine}; {engine} needs a process of its "
                "own (the two engines' libraries cannot be loaded together)"
            )
        return _runtime
