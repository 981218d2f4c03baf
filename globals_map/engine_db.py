"""Throwaway GT.M databases: a global directory (GDE) and one database file (``mupip create``).

Tests and benchmarks need a real database they can discard.  :func:`create_database` writes a
GDE script into a directory, runs it, creates the file, and returns a :class:`GtmDatabase` that
can run ``mumps``, ``mupip load``/``extract`` and ``mupip rundown`` against it.

Limits chosen here (and what a site database needs for the whole contract): records up to
1 MiB (GT.M's maximum, ``-record_size=1048576``; larger values are refused by the store before
reaching GT.M), keys up to 1019 bytes (``-key_size=1019``, the maximum), null subscripts never.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from globals_map.errors import StoreError
from globals_map.gtm.environment import find_gtm_dist

RECORD_SIZE = 1_048_576
KEY_SIZE = 1019
BLOCK_SIZE = 4096


class DatabaseSetupError(StoreError):
    """GDE, mupip create, load, extract or rundown failed (the tool's message is kept)."""


@dataclass(frozen=True)
class GtmDatabase:
    """A global directory and its database file, and the GT.M that made them."""

    dist: Path
    gbldir: Path
    datafile: Path

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for a GT.M subprocess on this database (M mode)."""
        env = dict(os.environ)
        env.update(
            gtm_dist=str(self.dist),
            gtmgbldir=str(self.gbldir),
            gtmroutines=f"{self.gbldir.parent} {self.dist / 'libgtmutil.so'}",
            gtm_chset="M",
        )
        env.update(extra)
        return env

    def run(self, args: list[str], *, stdin: str | None = None, timeout: float = 300) -> str:
        """Run a GT.M tool (``mumps``, ``mupip``) here; returns its output, raises on failure."""
        proc = subprocess.run(
            [str(self.dist / args[0]), *args[1:]],
            input=stdin,
            env=self.env(),
            cwd=self.gbldir.parent,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        out = proc.stdout + proc.stderr
        if proc.returncode != 0:
            raise DatabaseSetupError(f"{args[0]} {' '.join(args[1:2])} failed: {out.strip()[:800]}")
        return out

    def mupip_load(self, path: Path) -> str:
        return self.run(["mupip", "load", str(path)])

    def mupip_extract(self, path: Path) -> str:
        return self.run(["mupip", "extract", "-format=zwr", str(path)])

    def rundown(self) -> None:
        """``mupip rundown`` of the region: detach shared memory left by processes."""
        self.run(["mupip", "rundown", "-region", "DEFAULT"])


def create_database(
    directory: str | os.PathLike[str],
    *,
    gtm_dist: str | os.PathLike[str] | None = None,
    name: str = "vb",
    record_size: int = RECORD_SIZE,
    key_size: int = KEY_SIZE,
    block_size: int = BLOCK_SIZE,
) -> GtmDatabase:
    """Create ``<name>.gld`` and ``<name>.dat`` in ``directory`` (which must not hold them)."""
    dist = find_gtm_dist(gtm_dist)
    root = Path(directory).resolve()
    root.mkdir(parents=True, exist_ok=True)
    db = GtmDatabase(dist=dist, gbldir=root / f"{name}.gld", datafile=root / f"{name}.dat")
    if db.gbldir.exists() or db.datafile.exists():
        raise DatabaseSetupError(f"{db.gbldir} or {db.datafile} already exists")
    script = "\n".join(
        [
            # GDE takes the rest of a -file_name line as the name: give it a line of its own.
            f"change -segment DEFAULT -block_size={block_size}",
            f"change -segment DEFAULT -file_name={db.datafile}",
            f"change -region DEFAULT -record_size={record_size} -key_size={key_size} "
            "-null_subscripts=never",
            "exit",
            "",
        ]
    )
    out = db.run(["mumps", "-run", "GDE"], stdin=script)
    if not db.gbldir.exists():
        raise DatabaseSetupError(f"GDE did not create {db.gbldir}: {out.strip()[:800]}")
    db.run(["mupip", "create"])
    return db
