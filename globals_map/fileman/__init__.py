"""The FileMan layer: the data dictionary as a typed schema, records decoded the way FileMan
shows them, and lookups that follow FileMan's own rules.  Reads only; writes go through the
filer (``globals_map.fileman.filer``).

    schema = Schema(store)                      # ^DD/^DIC read lazily, file by file
    decoder = Decoder(schema)                   # keep one: it caches pointers, dates, plans
    rec = decoder.decode(120.82, "3,")          # one bulk read; NoSuchEntryError (601)
    rec["1"].internal, rec["1"].external        # "DF", "DRUG, FOOD"   (GETS^DIQ I / E)
    finder = Finder(schema, decoder)
    page = finder.list_entries(120.82, part="CHOC", limit=10)   # LIST^DIC: .iens, .more
    finder.find1(120.82, "CHOCOLATE", exact=True)               # $$FIND1^DIC: "3" / None
    gets_fields(schema.file(200), ".01;1;201")  # FIELDS parameter semantics
    dialog_text(store, err.code, err.params)    # FileMan's error text from ^DI(.84)
"""

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
