"""Helpers for the FileMan tests: load the shared ZWR fixtures, read the DDR golden flows.

The golden ``.req`` files are XWB requests with one list parameter (check.py's ``rpc_list``):
``[XWB]11302`` + S-pack version + S-pack RPC name + ``5`` + ``2`` + (L-pack subscript, L-pack
value, ``t``/``f``)...; the ``.bin`` answers are two NUL bytes, CRLF-separated lines, ``\\x04``.
We parse both here, in the tests, so no golden content is copied into code.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from globals_map import MemoryStore
from globals_map.zwr_io import load_zwr
from parsers.zwr import parse_zwr_file
from tests.conftest import shared_path


def lab_globals() -> list[Path]:
    return sorted(shared_path("vista-lab", "globals").glob("*.zwr"))


def load_files(paths: Iterable[Path], only: set[str] | None = None) -> MemoryStore:
    """A memory store with the given ZWR files (optionally only some global names)."""
    store = MemoryStore()
    for path in paths:
        if only is None:
            load_zwr(store, path)
        else:
            store.set_many(
                (n.name, n.subscripts, n.value) for n in parse_zwr_file(path) if n.name in only
            )
    return store


@cache
def _lab_store() -> MemoryStore:
    return load_files(lab_globals())


def lab_store() -> MemoryStore:
    """The vista-lab globals (VEHU subset, real dictionaries, lab entries), loaded once; tests
    must not write to it."""
    return _lab_store()


def _lpack(data: bytes, pos: int) -> tuple[str, int]:
    n = int(data[pos : pos + 3])
    return data[pos + 3 : pos + 3 + n].decode("latin-1"), pos + 3 + n


def golden_params(name: str) -> tuple[str, dict[str, str]]:
    """The RPC name and its list parameter (subscripts unquoted) of ``golden/NAME.req``."""
    data = shared_path("vista-lab", "golden", name + ".req").read_bytes()
    assert data.startswith(b"[XWB]11302")
    pos = len(b"[XWB]11302")
    pos += 1 + data[pos]  # S-pack version
    rpc = data[pos + 1 : pos + 1 + data[pos]].decode("latin-1")
    pos += 1 + data[pos]
    assert data[pos : pos + 2] == b"52", "one list parameter expected"
    pos += 2
    params: dict[str, str] = {}
    while True:
        key, pos = _lpack(data, pos)
        value, pos = _lpack(data, pos)
        params[key.strip('"')] = value
        end = data[pos : pos + 1]
        pos += 1
        if end == b"f":
            break
        assert end == b"t"
    return rpc, params


def golden_lines(name: str) -> list[str]:
    """The lines of ``golden/NAME.bin`` after the two-byte prefix, without the final EOT."""
    data = shared_path("vista-lab", "golden", name + ".bin").read_bytes()
    assert data[:2] == b"\x00\x00" and data.endswith(b"\x04")
    text = data[2:-1].decode("utf-8")
    lines = text.split("\r\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
