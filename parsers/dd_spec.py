"""FileMan data-dictionary strings: the field specifier, storage, set codes and global roots.

``^DD(file,field,0)`` is ``label^specifier^codes-or-root^node;piece^input transform``.  The
specifier (piece 2) packs the field's type and modifiers in one string (``RFX``, ``NJ8,2``,
``P200'``, ``120.505P``, ``M*P19.1'X``); this module turns it into a :class:`FieldSpec`.
Every modifier we know is named in :class:`Modifier`; any other character is kept in
:attr:`FieldSpec.unknown` and reported by the schema, never dropped.  M code found in these
strings (input transforms, computed expressions) is data: nothing here runs it.

The letters follow the FileMan Programmer Manual ("^DD field definitions") and what the real
dictionaries in ``../shared/fixtures/vista/dd`` hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from parsers.canonical import canonical_number, is_canonical_number
from parsers.errors import ParseError
from parsers.globalref import format_global_ref, parse_global_ref

__all__ = [
    "FieldSpec",
    "FieldType",
    "GlobalRoot",
    "Modifier",
    "Storage",
    "parse_global_root",
    "parse_set_codes",
    "parse_specifier",
    "parse_storage",
]


class FieldType(StrEnum):
    """A field's data type as FileMan decides it from the specifier."""

    FREE_TEXT = "F"
    NUMERIC = "N"
    DATE = "D"
    SET = "S"
    POINTER = "P"
    VARIABLE_POINTER = "V"
    WORD_PROCESSING = "W"
    COMPUTED = "C"
    MUMPS = "K"
    MULTIPLE = "M"


class Modifier(StrEnum):
    """The one-letter modifiers FileMan puts in a specifier (besides the type letters)."""

    REQUIRED = "R"
    MULTIPLE_ASKED = "M"  # on a subfile's .01: ask for another subentry
    SCREENED = "*"  # a screen exists (pointer, set, variable pointer)
    LAYGO_NOT_ALLOWED = "'"  # pointer: no adding new entries to the target
    AUDITED = "a"
    INPUT_TRANSFORM_MODIFIED = "X"  # input transform edited by hand: do not re-edit
    OUTPUT_TRANSFORM = "O"  # ^DD(file,field,2) holds an output transform
    UNEDITABLE = "I"
    NO_ADD_PROMPT = "A"  # multiple: add subentries without "Are you adding"
    LINE_MODE = "L"  # WL: word processing without word wrap
    MULTILINE = "m"  # Cm: multi-line computed
    BOOLEAN = "B"  # BC: boolean computed
    DATE_RESULT = "D"  # DC / CD: computed with a date result


_TYPE_LETTERS = frozenset("FNDSVWCK")
_MODIFIER_LETTERS = frozenset(m.value for m in Modifier)
_KNOWN_FLAGS = _MODIFIER_LETTERS | _TYPE_LETTERS


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A parsed specifier.  ``text`` is the original string, kept for display and errors.

    ``type`` is the type the specifier alone gives; a multiple whose subfile's .01 is ``W``
    is a word-processing field, which only the schema can tell (it sees the subfile).
    """

    text: str
    type: FieldType
    modifiers: frozenset[Modifier] = frozenset()
    subfile: str | None = None
    pointer_file: str | None = None
    computed_pointer_file: str | None = None
    width: int | None = None
    decimals: int | None = None
    extended_type: str | None = None
    type_letters: str = ""
    unknown: tuple[str, ...] = ()
    issues: tuple[str, ...] = field(default=())

    @property
    def required(self) -> bool:
        return Modifier.REQUIRED in self.modifiers

    @property
    def audited(self) -> bool:
        return Modifier.AUDITED in self.modifiers

    @property
    def laygo_allowed(self) -> bool:
        return Modifier.LAYGO_NOT_ALLOWED not in self.modifiers

    @property
    def has_output_transform(self) -> bool:
        return Modifier.OUTPUT_TRANSFORM in self.modifiers

    @property
    def is_multiple(self) -> bool:
        return self.subfile is not None


_GRAMMAR_PATH = Path(__file__).with_name("dd_spec.lark")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(_GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr", lexer="contextual")


def _number(tok: Token | None) -> str | None:
    if tok is None:
        return None
    text = str(tok)
    return canonical_number(text) if text else None


@lru_cache(maxsize=4096)
def parse_specifier(text: str) -> FieldSpec:
    """Parse piece 2 of ``^DD(file,field,0)``.

    Raises :class:`ParseError` only when the string cannot be a specifier at all (a stray
    digit, a comma); unknown letters parse and land in ``unknown``.
    """
    if not isinstance(text, str):
        raise ParseError(f"specifier must be a string, not {type(text).__name__}")
    try:
        tree = _parser().parse(text)
    except LarkError as exc:
        col = getattr(exc, "column", None)
        raise ParseError(
            "not a FileMan field specifier", source="<specifier>", column=col, text=text
        ) from None
    return _build(text, tree)


def _build(text: str, tree: Tree[Token]) -> FieldSpec:
    flags: list[str] = []
    subfile = pointer = cpointer = ext = None
    width = decimals = None
    has_pointer = False
    for child in tree.children:
        if isinstance(child, Token):  # the leading SUBFILE
            subfile = canonical_number(str(child))
            continue
        args = [c for c in child.children if isinstance(c, Token)]
        kind = child.data
        if kind == "pointer":
            has_pointer = True
            pointer = _number(args[0] if args else None)
        elif kind == "cpointer":
            cpointer = _number(args[0] if args else None) or ""
        elif kind == "exttype":
            ext = str(args[0]) if args else ""
        elif kind == "width":
            width = int(args[0])
            decimals = int(args[1]) if len(args) > 1 else None
        else:
            flags.append(str(args[0]))
    return _classify(text, flags, subfile, has_pointer, pointer, cpointer, ext, width, decimals)


def _classify(
    text: str,
    flags: list[str],
    subfile: str | None,
    has_pointer: bool,
    pointer: str | None,
    cpointer: str | None,
    ext: str | None,
    width: int | None,
    decimals: int | None,
) -> FieldSpec:
    letters = set(flags)
    issues: list[str] = []
    if subfile is not None:
        ftype = FieldType.MULTIPLE
    elif "C" in letters:
        ftype = FieldType.COMPUTED
    elif "W" in letters:
        ftype = FieldType.WORD_PROCESSING
    elif has_pointer:
        ftype = FieldType.POINTER
        if pointer is None:
            issues.append("pointer without a file number")
    else:
        ftype = next(
            (FieldType(t) for t in "VSDNKF" if t in letters),
            FieldType.FREE_TEXT,
        )
        if not letters & set("VSDNKF"):
            issues.append("no type letter: read as free text")
    mods = {Modifier(f) for f in letters if f in _MODIFIER_LETTERS}
    if ftype is not FieldType.COMPUTED:  # D and B qualify a computed result only
        mods -= {Modifier.DATE_RESULT, Modifier.BOOLEAN}
    unknown = tuple(f for f in flags if f not in _KNOWN_FLAGS)
    if cpointer is not None and ftype is not FieldType.COMPUTED:
        unknown += ("p" + cpointer,)
    type_letters = "".join(f for f in flags if f in _TYPE_LETTERS)
    return FieldSpec(
        text=text,
        type=ftype,
        modifiers=frozenset(mods),
        subfile=subfile,
        pointer_file=pointer,
        computed_pointer_file=cpointer or None,
        width=width,
        decimals=decimals,
        extended_type=ext,
        type_letters=type_letters,
        unknown=unknown,
        issues=tuple(issues),
    )


@dataclass(frozen=True, slots=True)
class Storage:
    """Where a field lives under its entry: ``node;piece`` or ``node;Em,n`` (an extract).

    For a multiple or word-processing field ``piece`` is 0 (``node;0``): the subfile's entries
    sit under that node.
    """

    node: str
    piece: int | None = None
    extract: tuple[int, int] | None = None

    @property
    def is_subfile(self) -> bool:
        return self.piece == 0

    def __str__(self) -> str:
        if self.extract is not None:
            return f"{self.node};E{self.extract[0]},{self.extract[1]}"
        return f"{self.node};{self.piece}"


_PIECE = re.compile(r"([0-9]+)\Z")
_EXTRACT = re.compile(r"E([0-9]+),([0-9]+)\Z")


def parse_storage(text: str) -> Storage | None:
    """Parse piece 4 of ``^DD(file,field,0)``; None for a computed field (`` ; `` or empty).

    The node is an M subscript: canonical numbers are kept in canonical form, anything else is
    a string subscript (FileMan writes string nodes unquoted here, e.g. ``VUID;1``).
    """
    if text.strip() in ("", ";"):
        return None
    node, sep, where = text.partition(";")
    node = node.strip()
    where = where.strip()
    if not sep or not node:
        raise ParseError("storage is not node;piece", source="<storage>", text=text)
    if node.startswith('"') and node.endswith('"') and len(node) >= 2:
        node = node[1:-1].replace('""', '"')
    elif not is_canonical_number(node) and re.fullmatch(r"-?[0-9]*\.?[0-9]+", node):
        node = canonical_number(node)  # an unquoted M number: 0.1 is the subscript .1
    elif re.fullmatch(r"[-0-9.]+", node) and not is_canonical_number(node):
        raise ParseError("storage node is not a number", source="<storage>", text=text)
    m = _PIECE.match(where)
    if m:
        return Storage(node, int(m.group(1)))
    m = _EXTRACT.match(where)
    if m:
        start, end = int(m.group(1)), int(m.group(2))
        if start < 1 or end < start:
            raise ParseError("extract range is empty", source="<storage>", text=text)
        return Storage(node, None, (start, end))
    raise ParseError("storage piece must be a number or Em,n", source="<storage>", text=text)


def parse_set_codes(text: str) -> tuple[tuple[str, str], ...]:
    """Parse a set-of-codes string ``Y:YES;N:NO;`` into ordered ``(code, label)`` pairs.

    Labels may contain ``:`` (only the first colon splits); empty segments are skipped, as
    FileMan's ``$P`` walk does.  A segment without a colon is an error.
    """
    pairs: list[tuple[str, str]] = []
    for seg in text.split(";"):
        if seg == "":
            continue
        code, sep, label = seg.partition(":")
        if not sep or code == "":
            raise ParseError("set-of-codes segment is not code:label", text=text)
        pairs.append((code, label))
    return tuple(pairs)


@dataclass(frozen=True, slots=True)
class GlobalRoot:
    """An open global root as FileMan stores it (``GMRD(120.82,`` or ``^VA(200,``)."""

    name: str
    subscripts: tuple[str, ...]

    def __str__(self) -> str:
        return format_global_ref(self.name, self.subscripts, open=True)


def parse_global_root(text: str) -> GlobalRoot:
    """Parse an open root: name, ``(``, then subscripts each followed by a comma.

    The reference grammar of :mod:`parsers.globalref` decides: only literal subscripts
    (canonical numbers and quoted strings) are accepted, so a root with variables or
    indirection is refused, since we never evaluate M.  A closed reference is refused too.
    """
    ref = parse_global_ref(text, source="<global root>")
    if not ref.open:
        raise ParseError("not an open global root", source="<global root>", text=text)
    return GlobalRoot(ref.name, ref.subscripts)
