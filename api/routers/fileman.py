"""FileMan REST: files, a file's dictionary, entries (listing, "B" search, cursor paging) and
one entry in internal, external or both forms, with pointers rendered as links."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict

from api.auth import SCOPE_FILEMAN
from api.deps import SECURITY, CallerAccess, PhiAccess
from api.fileman_view import MAX_LIMIT, FileManView, check_file
from api.models import Problem

router = APIRouter(prefix="/fileman", tags=["FileMan"])

PATIENT_FILE = "2"
_FILE = Annotated[str, Path(description="file number, e.g. 2 or 120.5", max_length=24)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}, "description": why}
    for code, why in (
        (400, "bad file number, IEN, cursor or limit"),
        (401, "no or invalid credentials"),
        (403, "a scope is missing"),
        (404, "no such file or entry"),
    )
}


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class FileSummary(_Open):
    number: str
    name: str
    global_root: str | None
    fields: int
    href: str


class FileList(BaseModel):
    files: list[FileSummary]


class FieldInfo(_Open):
    number: str
    label: str
    type: str
    storage: str | None
    required: bool


class FileDictionary(_Open):
    number: str
    name: str
    global_root: str | None
    parent: str | None
    indexes: list[str]
    fields: list[FieldInfo]
    entries_href: str | None


class EntrySummary(_Open):
    ien: str
    name: str
    href: str


class EntryList(BaseModel):
    file: str
    entries: list[EntrySummary]
    next_cursor: str | None


class Entry(_Open):
    file: str
    ien: str
    iens: str
    fields: dict[str, Any]


def _fileman(who: Any) -> None:
    who.require_scope(SCOPE_FILEMAN, "user/*.read", "system/*.read")


@router.get(
    "/files",
    response_model=FileList,
    responses=_ERRORS,
    summary="Files with a ^DD",
    openapi_extra=SECURITY,
)
async def files(acc: CallerAccess) -> FileList:
    _fileman(acc.who)
    return FileList.model_validate({"files": FileManView(acc.svc.bridge).files()})


@router.get(
    "/files/{file}",
    response_model=FileDictionary,
    responses=_ERRORS,
    summary="A file's data dictionary",
    openapi_extra=SECURITY,
)
async def dictionary(file: _FILE, acc: CallerAccess) -> FileDictionary:
    _fileman(acc.who)
    return FileDictionary.model_validate(FileManView(acc.svc.bridge).dictionary(file))


@router.get(
    "/files/{file}/entries",
    response_model=EntryList,
    responses=_ERRORS,
    summary='Entries in IEN order, by "B" index prefix, or a subfile\'s under a parent',
    openapi_extra=SECURITY,
)
async def entries(
    file: _FILE,
    acc: PhiAccess,
    name: Annotated[
        str | None, Query(min_length=1, max_length=120, description='"B" index prefix')
    ] = None,
    cursor: Annotated[
        str | None, Query(max_length=200, description="next_cursor of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    parent: Annotated[
        str | None,
        Query(max_length=120, description="subfiles: the parent entry's IENS, e.g. 1 or 2,1,"),
    ] = None,
) -> EntryList:
    acc.audit.resource_type = f"fileman:{file[:24]}"
    acc.audit.params = [
        k for k, v in (("name", name), ("cursor", cursor), ("parent", parent)) if v is not None
    ]
    _fileman(acc.who)
    view = FileManView(acc.svc.bridge)
    return EntryList.model_validate(view.entries(file, name, cursor, limit, parent))


@router.get(
    "/files/{file}/entries/{iens}",
    response_model=Entry,
    responses=_ERRORS,
    summary="One entry (IEN, or IENS 'sub,parent,' for a subfile entry)",
    openapi_extra=SECURITY,
)
async def entry(
    file: _FILE,
    iens: Annotated[str, Path(max_length=120, description="IEN, or IENS for subfile entries")],
    acc: PhiAccess,
    format: Annotated[Literal["internal", "external", "both"], Query()] = "external",
) -> Entry:
    view, audit = FileManView(acc.svc.bridge), acc.audit
    audit.resource_type = f"fileman:{file[:24]}"
    _fileman(acc.who)
    fnum = check_file(file)
    top = view.schema.top_file(fnum)
    if top == PATIENT_FILE:
        audit.patient_id = iens.rstrip(",").rsplit(",", 1)[-1]
    body = view.entry(fnum, iens, format)
    if audit.patient_id is None:
        audit.patient_id = _patient_pointer(body)
    return Entry.model_validate(body)


def _patient_pointer(body: dict[str, Any]) -> str | None:
    """The DFN a record points to (e.g. PATIENT ALLERGIES .01), for the audit record."""
    prefix = f"/fileman/files/{PATIENT_FILE}/entries/"
    for item in body["fields"].values():
        link = item.get("link") if isinstance(item, dict) else None
        if isinstance(link, str) and link.startswith(prefix):
            return link[len(prefix) :]
    return None
