"""GT.M from many threads, from asyncio, and from several processes on one database.

GT.M is single-threaded per process: every call must run on the one GT.M thread, whatever
thread or event loop asked.  Several processes share a database through GT.M itself; their
read-modify-write cycles are kept whole by LOCK.
"""

# ruff: noqa: F811  (pytest fixtures imported from tests/globals_map/engines.py)
from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from globals_map.gtm import GtmStore
from tests.globals_map.engines import gtm_store  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def test_every_call_from_any_thread_runs_on_the_one_gtm_thread(gtm_store: GtmStore) -> None:
    seen: set[int] = set()
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(20):
            ident = gtm_store.runtime.call(lambda ci: (ci.nop(), threading.get_ident())[1])
            with lock:
                seen.add(ident)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert seen == {gtm_store.runtime.thread_id}


def test_many_threads_write_and_read_through_one_store(gtm_store: GtmStore) -> None:
    errors: list[BaseException] = []

    def worker(t: int) -> None:
        try:
            for i in range(300):
                gtm_store.set("ZZT", (t, i), f"{t}-{i}")
            assert gtm_store.set_many(("ZZT", (t, "bulk", i), "b") for i in range(500)) == 500
            nodes = gtm_store.read_subtree("ZZT", (t,))
            assert len(nodes) == 800
            assert gtm_store.get("ZZT", (t, 299)) == f"{t}-299"
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(gtm_store.read_subtree("ZZT")) == 8 * 800


def test_a_transaction_keeps_other_threads_out_until_it_ends(gtm_store: GtmStore) -> None:
    inside = threading.Event()
    seen: list[str | None] = []

    def reader() -> None:
        inside.wait(5)
        seen.append(gtm_store.get("ZZT", (1,)))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        with gtm_store.transaction():
            gtm_store.set("ZZT", (1,), "uncommitted")
            inside.set()
            thread.join(0.2)
            assert thread.is_alive()  # waiting for the transaction
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    thread.join(10)
    assert seen == [None]


def test_asyncio_tasks_share_the_store_without_blocking_the_loop(gtm_store: GtmStore) -> None:
    async def main() -> list[str | None]:
        async def one(i: int) -> str | None:
            await asyncio.to_thread(gtm_store.set, "ZZA", (i,), f"v{i}")
            future = gtm_store.runtime.submit(
                lambda ci: ci.data(b"^ZZA", b"%d,%d" % (len(str(i)), i))
            )
            assert await asyncio.wrap_future(future) == 1
            return await asyncio.to_thread(gtm_store.get, "ZZA", (i,))

        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        tick_task = asyncio.create_task(ticker())
        results = await asyncio.gather(*(one(i) for i in range(200)))
        tick_task.cancel()
        assert ticks > 10  # the loop kept running while GT.M worked
        return list(results)

    assert asyncio.run(main()) == [f"v{i}" for i in range(200)]


WORKER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from globals_map.gtm import GtmStore
    store = GtmStore({gld!r})
    me = sys.argv[1]
    for i in range({n}):
        with store.lock("ZZP", ("counter",), timeout=30):
            store.set("ZZP", ("counter",), str(int(store.get("ZZP", ("counter",)) or "0") + 1))
        store.set("ZZP", (me, i), str(i))
    print("done", me)
    """
)


def test_several_processes_share_one_database_and_locks(gtm_store: GtmStore) -> None:
    n = 300
    script = WORKER.format(root=str(ROOT), gld=str(gtm_store.env.gbldir), n=n)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, f"p{k}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(3)
    ]
    # This process writes too, under the same lock.
    for _ in range(n):
        with gtm_store.lock("ZZP", ("counter",), timeout=30):
            value = int(gtm_store.get("ZZP", ("counter",)) or "0")
            gtm_store.set("ZZP", ("counter",), str(value + 1))
    for k, proc in enumerate(procs):
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.strip() == f"done p{k}"
    assert gtm_store.get("ZZP", ("counter",)) == str(4 * n)
    for k in range(3):
        assert len(gtm_store.read_subtree("ZZP", (f"p{k}",))) == n


CALLER_MODE = textwrap.dedent(
    """
    import sys, threading
    sys.path.insert(0, {root!r})
    from globals_map.gtm import GtmStore
    from globals_map.gtm.runtime import WrongThreadError
    store = GtmStore({gld!r}, engine_thread="caller")
    assert store.runtime.thread_id == threading.get_ident()
    store.set_many(("ZZC", (i,), str(i)) for i in range(1000))
    assert [v for _s, v in store.read_subtree("ZZC")] == [str(i) for i in range(1000)]
    assert store.get("ZZC", (7,)) == "7"
    refused = []
    def other():
        try:
            store.get("ZZC", (7,))
        except WrongThreadError as exc:
            refused.append(str(exc))
    t = threading.Thread(target=other)
    t.start()
    t.join(10)
    store.kill("ZZC")
    print("refused" if refused else "accepted")
    """
)


def test_caller_mode_calls_gtm_directly_and_refuses_other_threads(gtm_store: GtmStore) -> None:
    script = CALLER_MODE.format(root=str(ROOT), gld=str(gtm_store.env.gbldir))
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "refused"


def test_an_atomic_batch_commits_whole(gtm_store: GtmStore) -> None:
    gtm_store.set("ZZX", (1,), "old")
    gtm_store.set("ZZX", (2, 1), "gone")
    count = gtm_store.apply_atomically(
        [
            ("set", "ZZX", (1,), "new"),
            ("kill", "ZZX", (2,), ""),
            ("set", "ZZY", ('a\x00"',), "v"),
            ("kill_node", "ZZX", (1,), ""),
            ("set", "ZZX", (1, 1), "child"),
        ]
    )
    assert count == 5
    assert gtm_store.read_subtree("ZZX") == [(("1", "1"), "child")]
    assert gtm_store.get("ZZY", ('a\x00"',)) == "v"


def test_an_atomic_batch_that_fails_midway_writes_nothing(gtm_store: GtmStore) -> None:
    from globals_map.errors import StoreError

    gtm_store.set("ZZX", (1,), "old")
    with pytest.raises(StoreError):
        gtm_store.apply_atomically(
            [
                ("set", "ZZX", (1,), "new"),
                ("kill", "ZZX", (), ""),
                ("set", "ZZX", ("x" * 1100,), "key too long: GT.M refuses it"),
            ]
        )
    assert gtm_store.read_subtree("ZZX") == [(("1",), "old")]
    gtm_store.set("ZZX", (2,), "the engine is usable afterwards")
    assert gtm_store.data("ZZX") == 10


def test_a_store_used_after_fork_raises_instead_of_hanging(gtm_store: GtmStore) -> None:
    import os

    from globals_map.gtm.runtime import ForkedProcessError

    gtm_store.set("ZZF", (1,), "parent")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: must not touch GT.M, must not hang
        code = 1
        try:
            gtm_store.get("ZZF", (1,))
        except ForkedProcessError:
            code = 0
        finally:
            os.write(write, bytes([code]))
            os._exit(code)
    os.close(write)
    _pid, status = os.waitpid(pid, 0)
    assert os.read(read, 1) == b"\x00"
    os.close(read)
    assert os.waitstatus_to_exitcode(status) == 0
    assert gtm_store.get("ZZF", (1,)) == "parent"
