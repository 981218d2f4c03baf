"""Writing the demo data dictionaries into a store, as FileMan keeps them.

For each file: ``^DIC(file,0)="NAME^numberFLAGS"``, ``^DIC(file,0,"GL")`` (the global root) and
the ``^DIC("B",name,file)`` index; ``^DD(file,0)="FIELD^^last field^field count"``, the
``"NM"``, ``"IX"`` and (for subfiles) ``"UP"`` nodes, ``"PT"`` on every pointed-to file, each
field's 0 node, its regular cross-references with their set/kill logic (the M that FileMan
generates for a regular index; data here, never run), and variable-pointer ``"V"`` nodes.
The data file's own header ``^ROOT(0)="NAME^numberFLAGS^^"`` is written empty; the filer
keeps pieces 3 and 4.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from bridge.demo.fields import FieldSpec, FileSpec
from bridge.demo.files import DEMO_FILES
from globals_map.fileman.filer import parse_root
from globals_map.store import GlobalStore

Node = tuple[str, tuple[str, ...], str]

# The date stamped on our dictionary nodes ("DT"): FileMan form of 2026-01-01.
DD_DATE = "3260101"


def _all_files(files: Iterable[FileSpec]) -> Iterator[FileSpec]:
    for spec in files:
        yield spec
        yield from _all_files(spec.subfiles)


def _xref_code(root: str, sub_path: str, name: str, kill: bool) -> str:
    """The set (or kill) logic FileMan generates for a regular index (see DICATT, DIKZ)."""
    verb = "K" if kill else "S"
    tail = "" if kill else '=""'
    return f'{verb} {root}{sub_path}"{name}",$E(X,1,30),DA){tail}'


def _field_nodes(spec: FileSpec, fld: FieldSpec, top: FileSpec) -> Iterator[Node]:
    base = (spec.number, fld.number)
    yield "DD", (*base, "0"), fld.zero
    if fld.xrefs:
        yield "DD", (*base, "1", "0"), "^.1"
        root = top.root.lstrip("^")
        sub_path = ""
        if spec.parent is not None:
            node = next(f for f in top.fields if f.subfile == spec.number).location.split(";")[0]
            sub_path = f"DA(1),{_quote(node)},"
        for n, name in enumerate(fld.xrefs, start=1):
            yield "DD", (*base, "1", str(n), "0"), f"{spec.number}^{name}"
            yield "DD", (*base, "1", str(n), "1"), _xref_code("^" + root, sub_path, name, False)
            yield "DD", (*base, "1", str(n), "2"), _xref_code("^" + root, sub_path, name, True)
    if fld.variable_targets:
        count = len(fld.variable_targets)
        yield "DD", (*base, "V", "0"), f"^.12P^{count}^{count}"
        for n, (vfile, vname, prefix) in enumerate(fld.variable_targets, start=1):
            yield "DD", (*base, "V", str(n), "0"), f"{vfile}^{vname}^{n}^{prefix}^n^n"
            yield "DD", (*base, "V", "B", vfile, str(n)), ""
    yield "DD", (*base, "DT"), DD_DATE


def _quote(node: str) -> str:
    try:
        Decimal(node)
    except ArithmeticError:
        return f'"{node}"'
    return node


def dictionary_nodes(files: Iterable[FileSpec] = DEMO_FILES) -> list[Node]:
    """Every ``^DD``/``^DIC`` node (and empty data-file header) of the demo dictionaries."""
    nodes: list[Node] = []
    pointed: dict[str, list[tuple[str, str]]] = {}
    for top in files:
        for spec in _all_files((top,)):
            nodes.extend(_file_nodes(spec, top))
            for fld in spec.fields:
                target = _pointer_target(fld)
                if target is not None:
                    pointed.setdefault(target, []).append((spec.number, fld.number))
    for target, sources in pointed.items():
        for file, fld_no in sources:
            nodes.append(("DD", (target, "0", "PT", file, fld_no), ""))
    return nodes


def _pointer_target(fld: FieldSpec) -> str | None:
    spec = fld.specifier.lstrip("MR")
    if spec.startswith("P"):
        return spec[1:].rstrip("'")
    return None


def _file_nodes(spec: FileSpec, top: FileSpec) -> Iterator[Node]:
    numbers = sorted((f.number for f in spec.fields), key=Decimal)
    header = "FIELD" if spec.parent is None else f"{spec.name} SUB-FIELD"
    yield "DD", (spec.number, "0"), f"{header}^^{numbers[-1]}^{len(numbers)}"
    yield "DD", (spec.number, "0", "NM", spec.name), ""
    yield "DD", (spec.number, "0", "DT"), DD_DATE
    if spec.parent is not None:
        yield "DD", (spec.number, "0", "UP"), spec.parent
    for fld in spec.fields:
        for name in fld.xrefs:
            yield "DD", (spec.number, "0", "IX", name, spec.number, fld.number), ""
        yield from _field_nodes(spec, fld, top)
    if spec.parent is None:
        # For files stored in ^DIC itself (STATE, RACE...) ^DIC(file,0) is both the
        # dictionary header and the data header, as in VistA.
        name, subs = parse_root(spec.root)
        if (name, subs) != ("DIC", (spec.number,)):
            yield "DIC", (spec.number, "0"), f"{spec.name}^{spec.number}{spec.flags}"
        yield "DIC", (spec.number, "0", "GL"), spec.root
        yield "DIC", ("B", spec.name, spec.number), ""
        yield name, (*subs, "0"), f"{spec.name}^{spec.number}{spec.flags}^^"


def write_dictionaries(store: GlobalStore, files: Iterable[FileSpec] = DEMO_FILES) -> int:
    """Write the demo dictionaries (bulk); returns how many nodes were written."""
    return store.set_many(dictionary_nodes(files))
