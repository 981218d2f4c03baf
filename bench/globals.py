"""GlobalStore speed: get, set, next-subscript ops/s and bulk-read nodes/s, memory vs GT.M.

Run: ``.venv/bin/python bench/globals.py`` (1M nodes) or ``--quick`` (100k).  The reference is
measured in the same run: the same work as an M loop run by ``mumps -run`` on the same database
(direct global references, timed inside M with ``$ZHOROLOG``), the engine's own limit.
Single-node operations through the GT.M store each cost one hand-off to the GT.M thread and one
call-in, so they are timed over at most ``--ops`` operations; the bulk paths move the whole set.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from globals_map import GlobalStore, MemoryStore
from globals_map.engine_db import GtmDatabase, create_database
from globals_map.gtm import GtmStore

NAME = "VBBENCH"

NATIVE = """VBBENCH ;native reference loops for bench/globals.py (direct references, no call-ins)
 Q
RUN(n,ops) N t,i,k,v,c,x
 S t=$ZH F i=1:1:ops S x=^VBBENCH($R(n)+1)
 W "get ",$$EL(t)," ",ops,!
 S t=$ZH F i=1:1:ops S ^VBBENCHW(i)="v"_i
 W "set ",$$EL(t)," ",ops,!
 S t=$ZH,k="",c=0 F  S k=$O(^VBBENCH(k)) Q:k=""  S c=c+1
 W "next ",$$EL(t)," ",c,!
 S t=$ZH,k="",c=0 F  S k=$O(^VBBENCH(k)) Q:k=""  S v=^(k),c=c+1
 W "bulk ",$$EL(t)," ",c,!
 K ^VBBENCHW
 Q
EL(t) N e S e=$ZH
 Q ($P(e,",")-$P(t,",")*86400)+($P(e,",",2)-$P(t,",",2))+($P(e,",",3)-$P(t,",",3)/1E6)
"""


def value(i: int) -> str:
    return f"ENTRY {i}^{i * 7 % 1000}^3240101^SYNTHETIC"


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    t0 = time.perf_counter()
    count = fn()
    return time.perf_counter() - t0, count


def bench_store(store: GlobalStore, n: int, ops: int, *, load: bool) -> dict[str, float]:
    rates: dict[str, float] = {}
    if load:
        secs, count = timed(lambda: store.set_many((NAME, (i,), value(i)) for i in range(1, n + 1)))
        rates["set_many"] = count / secs
    rng = random.Random(7)
    keys = [str(rng.randint(1, n)) for _ in range(ops)]

    def gets() -> int:
        for k in keys:
            store.get(NAME, (k,))
        return len(keys)

    def sets() -> int:
        for i in range(1, ops + 1):
            store.set(NAME + "W", (i,), f"v{i}")
        return ops

    def nexts() -> int:
        count, cur = 0, None
        while count < ops:
            cur = store.next_subscript(NAME, (), cur)
            if cur is None:
                break
            count += 1
        return count

    def bulk() -> int:
        return sum(1 for _ in iter_bulk(store))

    for label, fn in (("get", gets), ("set", sets), ("next", nexts), ("bulk", bulk)):
        secs, count = timed(fn)
        rates[label] = count / secs
    store.kill(NAME + "W")
    return rates


def iter_bulk(store: GlobalStore) -> list[tuple[tuple[str, ...], str]]:
    if isinstance(store, GtmStore):
        return list(store.iter_subtree(NAME))
    return store.read_subtree(NAME)


def native(db: GtmDatabase, n: int, ops: int) -> dict[str, float]:
    routine_dir = db.gbldir.parent
    (routine_dir / "VBBENCH.m").write_text(NATIVE)
    out = db.run(["mumps", "-run", "%XCMD", f"do RUN^VBBENCH({n},{ops})"])
    rates: dict[str, float] = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in {"get", "set", "next", "bulk"}:
            rates[parts[0]] = int(parts[2]) / max(float(parts[1]), 1e-9)
    return rates


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="100k nodes instead of 1M")
    ap.add_argument("--ops", type=int, default=100_000, help="single-node operations timed")
    args = ap.parse_args()
    n = 100_000 if args.quick else 1_000_000
    ops = min(args.ops, n)
    root = Path(tempfile.mkdtemp(prefix="vb-bench-"))
    try:
        db = create_database(root)
        gtm = GtmStore(db.gbldir, gtm_dist=db.dist)
        mem = bench_store(MemoryStore(), n, ops, load=True)
        ours = bench_store(gtm, n, ops, load=True)
        ref = native(db, n, ops)
        gtm.runtime.shutdown()
        db.rundown()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"GlobalStore bench: {n:,} nodes in ^{NAME}(i); single ops timed over {ops:,}")
    print(f"{'operation':<22}{'memory':>14}{'gtm (ours)':>14}{'native M':>14}{'gtm/native':>12}")
    units = {"get": "ops/s", "set": "ops/s", "next": "ops/s", "bulk": "nodes/s"}
    for key, label in (
        ("get", "get"),
        ("set", "set"),
        ("next", "next_subscript"),
        ("bulk", "bulk read"),
        ("set_many", "set_many (load)"),
    ):
        r = ref.get(key)
        ratio = f"{ours[key] / r:.2f}x" if r else "-"
        native_txt = f"{r:,.0f}" if r else "-"
        unit = units.get(key, "nodes/s")
        print(
            f"{label + ' ' + unit:<22}{mem[key]:>14,.0f}{ours[key]:>14,.0f}{native_txt:>14}"
            f"{ratio:>12}"
        )


if __name__ == "__main__":
    main()
