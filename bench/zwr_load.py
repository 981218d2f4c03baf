"""ZWR load speed: parse + load into the memory store, against merely reading the file's lines.

Generates a FileMan-shaped ZWR export (entries with a zero node, a few data nodes, a
word-processing multiple and a "B" index; quotes and a few $C values), then measures in the
same run:
  * reference: read the file and split it into lines (what any loader must at least do);
  * per-line floor: a Python loop over the file's lines doing nothing;
  * parse only: every node through parsers.zwr (fast path + grammar);
  * parse + load: globals_map.zwr_io.load_zwr into a MemoryStore (atomic mode);
  * export: globals_map.zwr_io.export_zwr of the loaded store (format + write);
and prints nodes/s and the ratio to the reference.

    .venv/bin/python bench/zwr_load.py            # 1M nodes
    .venv/bin/python bench/zwr_load.py --quick    # 100k nodes
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from globals_map.memory import MemoryStore
from globals_map.zwr_io import export_zwr, load_zwr
from parsers.zwr import format_zwr_node, iter_zwr_tuples, open_zwr

NODES_PER_ENTRY = 8


def generate(path: Path, nodes: int) -> int:
    """Write a synthetic export of about ``nodes`` nodes; returns the exact node count."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write("vista-bridge benchmark export\n27-NOV-2026  00:00:00 ZWR\n")
        fh.write(format_zwr_node("ZZBENCH", ("0",), "BENCH PATIENT^2I^0^0") + "\n")
        count += 1
        ien = 0
        while count + NODES_PER_ENTRY <= nodes:
            ien += 1
            name = f"BENCH,PATIENT {ien:07d}"
            e = str(ien)
            lines = [
                ("ZZBENCH", (e, "0"), f"{name}^{'MF'[ien % 2]}^{2450101 + ien % 9000}^^^^^^"),
                ("ZZBENCH", (e, ".11"), f"{ien} MAIN ST^^^CITY^{ien % 60}^{10000 + ien % 89999}"),
                ("ZZBENCH", (e, ".13"), f"555-{ien % 10000:04d}^^"),
                ("ZZBENCH", (e, "1", "0"), "^2.01^2^2"),
                ("ZZBENCH", (e, "1", "1", "0"), f'said "hello" on visit {ien}'),
                ("ZZBENCH", (e, "1", "2", "0"), "line two" + ("\t(tab)" if ien % 500 == 0 else "")),
                ("ZZBENCH", (e, "DIV"), f"{ien % 7}.{ien % 3 + 1}"),
                ("ZZBENCH", ("B", name, e), ""),
            ]
            for gname, subs, value in lines:
                fh.write(format_zwr_node(gname, subs, value) + "\n")
            count += len(lines)
    return count


def timed(label: str, fn: Callable[[], int], nodes: int, repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of ``repeat`` runs (CPU time is the steadier
    figure on a shared machine)."""
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        got = fn()
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
        if got != nodes:
            raise SystemExit(f"{label}: expected {nodes} nodes, got {got}")
    return best_wall, best_cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="100k nodes instead of 1M")
    ap.add_argument("--nodes", type=int, help="node count (overrides --quick)")
    ap.add_argument("--repeat", type=int, default=None, help="runs per measure (best is kept)")
    args = ap.parse_args()
    target = args.nodes or (100_000 if args.quick else 1_000_000)
    repeat = args.repeat or (3 if target <= 200_000 else 1)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.zwr"
        nodes = generate(path, target)
        size = os.path.getsize(path)

        def read_split() -> int:
            with open(path, encoding="utf-8", errors="surrogateescape", newline="\n") as fh:
                return len(fh.read().split("\n")) - 3  # two header lines, final empty string

        def line_loop() -> int:
            n = -2
            for _line in open_zwr(path):
                n += 1
            return n

        def parse_only() -> int:
            n = 0
            for _node in iter_zwr_tuples(open_zwr(path), str(path)):
                n += 1
            return n

        def parse_load() -> int:
            store = MemoryStore()
            loaded = load_zwr(store, path).loaded
            if store.node_count() != nodes:
                raise SystemExit("store does not hold every node")
            store.close()
            return loaded

        loaded = MemoryStore()
        load_zwr(loaded, path)

        def export() -> int:
            return export_zwr(loaded, Path(tmp) / "export.zwr")

        results = [
            ("read + split lines (reference)", timed("read", read_split, nodes, repeat)),
            ("python loop over lines", timed("loop", line_loop, nodes, repeat)),
            ("parse (parsers.zwr)", timed("parse", parse_only, nodes, repeat)),
            ("parse + load into MemoryStore", timed("load", parse_load, nodes, repeat)),
            ("export from MemoryStore", timed("export", export, nodes, repeat)),
        ]
        loaded.close()

    ref_wall, ref_cpu = results[0][1]
    print(f"ZWR load benchmark: {nodes:,} nodes, {size / 1e6:.1f} MB, best of {repeat}")
    print(
        f"{'measure':32} {'wall s':>7} {'nodes/s':>11} {'ratio':>7}"
        f" {'cpu s':>7} {'nodes/s':>11} {'ratio':>7}"
    )
    for label, (wall, cpu) in results:
        print(
            f"{label:32} {wall:7.3f} {nodes / wall:11,.0f} {ref_wall / wall:6.3f}x"
            f" {cpu:7.3f} {nodes / cpu:11,.0f} {ref_cpu / cpu:6.3f}x"
        )
    print("ratio = reference time / this time (1.0 would be as fast as reading the lines)")


if __name__ == "__main__":
    main()
