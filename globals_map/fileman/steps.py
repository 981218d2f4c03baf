"""Compiled decode steps: how to decode each field, decided once per file.

The decoder's hot loop only dispatches on ``kind``; everything that can be looked up from the
dictionary (node, piece, extract, set codes, pointer target) is looked up here, once.
"""

from __future__ import annotations

from globals_map.fileman.schema import FieldDef
from parsers.canonical import is_canonical_number
from parsers.dd_spec import FieldType

__all__ = ["Step", "compile_step", "is_entry_key"]


def is_entry_key(key: str) -> bool:
    """A subscript that is an entry number (> 0), not a header (0) or an index name."""
    if key.isdigit():
        return key[0] != "0"
    return is_canonical_number(key) and not key.startswith("-") and key != "0"


# ---- compiled steps ------------------------------------------------------------------------
# kinds read from a piece first, then those that are not (K_COMPUTED and above)
K_PLAIN, K_SET, K_DATE, K_POINTER, K_NUMERIC, K_GENERIC, K_VPOINTER = range(7)
K_COMPUTED, K_NUMBER, K_NOSTORE, K_WP, K_MULTIPLE = range(10, 15)

#: (field, kind, node, 0-based piece, extract, set codes, pointer target file,
#:  file number, field number, label)
Step = tuple[
    FieldDef,
    int,
    str,
    int,
    "tuple[int, int] | None",
    "dict[str, str] | None",
    "str | None",
    str,
    str,
    str,
]


def compile_step(fld: FieldDef) -> Step:
    """How to decode one field, decided once per file: the hot loop only dispatches."""
    t = fld.type
    st = fld.storage
    if t is FieldType.MULTIPLE:
        return (fld, K_MULTIPLE, "", 0, None, None, None, fld.file, fld.number, fld.label)
    if t is FieldType.WORD_PROCESSING:
        return (fld, K_WP, "", 0, None, None, None, fld.file, fld.number, fld.label)
    if t is FieldType.COMPUTED:
        return (fld, K_COMPUTED, "", 0, None, None, None, fld.file, fld.number, fld.label)
    if st is None:
        return (
            fld,
            K_NUMBER if fld.number == ".001" else K_NOSTORE,
            "",
            0,
            None,
            None,
            None,
            fld.file,
            fld.number,
            fld.label,
        )
    piece = (st.piece or 1) - 1
    transformed = bool(fld.output_transform)
    kind = K_GENERIC
    if transformed:
        kind = K_GENERIC
    elif t in (FieldType.FREE_TEXT, FieldType.MUMPS):
        kind = K_PLAIN
    elif t is FieldType.SET:
        kind = K_SET
    elif t is FieldType.DATE:
        kind = K_DATE
    elif t is FieldType.NUMERIC:
        kind = K_NUMERIC
    elif t is FieldType.POINTER and fld.pointer_file:
        kind = K_POINTER
    elif t is FieldType.VARIABLE_POINTER:
        kind = K_VPOINTER
    codes = dict(fld.codes) if kind == K_SET else None
    return (
        fld,
        kind,
        st.node,
        piece,
        st.extract,
        codes,
        fld.pointer_file,
        fld.file,
        fld.number,
        fld.label,
    )
