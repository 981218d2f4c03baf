"""The Kernel cipher of XUSRB1 (ENCRYP^XUSRB1 / DECRYP^XUSRB1) for access/verify codes and the
context option name.

It is a substitution over the 94 printable ASCII characters other than ``^``, keyed by two rows
of a 20-row table (label Z of XUSRB1).  ENCRYP picks the *associator* row at random, then an
*identifier* row different from it, translates the text from the identifier row to the associator
row and wraps it as ``$C(identifier+31) text $C(associator+31)``; DECRYP reads both indexes from
the ends and translates back.  Characters outside the table pass through unchanged (``$TR``).

The table is data, not a constant (rpc/cipher_tables.json): VA systems, CPRS and the VEHU
routines share one ("va", the default: label Z of XUSRB1 in WorldVistA/VistA-VEHU-M, and the
CipherPad of the BDK's XWBHash.pas, XWB*1.1*72, starts with the same rows); the XUSRB1 that
WorldVistA/VistA-M carried from its 2012-2014 FOIA imports has another ("worldvista", e.g.
commit 62775e4073; VistA-M went back to the VA table in commit a94efbfc2d, 2017).  A client
using the wrong one sends codes the server decrypts into garbage, which VistA reports as a wrong
access/verify pair, so sign-on errors name the table that was used.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Protocol

from rpc.errors import CipherError

ROWS = 20
#: The characters every row permutes: printable ASCII (32-126) except ``^`` (BLDDRUM^XUSRB1).
ALPHABET = frozenset(chr(c) for c in range(32, 127) if chr(c) != "^")


class RowChooser(Protocol):
    """What ENCRYP needs from a random source: ``randrange(20)`` like M's ``$R(20)``."""

    def randrange(self, stop: int, /) -> int: ...


@dataclass(frozen=True)
class CipherTable:
    """A named 20-row XUSRB1 table.  Rows are checked: each a permutation of :data:`ALPHABET`."""

    name: str
    rows: tuple[str, ...]
    _maps: dict[tuple[int, int], dict[int, int]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if len(self.rows) != ROWS:
            raise CipherError(f"cipher table {self.name!r} has {len(self.rows)} rows, not {ROWS}")
        for number, row in enumerate(self.rows, 1):
            if len(row) != len(ALPHABET) or set(row) != ALPHABET:
                raise CipherError(
                    f"cipher table {self.name!r} row {number} is not a permutation of the 94 "
                    "printable ASCII characters other than '^'"
                )

    def _map(self, source: int, target: int) -> dict[int, int]:
        key = (source, target)
        table = self._maps.get(key)
        if table is None:
            table = str.maketrans(self.rows[source - 1], self.rows[target - 1])
            self._maps[key] = table
        return table

    def encrypt(self, text: str, rng: RowChooser | None = None) -> str:
        """ENCRYP^XUSRB1: random associator row, then a different identifier row."""
        chooser = rng if rng is not None else _SYSTEM_RANDOM
        assoc = _pick(chooser)
        ident = _pick(chooser)
        for _ in range(1000):  # ENCRYP loops until the rows differ; bound a broken RNG
            if ident != assoc:
                break
            ident = _pick(chooser)
        else:
            raise CipherError("the row chooser never returned two different rows")
        return self.encrypt_with_rows(text, ident, assoc)

    def encrypt_with_rows(self, text: str, identifier: int, associator: int) -> str:
        """ENCRYP^XUSRB1 with the rows given (1-based); what check.py does with rows 1 and 2."""
        if not (1 <= identifier <= ROWS and 1 <= associator <= ROWS):
            raise CipherError(f"cipher rows must be 1..{ROWS}")
        translated = text.translate(self._map(identifier, associator))
        return chr(identifier + 31) + translated + chr(associator + 31)

    def decrypt(self, text: str) -> str:
        """DECRYP^XUSRB1: rows from the first and last characters; ``""`` for 2 chars or fewer."""
        if len(text) <= 2:
            return ""
        identifier, associator = ord(text[0]) - 31, ord(text[-1]) - 31
        if not (1 <= identifier <= ROWS and 1 <= associator <= ROWS):
            raise CipherError("encrypted text does not start and end with a row index")
        return text[1:-1].translate(self._map(associator, identifier))


def _pick(chooser: RowChooser) -> int:
    row = chooser.randrange(ROWS) + 1  # $R(20)+1
    if not 1 <= row <= ROWS:
        raise CipherError(f"the row chooser returned {row - 1}, outside 0..{ROWS - 1}")
    return row


_SYSTEM_RANDOM: RowChooser = secrets.SystemRandom()


def _load_shipped() -> dict[str, CipherTable]:
    raw = json.loads(resources.files("rpc").joinpath("cipher_tables.json").read_text("ascii"))
    return {
        name: CipherTable(name, tuple(rows))
        for name, rows in raw.items()
        if not name.startswith("_")
    }


#: The shipped tables, by name: ``"va"`` (default) and ``"worldvista"``.
TABLES: dict[str, CipherTable] = _load_shipped()
DEFAULT_TABLE = "va"


def get_table(name: str = DEFAULT_TABLE) -> CipherTable:
    """A shipped table by name; :class:`CipherError` naming the choices otherwise."""
    try:
        return TABLES[name]
    except KeyError:
        raise CipherError(
            f"unknown cipher table {name!r}; shipped tables: {', '.join(sorted(TABLES))}"
        ) from None


def load_table(path: str | Path, name: str | None = None) -> CipherTable:
    """A site's own table from a file: a JSON list of 20 rows, or 20 text lines, or the Z label
    lines of an XUSRB1.m (`` ;;row``).  The rows are validated, never executed."""
    file = Path(path)
    try:
        text = file.read_text("ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise CipherError(f"cannot read cipher table {file}: {exc}") from None
    rows: list[str]
    if text.lstrip().startswith("["):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CipherError(f"cipher table {file} is not valid JSON: {exc.msg}") from None
        if not isinstance(loaded, list) or not all(isinstance(r, str) for r in loaded):
            raise CipherError(f"cipher table {file} must be a JSON list of strings")
        rows = loaded
    else:
        lines = text.splitlines()
        label = next((i for i, ln in enumerate(lines) if ln.startswith("Z ;;")), None)
        if label is not None:  # an XUSRB1 routine: the rows follow label Z as " ;;row"
            after = lines[label + 1 : label + 1 + ROWS]
            rows = [ln[3:] if ln.startswith(" ;;") else ln for ln in after]
        else:
            rows = [ln for ln in lines if ln]
    return CipherTable(name or file.stem, tuple(rows))
