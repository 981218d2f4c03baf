"""The FileMan layer: the data dictionary as a typed schema, records decoded the way FileMan
shows them, and lookups that follow FileMan's own rules.  Reads only; writes go through the
filer (``globals_map.fileman.filer``)."""

from globals_map.fileman.dbs import dialog_text, gets_fields, lister_fields
from globals_map.fileman.decoder import Decoder, entry_location, parse_iens
from globals_map.fileman.errors import (
    AmbiguousMatchError,
    DictionaryError,
    FieldValueError,
    FileManError,
    LookupValueError,
    NoSuchEntryError,
    NoSuchFieldError,
    NoSuchFileError,
)
from globals_map.fileman.filer import Filer
from globals_map.fileman.finders import Finder, ListEntry, ListPage
from globals_map.fileman.records import FieldValue, Record
from globals_map.fileman.schema import (
    CrossReference,
    FieldDef,
    FieldType,
    FileDef,
    Index,
    Key,
    Schema,
    SchemaIssue,
    VariablePointerTarget,
)

__all__ = [
    "AmbiguousMatchError",
    "CrossReference",
    "Decoder",
    "DictionaryError",
    "FieldDef",
    "FieldType",
    "FieldValue",
    "FieldValueError",
    "FileDef",
    "FileManError",
    "Filer",
    "Finder",
    "Index",
    "Key",
    "ListEntry",
    "ListPage",
    "LookupValueError",
    "NoSuchEntryError",
    "NoSuchFieldError",
    "NoSuchFileError",
    "Record",
    "Schema",
    "SchemaIssue",
    "VariablePointerTarget",
    "dialog_text",
    "entry_location",
    "gets_fields",
    "lister_fields",
    "parse_iens",
]
