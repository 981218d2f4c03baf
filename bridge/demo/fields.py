"""Builders for the demo data dictionaries: one small function per FileMan field type.

Each returns a :class:`FieldSpec` whose ``zero`` is the field's ``^DD(file,field,0)`` node in
FileMan's shape: ``label^specifier^pointer-root-or-codes^node;piece^input transform``.  The
input transforms are the forms FileMan's field editor (DIED/DICATT) generates; they are data for
readers (FileMan never lets us run them; our filer reads only their limits).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldSpec:
    """One field of a demo dictionary."""

    number: str
    label: str
    specifier: str
    third: str  # pointer global root (without ^), set codes, or ""
    location: str  # node;piece, node;Em,n or node;0 for a multiple
    transform: str = ""
    xrefs: tuple[str, ...] = ()  # regular ("file^NAME") cross-references on this field
    variable_targets: tuple[tuple[str, str, str], ...] = ()  # (file, name, prefix)
    subfile: str | None = None

    @property
    def zero(self) -> str:
        return "^".join((self.label, self.specifier, self.third, self.location, self.transform))


@dataclass(frozen=True)
class FileSpec:
    """One demo file (or subfile, when ``parent`` is set)."""

    number: str
    name: str
    root: str  # "^DPT(" for a top file, "" for a subfile
    fields: tuple[FieldSpec, ...]
    flags: str = ""  # ^DIC(file,0) piece 2 after the number (e.g. "I")
    parent: str | None = None
    subfiles: tuple[FileSpec, ...] = field(default_factory=tuple)


def _req(required: bool, spec: str) -> str:
    return ("R" + spec) if required else spec


def free(
    number: str,
    label: str,
    location: str,
    *,
    lo: int = 1,
    hi: int = 30,
    required: bool = False,
    xrefs: tuple[str, ...] = (),
) -> FieldSpec:
    """FREE TEXT: ``F`` with the length check FileMan generates."""
    return FieldSpec(
        number, label, _req(required, "F"), "", location, f"K:$L(X)>{hi}!($L(X)<{lo}) X", xrefs
    )


def numeric(
    number: str,
    label: str,
    location: str,
    *,
    width: int,
    decimals: int = 0,
    lo: int | float = 0,
    hi: int | float,
    required: bool = False,
    xrefs: tuple[str, ...] = (),
) -> FieldSpec:
    """NUMERIC: ``NJwidth,decimals`` with FileMan's range and decimal-places check."""
    transform = f'K:+X\'=X!(X>{hi})!(X<{lo})!(X?.E1"."{decimals + 1}N.N) X'
    spec = _req(required, f"NJ{width},{decimals}")
    return FieldSpec(number, label, spec, "", location, transform, xrefs)


def date_time(
    number: str,
    label: str,
    location: str,
    *,
    required: bool = False,
    time: bool = True,
    xrefs: tuple[str, ...] = (),
) -> FieldSpec:
    """DATE/TIME: ``D`` with the %DT call FileMan generates (``T`` allows a time)."""
    flags = "ETX" if time else "EX"
    transform = f'S %DT="{flags}" D ^%DT S X=Y K:Y<1 X'
    return FieldSpec(number, label, _req(required, "D"), "", location, transform, xrefs)


def codes(
    number: str,
    label: str,
    location: str,
    values: dict[str, str],
    *,
    required: bool = False,
    xrefs: tuple[str, ...] = (),
) -> FieldSpec:
    """SET OF CODES: ``S`` with ``code:label;`` pairs (FileMan's BOOLEAN is a set too)."""
    third = "".join(f"{k}:{v};" for k, v in values.items())
    return FieldSpec(number, label, _req(required, "S"), third, location, "Q", xrefs)


def pointer(
    number: str,
    label: str,
    location: str,
    target: str,
    target_root: str,
    *,
    required: bool = False,
    laygo: bool = False,
    xrefs: tuple[str, ...] = (),
    prefix: str = "",
) -> FieldSpec:
    """POINTER: ``P<file>`` (``'``: no adding entries on the fly) and the target's root."""
    spec = prefix + _req(required, f"P{target}" + ("" if laygo else "'"))
    return FieldSpec(number, label, spec, target_root.lstrip("^"), location, "Q", xrefs)


def variable(
    number: str,
    label: str,
    location: str,
    targets: tuple[tuple[str, str, str], ...],
) -> FieldSpec:
    """VARIABLE POINTER: ``V``; the targets go in ``^DD(file,field,"V",n,0)``."""
    return FieldSpec(number, label, "V", "", location, "", variable_targets=targets)


def multiple(number: str, label: str, node: str, subfile: str, modifiers: str = "A") -> FieldSpec:
    """A multiple: the specifier is the subfile number (plus modifiers), stored at node;0."""
    return FieldSpec(number, label, f"{subfile}{modifiers}", "", f"{node};0", subfile=subfile)
