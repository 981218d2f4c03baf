"""Exporting the demo VistA to ZWR, with a title line that says it is synthetic."""

from __future__ import annotations

import os

from globals_map.store import GlobalStore
from globals_map.zwr_io import export_zwr

SYNTHETIC_TITLE = "vista-bridge SYNTHETIC demo VistA - generated data, no real patients"


def export_demo_zwr(store: GlobalStore, path: str | os.PathLike[str]) -> int:
    """Write every global of the demo store to ``path`` as ZWR; returns the node count."""
    return export_zwr(store, path, title=SYNTHETIC_TITLE)
