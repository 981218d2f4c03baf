"""Demo VistA generation speed: the seeded generator through the FileMan filer, against writing
the very same nodes straight into a fresh store with one bulk ``set_many`` (the floor any
generator pays), in the same run.  Prints patients/s, entries/s, nodes/s and the ratio.

    .venv/bin/python bench/demo.py            # 5,000 patients
    .venv/bin/python bench/demo.py --quick    # 500 patients
    .venv/bin/python bench/demo.py --patients 100000
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bridge.demo import generate_demo
from globals_map.memory import MemoryStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 patients")
    parser.add_argument("--patients", type=int, default=5000)
    args = parser.parse_args()
    patients = 500 if args.quick else args.patients

    store = MemoryStore()
    gc.collect()
    started = time.perf_counter()
    summary = generate_demo(store, patients=patients)
    generated = time.perf_counter() - started
    nodes = [(g, s, v) for g in store.global_names() for s, v in store.read_subtree(g)]

    fresh = MemoryStore()
    gc.collect()
    started = time.perf_counter()
    fresh.set_many(nodes)
    raw = time.perf_counter() - started

    print(f"patients          {patients:>12,}")
    print(f"FileMan entries   {summary.total_entries:>12,}")
    print(f"nodes             {len(nodes):>12,}")
    print(f"generate (filer)  {generated:>10.2f} s  {patients / generated:>10,.0f} patients/s  "
          f"{summary.total_entries / generated:>10,.0f} entries/s  "
          f"{len(nodes) / generated:>10,.0f} nodes/s")  # fmt: skip
    print(f"reference set_many{raw:>10.2f} s  {len(nodes) / raw:>10,.0f} nodes/s")
    print(f"ratio generate/reference (nodes/s): {raw / generated:.2f}")


if __name__ == "__main__":
    main()
