"""FileMan data as REST JSON: files, their dictionaries, entries in either form, and links.

Reads go through the bridge's FileMan layer (``bridge.schema``, ``bridge.decoder``) and its
store: listing walks the file's global in IEN order ($ORDER, as FileMan's lister does), and a
name search walks the "B" index from the given prefix (as DIC does for a lookup). The schema
and decoder are typed ``Any`` here because the api package imports the bridge only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from bridge.errors import BadQueryError, NotFoundError
from bridge.facade import Bridge

Format = Literal["internal", "external", "both"]
_FILE_RE = re.compile(r"^[0-9]{1,10}(\.[0-9]{1,10})?$")
_IEN_RE = re.compile(r"^[1-9][0-9]{0,15}(\.[0-9]{1,6})?$")
MAX_LIMIT = 500


def check_file(file: str) -> str:
    if not _FILE_RE.match(file) or Decimal(file) <= 0:
        raise BadQueryError(f"{file[:40]!r} is not a FileMan file number (like 2 or 120.5)")
    return str(Decimal(file).normalize()) if "." in file else file


def check_ien(ien: str, what: str = "IEN") -> str:
    if not _IEN_RE.match(ien):
        raise BadQueryError(f"{what} {ien[:40]!r} is not a FileMan IEN (a positive number)")
    return ien


def check_iens(iens: str) -> str:
    """``ien`` or FileMan's IENS ``sub,parent,`` (innermost first)."""
    parts = [p for p in iens.split(",") if p != ""]
    if not parts or len(parts) > 8:
        raise BadQueryError(f"{iens[:40]!r} is not an IEN or IENS")
    for p in parts:
        check_ien(p, "IENS part")
    return ",".join(parts) + ","


@dataclass
class FileManView:
    bridge: Bridge

    @property
    def schema(self) -> Any:
        return self.bridge.schema

    def file_def(self, file: str) -> Any:
        return self.schema.file(check_file(file))

    def files(self) -> list[dict[str, Any]]:
        out = []
        for number in self.schema.top_files():
            fdef = self.schema.file(number)
            out.append(
                {
                    "number": number,
                    "name": fdef.name,
                    "global_root": str(fdef.global_root) if fdef.global_root else None,
                    "fields": len(fdef.fields),
                    "href": f"/fileman/files/{number}",
                }
            )
        return out

    def dictionary(self, file: str) -> dict[str, Any]:
        fdef = self.file_def(file)
        fields = []
        for fd in fdef.fields.values():
            item: dict[str, Any] = {
                "number": fd.number,
                "label": fd.label,
                "type": fd.type.name.lower(),
                "storage": str(fd.storage) if fd.storage is not None else None,
                "required": bool(fd.required),
            }
            if fd.codes:
                item["codes"] = {c: label for c, label in fd.codes}
            if fd.pointer_file:
                item["pointer_file"] = fd.pointer_file
                item["pointer_href"] = f"/fileman/files/{fd.pointer_file}"
            if fd.subfile:
                item["subfile"] = fd.subfile
                item["subfile_href"] = f"/fileman/files/{fd.subfile}"
            fields.append(item)
        return {
            "number": fdef.number,
            "name": fdef.name,
            "global_root": str(fdef.global_root) if fdef.global_root else None,
            "parent": fdef.parent,
            "indexes": sorted(fdef.indexes),
            "fields": fields,
            "entries_href": f"/fileman/files/{fdef.number}/entries" if not fdef.parent else None,
        }

    def entries(
        self,
        file: str,
        name: str | None,
        cursor: str | None,
        limit: int,
        parent: str | None = None,
    ) -> dict[str, Any]:
        """Entries in IEN order, or those whose "B" index value starts with ``name``; for a
        subfile, the subentries of the ``parent`` entry (its IENS, innermost first).

        The cursor is opaque to callers: the last IEN (listing) or ``value^IEN`` (B search)."""
        fdef = self.file_def(file)
        if not 1 <= limit <= MAX_LIMIT:
            raise BadQueryError(f"limit must be between 1 and {MAX_LIMIT}")
        if fdef.global_root is None:
            if parent is None:
                raise BadQueryError(
                    f"file {fdef.number} is a subfile: give parent=<IENS of the parent entry>"
                )
            if name is not None:
                raise BadQueryError("name searches are for top-level files")
            gname, root, suffix = self._container(fdef, check_iens(parent))
        else:
            if parent is not None:
                raise BadQueryError(f"file {fdef.number} is a top-level file: drop parent")
            gname, root, suffix = fdef.global_root.name, tuple(fdef.global_root.subscripts), ""
        if name is not None:
            items, next_cursor = self._b_search(fdef, name, cursor, limit)
            return {"file": fdef.number, "entries": items, "next_cursor": next_cursor}
        store = self.bridge.store
        items = []
        next_cursor = None
        after = check_ien(cursor, "cursor") if cursor else None
        ien = store.next_subscript(gname, root, after or "0")  # past the header node
        while ien is not None and _IEN_RE.match(ien):
            if len(items) == limit:
                next_cursor = items[-1]["ien"]
                break
            items.append(self._summary(fdef, ien, store.get(gname, (*root, ien, "0")), suffix))
            ien = store.next_subscript(gname, root, ien)
        return {"file": fdef.number, "entries": items, "next_cursor": next_cursor}

    def _container(self, fdef: Any, parent_iens: str) -> tuple[str, tuple[str, ...], str]:
        """Where a subfile's entries sit under one parent entry: the global, the subscripts
        down to the multiple's node, and the IENS suffix of its entries (``3,`` or ``2,3,``)."""
        chain = [fdef]
        while chain[-1].parent is not None:
            if len(chain) > 8:
                raise BadQueryError(f"file {fdef.number} nests too deep")
            chain.append(self.schema.file(chain[-1].parent))
        parts = parent_iens.rstrip(",").split(",")
        if len(parts) != len(chain) - 1:
            raise BadQueryError(
                f"parent of file {fdef.number} needs an IENS of {len(chain) - 1} level(s), "
                f"got {len(parts)}"
            )
        top = chain[-1]
        subs: list[str] = [*top.global_root.subscripts]
        outer_first = list(reversed(parts))
        for depth, holder in enumerate(reversed(chain[1:])):
            sub = chain[len(chain) - 2 - depth]
            field = holder.fields.get(sub.parent_field or "")
            if field is None or field.storage is None:
                raise BadQueryError(f"file {sub.number} is not held by a field of its parent")
            subs += [outer_first[depth], field.storage.node]
        return top.global_root.name, tuple(subs), parent_iens

    def _b_search(
        self, fdef: Any, prefix: str, cursor: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        if not prefix or len(prefix) > 120:
            raise BadQueryError("name must be 1 to 120 characters")
        store = self.bridge.store
        gname, root = fdef.global_root.name, (*fdef.global_root.subscripts, "B")
        value: str | None
        last_ien: str | None = None
        if cursor:
            value, sep, last = cursor.rpartition("^")
            if not sep or not value.startswith(prefix) or not _IEN_RE.match(last):
                raise BadQueryError("cursor is malformed; pass back the next_cursor given")
            last_ien = last
        else:
            # $ORDER from the value just before the prefix lands on the first value >= it.
            value = store.prev_subscript(gname, root, prefix)
        items: list[dict[str, Any]] = []
        cur_value = value if cursor else store.next_subscript(gname, root, value)
        while cur_value is not None and cur_value.startswith(prefix):
            ien = store.next_subscript(gname, (*root, cur_value), last_ien)
            while ien is not None:
                if len(items) == limit:
                    return items, f"{items[-1]['b_value']}^{items[-1]['ien']}"
                if _IEN_RE.match(ien):
                    s = self._summary(
                        fdef, ien, store.get(gname, (*fdef.global_root.subscripts, ien, "0"))
                    )
                    s["b_value"] = cur_value
                    items.append(s)
                ien = store.next_subscript(gname, (*root, cur_value), ien)
            last_ien = None
            cur_value = store.next_subscript(gname, root, cur_value)
        return items, None

    def _summary(self, fdef: Any, ien: str, zero: str | None, suffix: str = "") -> dict[str, Any]:
        return {
            "ien": ien,
            "name": (zero or "").split("^", 1)[0],
            "href": f"/fileman/files/{fdef.number}/entries/{ien}"
            + (f",{suffix}" if suffix else ""),
        }

    def entry(self, file: str, iens: str, fmt: Format) -> dict[str, Any]:
        fnum = check_file(file)
        iens_text = check_iens(iens)
        fdef = self.schema.file(fnum)
        levels = iens_text.count(",")
        depth = 1
        cur = fdef
        while cur.parent is not None:
            depth += 1
            cur = self.schema.file(cur.parent)
        if levels != depth:
            raise BadQueryError(
                f"file {fnum} needs an IENS of {depth} level(s) (innermost first), got {levels}"
            )
        try:
            record = self.bridge.decoder.decode(fnum, iens_text)
        except Exception as exc:
            if type(exc).__name__ == "NoSuchEntryError":
                raise NotFoundError(
                    f"file {fnum} has no entry {iens_text}", file=fnum, ien=iens_text
                ) from None
            raise
        return self.record_json(record, fmt)

    def record_json(self, record: Any, fmt: Format) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for number, fv in record.values.items():
            if fv.is_empty:
                continue
            item: dict[str, Any] = {"label": fv.label, "type": fv.type.name.lower()}
            if fv.lines is not None:
                item["text"] = fv.lines
            elif fv.records is not None:
                sub = fv.records[0].file if fv.records else None
                item["entries"] = [
                    {
                        "iens": r.iens,
                        "href": f"/fileman/files/{r.file}/entries/{r.iens}",
                        **self.record_json(r, fmt),
                    }
                    for r in fv.records
                ]
                if sub:
                    item["subfile"] = sub
            else:
                if fmt in ("internal", "both"):
                    item["internal"] = fv.internal
                if fmt in ("external", "both"):
                    item["external"] = fv.external
                if not fv.evaluated:
                    item["computed"] = "not evaluated locally"
            if fv.target_file and fv.target_ien:
                item["link"] = f"/fileman/files/{fv.target_file}/entries/{fv.target_ien}"
            if fv.error is not None:
                item["error"] = str(fv.error)
            fields[number] = item
        return {"file": record.file, "ien": record.ien, "iens": record.iens, "fields": fields}
