"""The FileMan layer: the data dictionary as a typed schema, records decoded the way FileMan
shows them, and lookups that follow FileMan's own rules.  Reads only; writes go through the
filer (``globals_map.fileman.filer``)."""

from globals_map.fileman.errors import (
    AmbiguousMatchError,
    DictionaryError,
    FieldValueError,
    FileManError,
    NoSuchEntryError,
    NoSuchFieldError,
    NoSuchFileError,
)
from globals_map.fileman.schema import (
    CrossReference,
    FieldDef,
    FieldType,
    FileDef,
    Index,
    Schema,
    SchemaIssue,
    VariablePointerTarget,
)

__all__ = [
    "AmbiguousMatchError",
    "CrossReference",
    "DictionaryError",
    "FieldDef",
    "FieldType",
    "FieldValueError",
    "FileDef",
    "FileManError",
    "Index",
    "NoSuchEntryError",
    "NoSuchFieldError",
    "NoSuchFileError",
    "Schema",
    "SchemaIssue",
    "VariablePointerTarget",
]
