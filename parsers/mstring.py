"""M string and number literals as ZWRITE and ``mupip extract -format=zwr`` write them.

Shared by the ZWR and global-reference parsers.  M strings are Python ``str`` (UTF-8 with
``surrogateescape``, see :mod:`parsers.collation`).  GT.M in M mode (see ../shared/fixtures/
engine/README.md) writes a string as ``"..."`` with inner quotes doubled, control characters
(0-31 and 127) as ``$C(n,...)`` joined to the quoted runs with ``_``, and bytes >= 128 as they
are; a canonical number is written bare.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_DOWN, Context, Decimal, InvalidOperation
from typing import TypeVar

from lark import Token, Transformer

from parsers.canonical import canonical_number, is_canonical_number
from parsers.collation import decode_m, encode_m

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_HAS_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Canonical numbers that need no conversion (the common case: IENs, file numbers).
_PLAIN_CANONICAL = re.compile(r"-?(?:[1-9][0-9]*(?:\.[0-9]*[1-9])?|\.[0-9]*[1-9])\Z|0\Z")
#: GT.M keeps 18 significant digits and truncates the rest (1234567890123456789 -> ...780).
_M_DIGITS = Context(prec=18, rounding=ROUND_DOWN)
_M_MAX = Decimal("1E47")
_M_MIN = Decimal("1E-43")
#: Highest code ``$C`` accepts in M mode (one byte per character).
MAX_CHAR_CODE = 255


def quote_m(s: str) -> str:
    """``s`` as a quoted M string literal, inner quotes doubled (no control handling)."""
    return '"' + s.replace('"', '""') + '"'


def format_m_string(s: str) -> str:
    """A string as GT.M's ZWRITE writes it (always as a string, never bare).

    ``"a"_$C(9)_"b"``; a string made only of control characters is ``$C(1,2,3)``; the empty
    string is ``""``.
    """
    if _HAS_CONTROL.search(s) is None:
        return quote_m(s)
    parts: list[str] = []
    pos = 0
    for m in _CONTROL.finditer(s):
        if m.start() > pos:
            parts.append(quote_m(s[pos : m.start()]))
        parts.append("$C(" + ",".join(str(ord(c)) for c in m.group()) + ")")
        pos = m.end()
    if pos < len(s):
        parts.append(quote_m(s[pos:]))
    return "_".join(parts)


def format_m_value(s: str) -> str:
    """A value or subscript as ZWRITE writes it: canonical numbers bare, else a string."""
    if is_canonical_number(s):
        return s
    return format_m_string(s)


def unquote_m(literal: str) -> str:
    """The string inside a quoted M literal ``"..."`` (doubled quotes undoubled)."""
    inner = literal[1:-1]
    return inner.replace('""', '"') if '""' in inner else inner


def number_literal(text: str) -> str:
    """The canonical string M makes of a numeric literal (``1E3`` -> ``1000``, ``01`` -> ``1``).

    Keeps 18 significant digits, truncating (as GT.M does); magnitudes below 1E-43 become 0.
    Raises ``ValueError`` when the literal is not a number or overflows (GT.M's NUMOFLOW).
    """
    if len(text) <= _M_DIGITS.prec and _PLAIN_CANONICAL.match(text):
        return text
    try:
        dec = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a numeric literal: {text!r}") from None
    if not dec.is_finite():
        raise ValueError(f"not a numeric literal: {text!r}")
    dec = _M_DIGITS.plus(dec)
    mag = abs(dec)
    if mag >= _M_MAX:
        raise ValueError("numeric literal out of range (M numbers are below 1E47)")
    if mag < _M_MIN:
        return "0"
    return canonical_number(dec)


def chars_from_codes(codes: Sequence[int]) -> str | bytes:
    """What ``$C(codes)`` yields in M mode: ``str`` when all codes are ASCII, else ``bytes``.

    Raises ``ValueError`` for a code above 255.
    """
    for code in codes:
        if code > MAX_CHAR_CODE:
            raise ValueError(f"$C({code}) is out of range: M mode characters are 0-255")
    if all(code < 128 for code in codes):
        return "".join(map(chr, codes))
    return bytes(codes)


def join_pieces(pieces: Sequence[str | bytes]) -> str:
    """Concatenate string pieces (``_``); byte pieces from ``$C(n>=128)`` join at byte level,
    so ``$C(195,169)`` equals the literal ``"é"``."""
    if all(isinstance(p, str) for p in pieces):
        return "".join(p for p in pieces if isinstance(p, str))
    return decode_m(b"".join(p if isinstance(p, bytes) else encode_m(p) for p in pieces))


# -- the literal part of our lark grammars (mliteral.lark, imported by zwr.lark and
# globalref.lark) ------------------------------------------------------------------------------
#: How parse errors name the terminals of mliteral.lark.
LITERAL_TERMINALS = {
    "NAME": "a global name",
    "NUMBER": "a number",
    "STRING": "a quoted string",
    "CHARFN": "$C(",
    "INT": "a character code",
}
#: A value with the 1-based column where it starts (so errors can point at it).
Located = tuple[str, int]
Piece = tuple[str | bytes, int]
#: Column placeholder for "at the end of the text" (a transformer does not see the text).
AT_END = -1
_Result = TypeVar("_Result")


class LiteralError(Exception):
    """A literal that parses but is not acceptable (``$C(300)``, ``""`` as a subscript...);
    the parser turns it into a :class:`~parsers.errors.ParseError` with line and text."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


class LiteralTransformer(Transformer[Token, _Result]):
    """Rules ``number``, ``strexpr``, ``string`` and ``chars`` shared by our grammars: each
    returns its value with its column."""

    def number(self, children: list[Token]) -> Located:
        tok = children[0]
        try:
            return (number_literal(str(tok)), tok.column or 1)
        except ValueError as exc:
            raise LiteralError(str(exc), tok.column or 1) from None

    def strexpr(self, pieces: list[Piece]) -> Located:
        return (join_pieces([p for p, _column in pieces]), pieces[0][1])

    def string(self, children: list[Token]) -> Piece:
        tok = children[0]
        return (unquote_m(str(tok)), tok.column or 1)

    def chars(self, children: list[Token]) -> Piece:
        fn, *codes = children
        for tok in codes:
            if int(tok) > MAX_CHAR_CODE:
                raise LiteralError(
                    f"$C({int(tok)}) is out of range: M mode characters are 0-255",
                    tok.column or 1,
                )
        return (chars_from_codes([int(t) for t in codes]), fn.column or 1)
