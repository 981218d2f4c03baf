"""ZWR exports (``mupip extract -format=zwr``, ZWRITE): parse node lines, write them back.

A ZWR file is two header lines (a free-text title, then a line ending in ``ZWR``, with or
without a date before it) and one node per line: ``^NAME(sub,...)=value``.  The grammar in
``zwr.lark`` (its literals from ``mliteral.lark``) is the definition; :func:`parse_zwr` first
tries a compiled regular expression for the common line shape (numeric and plain quoted
subscripts, a plain value) because a 1M-node load spends its time here, and falls back to the
grammar for everything else.  Tests check that both paths agree (tests/parsers/test_zwr.py);
every error comes from the grammar path and names source, line and column and shows the text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from lark import Lark, Token, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from parsers.errors import ParseError
from parsers.mstring import (
    LITERAL_TERMINALS,
    LiteralError,
    LiteralTransformer,
    Located,
    format_m_string,
    format_m_value,
)

#: GT.M names are at most 31 characters; values at most 1 MiB.
MAX_NAME_LENGTH = 31
MAX_VALUE_BYTES = 1 << 20

NodeTuple = tuple[str, tuple[str, ...], str]


class ZwrNode(NamedTuple):
    """One node of a ZWR file: global name (no caret), subscripts, value, 1-based line."""

    name: str
    subscripts: tuple[str, ...]
    value: str
    line: int


class _ZwrTransformer(LiteralTransformer[NodeTuple]):
    """Turns one parsed line into ``(name, subscripts, value)``; values carry their column
    until the end so errors can point at them."""

    def start(self, children: list[object]) -> NodeTuple:
        name_tok, subs, value = children
        assert isinstance(name_tok, Token)
        assert isinstance(value, tuple)
        name = str(name_tok)
        if len(name) > MAX_NAME_LENGTH:
            raise LiteralError(
                f"global name longer than {MAX_NAME_LENGTH} characters", name_tok.column or 2
            )
        text, column = value
        _check_value_size(text, column)
        subscripts: tuple[str, ...] = () if subs is None else subs  # type: ignore[assignment]
        return (name, subscripts, text)

    def subscripts(self, items: list[Located]) -> tuple[str, ...]:
        for text, column in items:
            if text == "":
                raise LiteralError('empty-string subscript: M stores no node under ""', column)
        return tuple(text for text, _column in items)


def _check_value_size(text: str, column: int) -> None:
    if len(text) > MAX_VALUE_BYTES // 4 and len(text.encode("utf-8", "surrogateescape")) > (
        MAX_VALUE_BYTES
    ):
        raise LiteralError("value longer than 1 MiB (the M string limit)", column)


_PARSER = Lark.open(
    "zwr.lark",
    rel_to=__file__,
    parser="lalr",
    maybe_placeholders=True,
    transformer=_ZwrTransformer(),
)

_TERMINAL_NAMES = {
    **LITERAL_TERMINALS,
    "$END": "end of line",
}


def _describe(expected: Iterable[str]) -> str:
    names: list[str] = []
    for term in sorted(expected):
        if term in _TERMINAL_NAMES:
            names.append(_TERMINAL_NAMES[term])
            continue
        try:
            pattern = _PARSER.get_terminal(term).pattern
        except KeyError:
            names.append(term)
            continue
        names.append(repr(pattern.value) if pattern.type == "str" else term)
    return ", ".join(sorted(set(names)))


def _grammar_error(exc: UnexpectedInput, line: str) -> tuple[str, int]:
    column = exc.column if isinstance(exc.column, int) and exc.column > 0 else len(line) + 1
    expected_terms = exc.allowed if isinstance(exc, UnexpectedCharacters) else set()
    if isinstance(exc, UnexpectedToken):
        expected_terms = exc.expected
    if "NAME" in expected_terms:
        return ("invalid global name: expected % or a letter after '^'", column)
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        expected = _describe(expected_terms)
        if "')'" in expected and "$C(" not in expected and "$" in line:
            return (f"unclosed $C(: line ends early, expected {expected}", len(line) + 1)
        return (f"line ends early, expected {expected}", len(line) + 1)
    char = line[column - 1] if column <= len(line) else ""
    if char == '"' and isinstance(exc, UnexpectedCharacters):
        return ("unterminated string: no closing quote", column)
    if char == "$" and isinstance(exc, UnexpectedCharacters):
        return ("only $C(...) may appear in a ZWR line", column)
    if column > 1 and _complete(line[: column - 1]):
        return ("trailing text after the value", column)
    shown = str(exc.token) if isinstance(exc, UnexpectedToken) else char
    return (f"unexpected {shown!r}, expected {_describe(expected_terms)}", column)


def _complete(prefix: str) -> bool:
    """Whether ``prefix`` alone is a whole node line (so what follows it is garbage)."""
    try:
        _PARSER.parse(prefix)
    except (UnexpectedInput, LiteralError):
        return False
    return True


#: An error keeps at most this much of its line (a lenient load may collect many errors).
MAX_SHOWN = 2000


def _shown(line: str, column: int) -> str:
    """The line as an error keeps it: whole when short, else cut after the error's column."""
    if len(line) <= MAX_SHOWN:
        return line
    return line[: max(MAX_SHOWN, column + 40)] + "..."


def parse_zwr_line(line: str, *, source: str = "<string>", lineno: int = 1) -> NodeTuple:
    """One node line through the grammar (the reference path); raises :class:`ParseError`."""
    try:
        result = _PARSER.parse(line)
    except UnexpectedInput as exc:
        message, column = _grammar_error(exc, line)
        shown = _shown(line, column)
        raise ParseError(message, source=source, line=lineno, column=column, text=shown) from None
    except LiteralError as exc:
        shown = _shown(line, exc.column)
        raise ParseError(
            exc.message, source=source, line=lineno, column=exc.column, text=shown
        ) from None
    assert isinstance(result, tuple)
    return result


# -- the fast path ---------------------------------------------------------------------------
# Canonical numbers of at most 18 digits (kept as written, no conversion needed) and quoted
# strings written as an unrolled loop (no alternation per character).  Anything else -- other
# numeric literals, $C(...), long values, errors -- goes to the grammar.
_F_NUM = (
    r"(?:-?(?:[1-9][0-9]{0,17}|[1-9][0-9]{0,8}\.[0-9]{0,8}[1-9]|\.[0-9]{0,16}[1-9])|0)"
    r"(?![0-9.Ee])"
)
_F_STR = r'"[^"\n]*(?:""[^"\n]*)*"'
_F_NONEMPTY = r'"(?:[^"\n]|"")[^"\n]*(?:""[^"\n]*)*"'
_F_SUB = rf"(?:{_F_NUM}|{_F_NONEMPTY})"
_FAST_LINE = re.compile(
    r"\^(%[A-Za-z0-9]{0,30}|[A-Za-z][A-Za-z0-9]{0,30})"
    rf"(?:\(({_F_SUB}(?:,{_F_SUB})*)\))?"
    rf"=({_F_STR}|{_F_NUM})\r?\n?\Z"
)
_FAST_TOKEN = re.compile(r'"[^"\n]*(?:""[^"\n]*)*"|[^,]+')
_FAST_MAX_VALUE = MAX_VALUE_BYTES // 4


def _fast_subscripts(subtext: str) -> tuple[str, ...]:
    if '"' not in subtext:
        return tuple(subtext.split(","))
    return tuple(
        (t[1:-1].replace('""', '"') if '""' in t else t[1:-1]) if t[0] == '"' else t
        for t in _FAST_TOKEN.findall(subtext)
    )


def parse_zwr_line_fast(line: str) -> NodeTuple | None:
    """The common line shape by regular expression, or None (then use the grammar).

    Returns only what :func:`parse_zwr_line` would return for the same line (tests check it
    on generated lines).  A trailing newline is allowed.
    """
    m = _FAST_LINE.match(line)
    if m is None:
        return None
    name, subtext, value = m.groups()
    if value[0] == '"':
        value = value[1:-1]
        if '""' in value:
            value = value.replace('""', '"')
        if len(value) > _FAST_MAX_VALUE:
            return None
    return (name, () if subtext is None else _fast_subscripts(subtext), value)


# -- files ----------------------------------------------------------------------------------
def _split_lines(text_or_lines: str | Iterable[str]) -> Iterator[str]:
    if isinstance(text_or_lines, str):
        lines: Iterable[str] = text_or_lines.split("\n")
    else:
        lines = text_or_lines
    for line in lines:
        if line.endswith("\n"):
            line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
        yield line


def _check_header(lines: Iterator[str], source: str) -> None:
    """Consume the two header lines; a file without them is refused (``mupip load`` would
    silently lose its first records)."""
    title = next(lines, None)
    second = next(lines, None)
    if title is None:
        raise ParseError(
            "empty input: a ZWR file starts with a title line and a line ending in 'ZWR'",
            source=source,
            line=1,
            column=1,
            text="",
        )
    if second is None or not second.rstrip().endswith("ZWR"):
        bad_line, text = (1, title) if title.startswith("^") else (2, second or "")
        raise ParseError(
            "no ZWR header: line 1 is a free-text title and line 2 must end in 'ZWR'",
            source=source,
            line=bad_line,
            column=1,
            text=text,
        )


def iter_zwr_tuples(
    text_or_lines: str | Iterable[str],
    source: str = "<string>",
    errors: list[ParseError] | None = None,
) -> Iterator[tuple[str, tuple[str, ...], str, int]]:
    """``(name, subscripts, value, line)`` for every node; the loader's hot loop.

    With ``errors`` given, a bad line is appended there and skipped; otherwise it raises.
    Empty lines are skipped.  The header is always required.
    """
    lines = text_or_lines.split("\n") if isinstance(text_or_lines, str) else text_or_lines
    numbered = iter(lines)
    _check_header(_split_lines(itertools.islice(numbered, 2)), source)
    fast = parse_zwr_line_fast
    for lineno, line in enumerate(numbered, 3):
        node = fast(line)
        if node is None:
            line = line.rstrip("\n")
            if line.endswith("\r"):
                line = line[:-1]
            if not line:
                continue
            try:
                node = parse_zwr_line(line, source=source, lineno=lineno)
            except ParseError as exc:
                if errors is None:
                    raise
                errors.append(exc)
                continue
        yield (node[0], node[1], node[2], lineno)


def parse_zwr(text_or_lines: str | Iterable[str], source: str = "<string>") -> Iterator[ZwrNode]:
    """Every node of a ZWR export (text, or lines with or without their newlines)."""
    for name, subs, value, lineno in iter_zwr_tuples(text_or_lines, source):
        yield ZwrNode(name, subs, value, lineno)


def open_zwr(path: str | Path) -> Iterator[str]:
    """The lines of a ZWR file as M strings (bytes >= 128 kept via surrogateescape).

    A file that cannot be read raises :class:`ParseError` naming it (with the OS's reason).
    """
    try:
        fh = open(path, encoding="utf-8", errors="surrogateescape", newline="\n")  # noqa: SIM115
    except OSError as exc:
        raise ParseError(f"cannot read the file: {exc.strerror or exc}", source=str(path)) from None
    with fh:
        try:
            yield from fh
        except OSError as exc:
            raise ParseError(f"read failed: {exc.strerror or exc}", source=str(path)) from None


def parse_zwr_file(path: str | Path) -> Iterator[ZwrNode]:
    """Every node of a ZWR file; errors name the file."""
    return parse_zwr(open_zwr(path), source=str(path))


def format_zwr_node(name: str, subs: Iterable[str], value: str) -> str:
    """One node line exactly as ``mupip extract -format=zwr`` writes it (no newline).

    Canonical-number subscripts are bare; the value is always written as a string (mupip
    writes ``="16"``, never ``=16``: a database holds strings), control characters as
    ``$C(n)``, bytes >= 128 as they are.
    """
    caret = name if name.startswith("^") else "^" + name
    subs = tuple(subs)
    if subs:
        caret += "(" + ",".join(map(format_m_value, subs)) + ")"
    return caret + "=" + format_m_string(value)
