"""M global references with literal subscripts: ``^DIC(5,"B","ALABAMA",1)``, ``^DPT``, and the
open roots FileMan stores (``^DPT(`` and ``^DIC(5,`` in ``^DIC(file,0,"GL")``; ``GMR(120.8,``
in a pointer field's DD piece 3; ``1;GMRD(120.82,`` as a variable-pointer value).

The grammar is ``globalref.lark`` (its literals are ``mliteral.lark``'s, shared with ZWR). Only
literals are accepted (numbers, quoted strings, ``$C(...)``): a reference with variables or
indirection is refused, because we never evaluate M code taken from data.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from lark import Lark, Token, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from parsers.errors import ParseError
from parsers.mstring import (
    AT_END,
    LITERAL_TERMINALS,
    LiteralError,
    LiteralTransformer,
    Located,
    format_m_value,
)

MAX_NAME_LENGTH = 31


class GlobalRef(NamedTuple):
    """A parsed reference: name without caret, subscripts as M strings, and whether it is an
    open root (``^DIC(5,``) to which FileMan appends an IEN and more subscripts."""

    name: str
    subscripts: tuple[str, ...]
    open: bool = False

    def child(self, *subs: str) -> tuple[str, tuple[str, ...]]:
        """The (name, subscripts) of a node under this reference (``^DIC(5,`` + ``1,0``)."""
        return (self.name, self.subscripts + subs)

    def __str__(self) -> str:
        return format_global_ref(self)


class _RefTransformer(LiteralTransformer[GlobalRef]):
    """Builds the :class:`GlobalRef`; empty slots are checked against open/closed form."""

    def start(self, children: list[object]) -> GlobalRef:
        _caret, name_tok, tail = children
        assert isinstance(name_tok, Token)
        if len(name_tok) > MAX_NAME_LENGTH:
            raise LiteralError(
                f"global name longer than {MAX_NAME_LENGTH} characters", name_tok.column or 1
            )
        if tail is None:
            return GlobalRef(str(name_tok), (), False)
        assert isinstance(tail, tuple)
        subs, is_open = tail
        return GlobalRef(str(name_tok), subs, is_open)

    def tail(self, children: list[object]) -> tuple[tuple[str, ...], bool]:
        lpar, *rest = children
        assert isinstance(lpar, Token)
        is_open = rest.pop() is None
        slots: list[tuple[str | None, int]] = []
        column = (lpar.column or 1) + 1
        for child in rest:
            if isinstance(child, Token):  # a comma: an empty slot after it starts just here
                column = (child.column or 1) + 1
            elif child is None:
                slots.append((None, column))
            else:
                assert isinstance(child, tuple)
                slots.append(child)
        for index, (text, col) in enumerate(slots):
            if text is None and not (is_open and index == len(slots) - 1):
                raise LiteralError("empty subscript: write a number or a quoted string", col)
            if text == "":
                raise LiteralError('empty-string subscript: M stores no node under ""', col)
        if is_open and slots[-1][0] is not None:
            raise LiteralError(
                "unclosed reference: end with ')' (closed) or ',' (an open root)",
                AT_END,
            )
        return (tuple(text for text, _col in slots if text is not None), is_open)

    def slot(self, children: list[Located | None]) -> Located | None:
        return children[0]


_PARSER = Lark.open(
    "globalref.lark",
    rel_to=__file__,
    parser="lalr",
    maybe_placeholders=True,
    transformer=_RefTransformer(),
)

_READABLE = {
    **LITERAL_TERMINALS,
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "CARET": "'^'",
    "$END": "the end",
}


def _expected(terms: Iterable[str]) -> str:
    return ", ".join(sorted({_READABLE.get(t, t) for t in terms}))


def _error(exc: UnexpectedInput, text: str) -> tuple[str, int]:
    column = exc.column if isinstance(exc.column, int) and exc.column > 0 else len(text) + 1
    if isinstance(exc, UnexpectedToken):
        if exc.token.type == "$END":
            return (f"reference ends early, expected {_expected(exc.expected)}", len(text) + 1)
        if "NAME" in exc.expected:
            return ("invalid global name: expected % or a letter", column)
        if not {"$END", "<END-OF-FILE>"}.isdisjoint(exc.expected) or exc.expected == set():
            return ("trailing text after the reference", column)
        if exc.token.type == "NAME":
            return (f"only literal subscripts are allowed, not {str(exc.token)!r}", column)
        return (f"unexpected {str(exc.token)!r}, expected {_expected(exc.expected)}", column)
    if isinstance(exc, UnexpectedCharacters):
        char = text[column - 1] if column <= len(text) else ""
        if char == '"':
            return ("unterminated string: no closing quote", column)
        if "NAME" in exc.allowed:
            return ("invalid global name: expected % or a letter", column)
        if char in "@$" or char.isalpha():
            return (
                f"only literal subscripts are allowed (numbers, quoted strings, $C): {char!r}",
                column,
            )
        return (f"unexpected {char!r}, expected {_expected(exc.allowed)}", column)
    return ("reference does not parse", column)


def parse_global_ref(text: str, *, source: str = "<string>") -> GlobalRef:
    """Parse a global reference; raises :class:`ParseError` naming the column.

    ``^DIC(5,"B","ALABAMA",1)`` -> ``GlobalRef("DIC", ("5", "B", "ALABAMA", "1"), False)``;
    ``GMRD(120.82,`` -> ``GlobalRef("GMRD", ("120.82",), True)``; ``^DPT(`` -> open, no
    subscripts.  Numeric literals are made canonical as M would (``01`` -> ``1``).
    """
    try:
        result = _PARSER.parse(text)
    except UnexpectedInput as exc:
        message, column = _error(exc, text)
        raise ParseError(message, source=source, line=1, column=column, text=text) from None
    except LiteralError as exc:
        column = len(text) + 1 if exc.column == AT_END else exc.column
        raise ParseError(exc.message, source=source, line=1, column=column, text=text) from None
    assert isinstance(result, GlobalRef)
    return result


def format_global_ref(
    ref: GlobalRef | str,
    subscripts: Iterable[str] = (),
    *,
    open: bool = False,
    caret: bool = True,
) -> str:
    """The M text of a reference (subscripts written as ZWRITE writes them).

    Accepts a :class:`GlobalRef` or a name plus subscripts; ``open=True`` writes the open
    root form (``^DIC(5,``, or ``^DPT(`` without subscripts); ``caret=False`` drops the caret
    as FileMan does in DD pointer roots and variable-pointer values.
    """
    if isinstance(ref, GlobalRef):
        name, subs, open = ref.name, ref.subscripts, ref.open
    else:
        name, subs = ref.removeprefix("^"), tuple(subscripts)
    text = ("^" if caret else "") + name
    inner = ",".join(format_m_value(s) for s in subs)
    if open:
        return text + "(" + inner + ("," if subs else "")
    return text + ("(" + inner + ")" if subs else "")


def split_variable_pointer(value: str, *, source: str = "<string>") -> tuple[str, GlobalRef]:
    """A FileMan variable-pointer value ``ien;GMRD(120.82,`` as (ien, open root).

    Raises :class:`ParseError` when there is no ``;`` or the root is not an open reference.
    """
    ien, sep, root = value.partition(";")
    if not sep or not ien:
        raise ParseError(
            "variable pointer must be 'ien;ROOT(...,'", source=source, line=1, column=1, text=value
        )
    ref = parse_global_ref(root, source=source)
    if not ref.open:
        raise ParseError(
            "variable pointer root must be open (end in '(' or ',')",
            source=source,
            line=1,
            column=len(ien) + 2,
            text=value,
        )
    return ien, ref
