"""FileMan DBS call semantics a broker simulator needs: the FIELDS parameter of GETS^DIQ and
LIST^DIC, and error texts from FileMan's own DIALOG file.

The wire format (DDR's ``[Data]`` rows, ``[BEGIN_diERRORS]`` blocks) stays with the caller;
here are the meanings: which fields a FIELDS string names, and what FileMan says for an error
number (``^DI(.84,code,2,n,0)`` with ``|name|`` windows filled as BLD^DIALOG fills them).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from globals_map.fileman.errors import FileManError, NoSuchFieldError
from globals_map.fileman.schema import FieldType, FileDef, field_sort_key, file_number
from globals_map.store import GlobalStore, iter_subscripts

__all__ = ["dialog_text", "gets_fields", "lister_fields"]


def gets_fields(fdef: FileDef, spec: str) -> tuple[list[str], bool]:
    """GETS^DIQ's FIELDS: ``*`` every field of the file (multiples' contents not included),
    ``**`` with multiples, or numbers and ranges ``.01;1;5:9`` in the order given.  Returns
    the field numbers and whether multiples are to be decoded."""
    spec = spec.strip()
    if spec in ("*", "**"):
        return list(fdef.fields), spec == "**"
    out: list[str] = []
    for part in spec.split(";"):
        part = part.strip()
        if not part:
            continue
        if ":" in part:
            lo_text, _, hi_text = part.partition(":")
            lo, hi = _number(fdef, lo_text), _number(fdef, hi_text)
            out += [f for f in fdef.fields if lo <= field_sort_key(f) <= hi and f not in out]
            continue
        num = file_number(_checked(part, fdef))
        fdef.field(num)  # NoSuchFieldError (501) when absent
        if num not in out:
            out.append(num)
    multiples = any(fdef.fields[f].type is FieldType.MULTIPLE for f in out)
    return out, multiples


def lister_fields(fdef: FileDef, spec: str) -> list[str]:
    """LIST^DIC's FIELDS: the .01 comes first unless ``@`` suppresses it, then the fields named
    (numbers or ranges; FileMan's other codes such as ``IX`` or ``WID`` are the caller's)."""
    parts = [p.strip() for p in spec.split(";") if p.strip()]
    out: list[str] = [] if "@" in parts else [".01"]
    for part in parts:
        if part == "@" or part.isalpha():
            continue
        for num in gets_fields(fdef, part)[0]:
            if num not in out:
                out.append(num)
    return out


def _checked(text: str, fdef: FileDef) -> str:
    try:
        Decimal(text)
    except InvalidOperation:
        raise NoSuchFieldError(f"field {text!r} is not a field number", file=fdef.number) from None
    return text


def _number(fdef: FileDef, text: str) -> Decimal:
    return Decimal(_checked(text.strip(), fdef))


def dialog_text(store: GlobalStore, code: int, params: dict[str, str] | None = None) -> list[str]:
    """The text lines of FileMan dialog ``code`` from ``^DI(.84,code,2)`` with its ``|name|``
    windows filled from ``params``; :class:`FileManError` when the dialog is not in the store."""
    lines: list[str] = []
    for sub in iter_subscripts(store, "DI", (".84", str(code), "2")):
        if sub == "0":
            continue
        text = store.get("DI", (".84", str(code), "2", sub, "0"))
        if text is not None:
            lines.append(_fill(text, params or {}))
    if not lines:
        raise FileManError(f"FileMan dialog {code} is not in ^DI(.84)")
    return lines


def _fill(text: str, params: dict[str, str]) -> str:
    pieces = text.split("|")
    out = [pieces[0]]
    for i in range(1, len(pieces)):
        if i % 2 == 1 and i < len(pieces) - 1:
            out.append(params.get(pieces[i], ""))
        else:
            out.append(pieces[i] if i % 2 == 0 else "|" + pieces[i])
    return "".join(out)
