"""FileMan calls the RPC handlers make, over the FileMan layer (globals_map.fileman)."""

from __future__ import annotations

from globals_map.fileman import FileManError, Schema
from globals_map.fileman.decoder import Decoder
from globals_map.store import GlobalStore


def external_value(store: GlobalStore, file: str, field: str, internal: str) -> str:
    """$$EXTERNAL^DILFD(file,field,,internal): "" when FileMan cannot (no dictionary, bad
    value), as the call then returns "" with an error in DIERR."""
    schema = Schema(store)
    if not schema.has_file(file):
        return ""
    try:
        return Decoder(schema).external(file, field, internal)
    except FileManError:
        return ""
