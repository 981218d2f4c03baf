"""The data dictionary as a typed schema, read lazily from ``^DD`` and ``^DIC`` in any store.

A :class:`Schema` reads one file's dictionary (``^DD(file)``, one bulk read) the first time
the file is asked for and keeps the :class:`FileDef`.  Subfiles (multiples) are files too:
their ``^DD(sub,0,"UP")`` names the parent and the parent's field with specifier ``sub...``
and storage ``node;0`` says where their entries live.  Nothing here runs M: input transforms,
cross-reference logic, identifiers and computed expressions are kept as strings.

Problems in a dictionary never stop the rest from loading: each becomes a :class:`SchemaIssue`
on the file (and the field is still defined as well as it can be); ``strict=True`` raises
:class:`DictionaryError` at the first one instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from globals_map.fileman.errors import DictionaryError, NoSuchFieldError, NoSuchFileError
from globals_map.store import GlobalStore, NodeItem
from parsers.canonical import canonical_number, is_canonical_number
from parsers.dd_spec import FieldSpec, FieldType, GlobalRoot, Storage
from parsers.fmdate import DEFAULT_FORMAT

__all__ = [
    "CrossReference",
    "FieldDef",
    "FieldType",
    "FileDef",
    "Index",
    "Key",
    "Schema",
    "SchemaIssue",
    "VariablePointerTarget",
    "field_sort_key",
    "file_number",
]


def file_number(value: str | int | float | Decimal) -> str:
    """A file or field number in canonical M form (``120.82``, ``.01``); ValueError if not."""
    text = value if isinstance(value, str) else canonical_number(Decimal(str(value)))
    text = text.strip()
    if not is_canonical_number(text):
        try:
            text = canonical_number(Decimal(text))
        except (InvalidOperation, ValueError):
            raise ValueError(f"not a file or field number: {value!r}") from None
    return text


def field_sort_key(number: str) -> Decimal:
    """Fields sort numerically, as FileMan walks ``^DD(file,field)``."""
    return Decimal(number)


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One problem found in a dictionary: where (file, field, node) and what."""

    file: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"file {self.file}" + (f", field {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class CrossReference:
    """A traditional cross-reference ``^DD(file,field,1,number,...)``.

    ``file`` is the file whose global holds the index (piece 1 of node 0; a whole-file index
    on a subfile's field names the top file), ``name`` the subscript (``B``) or empty for a
    MUMPS or trigger cross-reference, ``kind`` piece 3 (``MUMPS``, ``TRIGGER``, ...).
    """

    file: str
    field: str
    number: str
    name: str
    kind: str
    set_logic: str
    kill_logic: str


@dataclass(frozen=True, slots=True)
class Index:
    """A new-style index (``^DD("IX",ien)``), or a traditional one named in
    ``^DD(file,0,"IX",name,file,field)``.  ``number`` is None for the traditional kind."""

    file: str
    name: str
    root_file: str
    fields: tuple[str, ...]
    number: str | None = None
    kind: str = "R"
    use: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Key:
    """A FileMan key (``^DD("KEY",ien)``, file .31): ``priority`` P (primary) or S, the
    fields in sequence, and the uniqueness index (a ``^DD("IX")`` IEN)."""

    file: str
    name: str
    priority: str
    fields: tuple[str, ...]
    uniqueness_index: str
    number: str


@dataclass(frozen=True, slots=True)
class VariablePointerTarget:
    """One file a variable pointer may point to (``^DD(file,field,"V",n,0)``)."""

    file: str
    message: str
    order: str
    prefix: str
    global_root: GlobalRoot | None


@dataclass(slots=True)
class FieldDef:
    """One field.  ``type`` is resolved (a multiple whose subfile's .01 is ``W`` is
    ``WORD_PROCESSING``); ``spec`` keeps everything the specifier said."""

    file: str
    number: str
    label: str
    spec: FieldSpec
    type: FieldType
    storage: Storage | None
    codes: tuple[tuple[str, str], ...] = ()
    pointer_file: str | None = None
    pointer_root: GlobalRoot | None = None
    subfile: str | None = None
    input_transform: str = ""
    output_transform: str = ""
    computed_code: str = ""
    vp_targets: tuple[VariablePointerTarget, ...] = ()
    xrefs: tuple[CrossReference, ...] = ()
    help_prompt: str = ""

    @property
    def required(self) -> bool:
        return self.spec.required

    @property
    def is_multiple(self) -> bool:
        return self.type is FieldType.MULTIPLE

    @property
    def is_word_processing(self) -> bool:
        return self.type is FieldType.WORD_PROCESSING

    @property
    def is_computed(self) -> bool:
        return self.type is FieldType.COMPUTED

    @property
    def code_map(self) -> dict[str, str]:
        return dict(self.codes)


@dataclass(slots=True)
class FileDef:
    """One file or subfile.  ``global_root`` is set for top-level files; a subfile's entries
    live under its parent entry's ``parent_storage`` node."""

    number: str
    name: str
    global_root: GlobalRoot | None
    parent: str | None = None
    parent_field: str | None = None
    fields: dict[str, FieldDef] = field(default_factory=dict)
    identifiers: dict[str, str] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    keys: dict[str, Key] = field(default_factory=dict)
    lookup: str = ""
    issues: list[SchemaIssue] = field(default_factory=list)

    @property
    def is_subfile(self) -> bool:
        return self.parent is not None

    def field(self, number: str | int | float | Decimal) -> FieldDef:
        """The field, or :class:`NoSuchFieldError` (FileMan 501)."""
        key = file_number(number)
        try:
            return self.fields[key]
        except KeyError:
            raise NoSuchFieldError("no such field", file=self.number, field=key) from None

    def field_by_label(self, label: str) -> FieldDef:
        """The field whose label is ``label`` (as FileMan's ``^DD(file,"B",label)``)."""
        for fd in self.fields.values():
            if fd.label == label:
                return fd
        raise NoSuchFieldError(f"no field labelled {label!r}", file=self.number)

    def data_fields(self) -> Iterator[FieldDef]:
        """Fields in number order: what GETS^DIQ's ``*`` walks (all but multiples)."""
        return (f for f in self.fields.values() if f.type is not FieldType.MULTIPLE)


class Schema:
    """The dictionaries found in one store, read file by file on first use."""

    def __init__(self, store: GlobalStore, *, strict: bool = False) -> None:
        self.store = store
        self.strict = strict
        self._files: dict[str, FileDef] = {}
        self._date_format: str | None = None

    # ---- public API --------------------------------------------------------------
    def has_file(self, number: str | int | float | Decimal) -> bool:
        """True when ``^DD(number,0)`` or any field node exists."""
        key = file_number(number)
        return key in self._files or self.store.data("DD", (key,)) != 0

    def file(self, number: str | int | float | Decimal) -> FileDef:
        """The file's definition; :class:`NoSuchFileError` when it has no ``^DD``."""
        if isinstance(number, str):
            hit = self._files.get(number)
            if hit is not None:
                return hit
        key = file_number(number)
        cached = self._files.get(key)
        if cached is not None:
            return cached
        if self.store.data("DD", (key,)) == 0:
            raise NoSuchFileError("no data dictionary (^DD) for this file", file=key)
        fdef = self._load(key)
        self._files[key] = fdef
        return fdef

    def file_by_name(self, name: str) -> FileDef:
        """A top-level file by its name (``^DIC("B",name,number)``, exact, then upper case)."""
        for candidate in (name, name.upper()):
            if not candidate:
                continue
            number = self.store.next_subscript("DIC", ("B", candidate))
            if number is not None and is_canonical_number(number):
                return self.file(number)
        for number in self.top_files():  # files without a ^DIC("B") entry
            fdef = self.file(number)
            if fdef.name.upper() == name.upper():
                return fdef
        raise NoSuchFileError(f"no file named {name!r}")

    def field(
        self, file: str | int | float | Decimal, field: str | int | float | Decimal
    ) -> FieldDef:
        return self.file(file).field(field)

    def file_numbers(self) -> list[str]:
        """Every file and subfile number with a ``^DD``, in numeric order."""
        out: list[str] = []
        sub: str | None = None
        while True:
            sub = self.store.next_subscript("DD", (), sub)
            if sub is None:
                break
            if is_canonical_number(sub) and Decimal(sub) > 0:
                out.append(sub)
        return out

    def top_files(self) -> list[str]:
        """Top-level files: a ``^DD`` with no ``UP`` node."""
        return [n for n in self.file_numbers() if self.store.get("DD", (n, "0", "UP")) is None]

    def top_file(self, number: str) -> str:
        """The top-level file above a subfile (the file itself when it is top-level)."""
        seen: set[str] = set()
        cur = self.file(number)
        while cur.parent is not None:
            if cur.number in seen:
                raise DictionaryError("subfile chain loops", file=number)
            seen.add(cur.number)
            cur = self.file(cur.parent)
        return cur.number

    def issues(self, files: list[str] | None = None) -> list[SchemaIssue]:
        """Load ``files`` (default: every file with a ``^DD``) and return all their issues."""
        out: list[SchemaIssue] = []
        for num in files if files is not None else self.file_numbers():
            out.extend(self.file(num).issues)
        return out

    @property
    def date_format(self) -> str:
        """The FMTE flags ``^DD("DD")`` asks for (``5U`` unless it says otherwise)."""
        if self._date_format is None:
            from globals_map.fileman.dates import date_format_from_dd

            self._date_format = date_format_from_dd(self.store.get("DD", ("DD",)))
        return self._date_format or DEFAULT_FORMAT

    # ---- loading -----------------------------------------------------------------
    def _issue(self, fdef: FileDef, fld: str | None, message: str) -> None:
        if self.strict:
            raise DictionaryError(message, file=fdef.number, field=fld)
        fdef.issues.append(SchemaIssue(fdef.number, fld, message))

    def _load(self, number: str) -> FileDef:
        from globals_map.fileman.dd_reader import load_file

        nodes: list[NodeItem] = self.store.read_subtree("DD", (number,))
        return load_file(self, number, nodes)
