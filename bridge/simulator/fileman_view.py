"""FileMan calls the RPC handlers make, over the FileMan layer (globals_map.fileman)."""

from __future__ import annotations

from globals_map.fileman import FileManError
from globals_map.fileman.decoder import Decoder


def external_value(decoder: Decoder, file: str, field: str, internal: str) -> str:
    """$$EXTERNAL^DILFD(file,field,,internal): "" when FileMan cannot (no dictionary, bad
    value), as the call then returns "" with an error in DIERR."""
    if not decoder.schema.has_file(file):
        return ""
    try:
        return decoder.external(file, field, internal)
    except FileManError:
        return ""


def get1(decoder: Decoder, file: str, ien: str, field: str, *, internal: bool) -> str:
    """$$GET1^DIQ: one field of one entry, internal or external; "" when FileMan cannot."""
    if not decoder.schema.has_file(file):
        return ""
    try:
        record = decoder.decode(file, ien if ien.endswith(",") else ien + ",", [field])
    except (FileManError, ValueError):
        return ""
    value = record.values.get(field)
    if value is None:
        return ""
    text = value.internal if internal else value.external
    return text or ""
