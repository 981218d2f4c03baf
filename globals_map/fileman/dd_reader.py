"""Build one :class:`FileDef` from the nodes of ``^DD(file)`` (one bulk read).

The node shapes follow FileMan's DD layout (Programmer Manual, "Data Dictionary"):
``^DD(f,0)`` header, ``^DD(f,0,"UP")`` parent, ``^DD(f,0,"NM",name)``, ``^DD(f,0,"ID",x)``
identifiers, ``^DD(f,0,"IX",name,file,field)`` indexes, ``^DD(f,fld,0)`` the field,
``^DD(f,fld,1,n,...)`` traditional cross-references, ``^DD(f,fld,2)`` the output transform,
``^DD(f,fld,"V",n,0)`` variable-pointer targets, plus the new-style indexes in ``^DD("IX")``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from globals_map.fileman.schema import (
    CrossReference,
    FieldDef,
    FileDef,
    Index,
    Key,
    VariablePointerTarget,
    field_sort_key,
)
from globals_map.store import NodeItem, iter_subscripts
from parsers.canonical import is_canonical_number
from parsers.dd_spec import (
    FieldSpec,
    FieldType,
    GlobalRoot,
    parse_global_root,
    parse_set_codes,
    parse_specifier,
    parse_storage,
)
from parsers.errors import ParseError

if TYPE_CHECKING:
    from globals_map.fileman.schema import Schema

Rel = tuple[str, ...]


def load_file(schema: Schema, number: str, nodes: list[NodeItem]) -> FileDef:
    """The file's definition from its ``^DD`` nodes; problems go to ``FileDef.issues``."""
    by_field: dict[str, dict[Rel, str]] = defaultdict(dict)
    header: dict[Rel, str] = {}
    for subs, value in nodes:
        rel = subs[1:]
        if not rel:
            continue
        if rel[0] == "0":
            header[rel[1:]] = value
        elif is_canonical_number(rel[0]):
            by_field[rel[0]][rel[1:]] = value
    store = schema.store
    parent = header.get(("UP",))
    fdef = FileDef(
        number=number,
        name=_file_name(schema, number, header),
        global_root=None,
        parent=parent.strip() if parent else None,
        lookup=header.get(("LOOK",), ""),
    )
    if fdef.parent is None:
        gl = store.get("DIC", (number, "0", "GL"))
        if gl:
            try:
                fdef.global_root = parse_global_root(gl)
            except ParseError as exc:
                schema._issue(fdef, None, f'global root ^DIC({number},0,"GL"): {exc.message}')
    if () not in header and not by_field:
        schema._issue(fdef, None, "no ^DD(file,0) header")
    for rel, code in header.items():
        if len(rel) == 2 and rel[0] == "ID":
            fdef.identifiers[rel[1]] = code
        elif len(rel) == 4 and rel[0] == "IX":
            name = rel[1]
            idx = fdef.indexes.get(name)
            flds = (*idx.fields, rel[3]) if idx else (rel[3],)
            fdef.indexes[name] = Index(file=number, name=name, root_file=rel[2], fields=flds)
    _new_style_indexes(schema, fdef)
    _keys(schema, fdef)
    for num in sorted(by_field, key=field_sort_key):
        fnodes = by_field[num]
        if ("0",) not in fnodes:
            continue  # e.g. ^DD(f,fld,"DT") left behind: no field definition
        fld = _field(schema, fdef, num, fnodes)
        if fld is not None:
            fdef.fields[num] = fld
    for fld in fdef.fields.values():  # regular cross-references not named in ^DD(f,0,"IX")
        for x in fld.xrefs:
            if x.name and not x.kind and x.name not in fdef.indexes:
                fdef.indexes[x.name] = Index(
                    file=number, name=x.name, root_file=x.file or number, fields=(fld.number,)
                )
    if fdef.parent is not None:
        _check_parent(schema, fdef)
    return fdef


def _file_name(schema: Schema, number: str, header: dict[Rel, str]) -> str:
    dic0 = schema.store.get("DIC", (number, "0"))
    if dic0:
        return dic0.split("^")[0]
    for rel in header:
        if len(rel) == 2 and rel[0] == "NM":
            return rel[1]
    return header.get((), "").split("^")[0]


def _new_style_indexes(schema: Schema, fdef: FileDef) -> None:
    store = schema.store
    for ien in iter_subscripts(store, "DD", ("IX", "B", fdef.number)):
        zero = store.get("DD", ("IX", ien, "0"))
        if zero is None:
            schema._issue(fdef, None, f'^DD("IX","B") names index {ien} with no ^DD("IX",{ien},0)')
            continue
        p = zero.split("^")
        name = p[1] if len(p) > 1 else ""
        flds: list[str] = []
        for sub in iter_subscripts(store, "DD", ("IX", ien, "11.1")):
            if not is_canonical_number(sub) or sub == "0":
                continue
            comp = (store.get("DD", ("IX", ien, "11.1", sub, "0")) or "").split("^")
            if len(comp) > 3 and comp[1] == "F":
                flds.append(comp[3])
        fdef.indexes[name] = Index(
            file=fdef.number,
            name=name,
            root_file=p[8] if len(p) > 8 and p[8] else fdef.number,
            fields=tuple(flds),
            number=ien,
            kind=p[3] if len(p) > 3 else "",
            use=p[7] if len(p) > 7 else "",
            description=p[2] if len(p) > 2 else "",
        )


def _keys(schema: Schema, fdef: FileDef) -> None:
    """Keys from ``^DD("KEY")`` (file .31): 0 node ``file^name^priority^uniqueness index``,
    fields in ``^DD("KEY",ien,2,n,0)`` = ``field^file^sequence``."""
    store = schema.store
    for ien in iter_subscripts(store, "DD", ("KEY", "B", fdef.number)):
        zero = store.get("DD", ("KEY", ien, "0"))
        if zero is None:
            schema._issue(fdef, None, f'^DD("KEY","B") names key {ien} with no 0 node')
            continue
        p = [*zero.split("^"), "", "", ""]
        seq: list[tuple[str, str]] = []
        for sub in iter_subscripts(store, "DD", ("KEY", ien, "2")):
            if sub == "0" or not is_canonical_number(sub):
                continue
            comp = [*(store.get("DD", ("KEY", ien, "2", sub, "0")) or "").split("^"), "", ""]
            seq.append((comp[2] or sub, comp[0]))
        seq.sort(key=lambda t: field_sort_key(t[0]) if is_canonical_number(t[0]) else 0)
        fdef.keys[p[1]] = Key(
            file=fdef.number,
            name=p[1],
            priority=p[2],
            fields=tuple(f for _, f in seq),
            uniqueness_index=p[3],
            number=ien,
        )


def _field(schema: Schema, fdef: FileDef, num: str, nodes: dict[Rel, str]) -> FieldDef | None:
    zero = nodes[("0",)]
    p = zero.split("^")
    if len(p) < 4:
        schema._issue(fdef, num, "field node 0 has fewer than 4 pieces (label^type^^node;piece)")
        p += [""] * (4 - len(p))
    label, spec_text, p3, p4 = p[0], p[1], p[2], p[3]
    tail = "^".join(p[4:])
    try:
        spec = parse_specifier(spec_text)
    except ParseError as exc:
        schema._issue(fdef, num, f"specifier {spec_text!r}: {exc.message}")
        spec = FieldSpec(text=spec_text, type=FieldType.FREE_TEXT, issues=("unparsed",))
    if spec.unknown:
        schema._issue(fdef, num, f"specifier {spec_text!r}: unknown modifier(s) {spec.unknown}")
    for note in spec.issues:
        if note != "unparsed":
            schema._issue(fdef, num, f"specifier {spec_text!r}: {note}")
    fld = FieldDef(
        file=fdef.number, number=num, label=label, spec=spec, type=spec.type, storage=None
    )
    try:
        fld.storage = parse_storage(p4)
    except ParseError as exc:
        schema._issue(fdef, num, f"storage {p4!r}: {exc.message}")
    # .001 is the NUMBER field: the IEN itself, stored nowhere (DIQG: I DIQGDRN=.001 S Y=DA)
    if fld.storage is None and spec.type is not FieldType.COMPUTED and num != ".001":
        schema._issue(fdef, num, f"no storage (node;piece) for a {spec.type.name} field")
    if spec.type is FieldType.COMPUTED:
        fld.computed_code = tail
    else:
        fld.input_transform = tail
    fld.output_transform = nodes.get(("2",), "")
    fld.help_prompt = nodes.get(("3",), "")
    _type_details(schema, fdef, fld, p3, nodes)
    fld.xrefs = _xrefs(num, nodes)
    return fld


def _type_details(
    schema: Schema, fdef: FileDef, fld: FieldDef, p3: str, nodes: dict[Rel, str]
) -> None:
    spec, num = fld.spec, fld.number
    if spec.type is FieldType.SET:
        try:
            fld.codes = parse_set_codes(p3)
        except ParseError as exc:
            schema._issue(fdef, num, f"set of codes {p3!r}: {exc.message}")
        if not fld.codes:
            schema._issue(fdef, num, "set of codes field with no codes")
    elif spec.type is FieldType.POINTER:
        fld.pointer_file = spec.pointer_file
        fld.pointer_root = _root(schema, fdef, num, p3, "pointer global root")
    elif spec.type is FieldType.VARIABLE_POINTER:
        fld.vp_targets = _vp_targets(schema, fdef, num, nodes)
    elif spec.type is FieldType.MULTIPLE:
        _multiple(schema, fdef, fld)
    elif spec.type is FieldType.COMPUTED and spec.computed_pointer_file:
        fld.pointer_file = spec.computed_pointer_file


def _root(schema: Schema, fdef: FileDef, num: str, text: str, what: str) -> GlobalRoot | None:
    if not text:
        schema._issue(fdef, num, f"{what} is empty")
        return None
    try:
        return parse_global_root(text)
    except ParseError as exc:
        schema._issue(fdef, num, f"{what} {text!r}: {exc.message}")
        return None


def _vp_targets(
    schema: Schema, fdef: FileDef, num: str, nodes: dict[Rel, str]
) -> tuple[VariablePointerTarget, ...]:
    out: list[VariablePointerTarget] = []
    for rel, value in nodes.items():
        if len(rel) != 3 or rel[0] != "V" or rel[2] != "0" or rel[1] == "0":
            continue
        p = value.split("^") + [""] * 4
        target = p[0]
        gl = schema.store.get("DIC", (target, "0", "GL")) if target else None
        root = None
        if gl:
            try:
                root = parse_global_root(gl)
            except ParseError:
                root = None
        out.append(VariablePointerTarget(target, p[1], p[2], p[3], root))
    if not out:
        schema._issue(fdef, num, 'variable pointer with no "V" targets')
    return tuple(out)


def _multiple(schema: Schema, fdef: FileDef, fld: FieldDef) -> None:
    sub = fld.spec.subfile
    assert sub is not None
    fld.subfile = sub
    num = fld.number
    if sub == fdef.number:
        schema._issue(fdef, num, "multiple points at its own file")
        return
    if fld.storage is not None and not fld.storage.is_subfile:
        schema._issue(fdef, num, f"multiple stored at {fld.storage} (expected node;0)")
    store = schema.store
    if store.data("DD", (sub,)) == 0:
        schema._issue(fdef, num, f"subfile {sub} has no ^DD")
        return
    up = store.get("DD", (sub, "0", "UP"))
    if up is None or up.strip() != fdef.number:
        schema._issue(fdef, num, f'subfile {sub}\'s ^DD(sub,0,"UP") is {up!r}, not this file')
    sub01 = store.get("DD", (sub, ".01", "0"))
    if sub01 is None:
        schema._issue(fdef, num, f"subfile {sub} has no .01 field")
        return
    sub_spec = sub01.split("^")[1] if "^" in sub01 else ""
    try:
        if parse_specifier(sub_spec).type is FieldType.WORD_PROCESSING:
            fld.type = FieldType.WORD_PROCESSING
    except ParseError:
        pass  # reported when the subfile itself is loaded


def _xrefs(num: str, nodes: dict[Rel, str]) -> tuple[CrossReference, ...]:
    out: list[CrossReference] = []
    for rel, value in nodes.items():
        if len(rel) != 3 or rel[0] != "1" or rel[2] != "0" or rel[1] == "0":
            continue
        p = [*value.split("^"), "", ""]
        n = rel[1]
        out.append(
            CrossReference(
                file=p[0],
                field=num,
                number=n,
                name=p[1],
                kind=p[2],
                set_logic=nodes.get(("1", n, "1"), ""),
                kill_logic=nodes.get(("1", n, "2"), ""),
            )
        )
    return tuple(out)


def _check_parent(schema: Schema, fdef: FileDef) -> None:
    parent = fdef.parent
    assert parent is not None
    if parent == fdef.number:
        schema._issue(fdef, None, "subfile is its own parent")
        return
    store = schema.store
    if store.data("DD", (parent,)) == 0:
        schema._issue(fdef, None, f"parent file {parent} has no ^DD")
        return
    for sub in iter_subscripts(store, "DD", (parent,)):
        if not is_canonical_number(sub) or sub == "0":
            continue
        zero = store.get("DD", (parent, sub, "0"))
        if zero is None:
            continue
        spec = zero.split("^")[1] if "^" in zero else ""
        try:
            if parse_specifier(spec).subfile == fdef.number:
                fdef.parent_field = sub
                return
        except ParseError:
            continue
    schema._issue(fdef, None, f"no field of parent file {parent} holds this subfile")
