"""``GtmStore.read_subtree`` walks in one engine job while another thread decodes: the result
must be exactly the memory store's, across chunk boundaries, in both threading modes, and an
engine error in the middle of a walk must surface as that error with the store still usable."""

# ruff: noqa: F811  (pytest fixtures imported from tests/globals_map/engines.py)
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from globals_map import MemoryStore
from globals_map.errors import EngineError
from globals_map.gtm import GtmStore
from globals_map.gtm.packing import encode_read
from globals_map.gtm.runtime import GtmRuntime
from tests.globals_map.engines import gtm_store, session_database  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


def nodes() -> list[tuple[tuple[str, ...], str]]:
    """Some thousands of nodes over several 64 KB chunks: nested levels, separator bytes in
    subscripts and values, and values too large to share a chunk."""
    out: list[tuple[tuple[str, ...], str]] = [((), "root")]
    for i in range(1, 3001):
        out.append(((str(i),), f"ENTRY {i}^{i * 7 % 1000}^SYNTHETIC"))
        if i % 97 == 0:
            out.append(((str(i), "a\x00b", "c\x01d\x02"), "x\x00y\x01z\x02"))
        if i % 500 == 0:
            out.append(((str(i), "big"), "B" * 70_000))
        if i % 333 == 0:
            out.append(((str(i), "deep", "1", "2"), "d"))
    return out


def _expected() -> MemoryStore:
    memory = MemoryStore()
    memory.set_many(("ZZW", subs, value) for subs, value in nodes())
    return memory


def test_a_walk_of_many_chunks_equals_the_memory_store(gtm_store: GtmStore) -> None:
    memory = _expected()
    gtm_store.set_many(("ZZW", subs, value) for subs, value in nodes())
    expected = memory.read_subtree("ZZW")
    got = gtm_store.read_subtree("ZZW")
    assert len(got) == len(expected) > 3000
    assert got == expected
    assert gtm_store.read_subtree("ZZW", limit=2345) == expected[:2345]
    assert gtm_store.read_subtree("ZZW", after=("1000",)) == memory.read_subtree(
        "ZZW", after=("1000",)
    )
    assert gtm_store.read_subtree("ZZW", after=("97", "a\x00b"), limit=1500) == (
        memory.read_subtree("ZZW", after=("97", "a\x00b"), limit=1500)
    )
    assert gtm_store.read_subtree("ZZW", ("500",)) == memory.read_subtree("ZZW", ("500",))


CALLER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from globals_map import MemoryStore
    from globals_map.gtm import GtmStore
    from tests.globals_map.test_gtm_bulk_walk import nodes
    store = GtmStore({gld!r}, engine_thread="caller")
    memory = MemoryStore()
    for s in (store, memory):
        s.set_many(("ZZV", subs, value) for subs, value in nodes())
    expected = memory.read_subtree("ZZV")
    assert store.read_subtree("ZZV") == expected
    assert store.read_subtree("ZZV", limit=2999) == expected[:2999]
    assert store.read_subtree("ZZV", ("97",)) == memory.read_subtree("ZZV", ("97",))
    store.kill("ZZV")
    print("same", len(expected))
    """
)


def test_a_caller_mode_walk_decodes_beside_it_and_equals_the_memory_store(
    gtm_store: GtmStore,
) -> None:
    script = CALLER.format(root=str(ROOT), gld=str(gtm_store.env.gbldir))
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["same", str(len(nodes()))]


class _FailingSecondChunk:
    """Engine calls whose bulk read answers one chunk, then fails (as an M error would)."""

    def __init__(self) -> None:
        self.reads = 0

    def read(
        self, g: bytes, pk: bytes, start: bytes, mode: int, limit: int, cap: int
    ) -> tuple[int, bytes]:
        self.reads += 1
        if self.reads % 2 == 0:
            raise EngineError("GT.M error in vb_read: simulated", 150372994)
        return 1, encode_read(True, [b"1"], [([b"1"], b"one")])

    def get(self, g: bytes, pk: bytes) -> tuple[int, bytes]:
        return 1, b"x"

    def exit(self) -> None:
        pass


@pytest.mark.parametrize("dedicated", [True, False])
def test_an_engine_error_mid_walk_is_raised_and_the_store_stays_usable(dedicated: bool) -> None:
    fake = _FailingSecondChunk()
    runtime = GtmRuntime(lambda: fake, "fake.gld", dedicated=dedicated)  # type: ignore[arg-type,return-value]
    store = GtmStore.__new__(GtmStore)
    store._setup(runtime, "fake.gld")
    try:
        for _ in range(2):
            with pytest.raises(EngineError, match="simulated"):
                store.read_subtree("ZZF")
        assert store.get("ZZF", ("1",)) == "x"
    finally:
        runtime.shutdown()


def test_an_unescaped_answer_agrees_only_when_no_field_held_a_separator() -> None:
    from globals_map.gtm.packing import parse_records, read_header, separators_agree

    clean = [([b"1"], b"a"), ([b"1", b"x"], None), ([b"2"], b"b^c")]
    raw = encode_read(False, [], clean, escaped=False)
    assert separators_agree(raw, 3)
    items, oversize = parse_records(raw[read_header(raw)[2] :])
    assert items == [(("1",), "a"), (("1", "x"), "\x02"), (("2",), "b^c")] and oversize == [1]
    for bad in (b"a\x00b", b"a\x01b", b"\x02"):
        dirty = [([b"1"], b"a"), ([b"2"], bad)]
        assert not separators_agree(encode_read(False, [], dirty, escaped=False), 2)
        assert separators_agree(encode_read(False, [], dirty), 2)  # escaped: always
    assert not separators_agree(encode_read(False, [], [([b"a\x01"], b"v")], escaped=False), 1)
