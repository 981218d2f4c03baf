"""FileMan-layer errors, each carrying FileMan's own error number (the DIALOG file entry).

All derive from :class:`globals_map.errors.FileManError` (file, IEN, field).  ``code`` is the
number FileMan's DBS calls put in ``^TMP("DIERR")`` for the same condition (601 "The entry does
not exist.", 299 "More than one entry matches..."), so a caller that speaks DDR can answer as
FileMan would; the wire format stays with the caller.
"""

from __future__ import annotations

from globals_map.errors import FileManError

__all__ = [
    "AmbiguousMatchError",
    "DictionaryError",
    "FieldValueError",
    "FileManError",
    "LookupValueError",
    "NoSuchEntryError",
    "NoSuchFieldError",
    "NoSuchFileError",
]


class _Coded(FileManError):
    code: int = 0

    def __init__(
        self,
        message: str,
        *,
        file: str | float | None = None,
        ien: str | None = None,
        field: str | float | None = None,
        code: int | None = None,
    ) -> None:
        if code is not None:
            self.code = code
        #: the dialog parameters FileMan fills in its text (``dbs.dialog_text``)
        self.params: dict[str, str] = {}
        super().__init__(message, file=file, ien=ien, field=field)


class DictionaryError(_Coded):
    """A ``^DD`` node is missing or malformed (bad specifier, set codes, storage, subfile)."""

    code = 537


class NoSuchFileError(_Coded):
    """No ``^DD`` for the file (FileMan 401 "File #n does not exist.")."""

    code = 401


class NoSuchFieldError(_Coded):
    """The file has no such field (FileMan 501)."""

    code = 501


class NoSuchEntryError(_Coded):
    """The entry does not exist (FileMan 601 "The entry does not exist.")."""

    code = 601


class FieldValueError(_Coded):
    """A stored value does not fit its field (letters in a numeric, a bad date, a dangling
    pointer, a code not in the set); FileMan's 330/630/730 family."""

    code = 330


class LookupValueError(_Coded):
    """A lookup value FileMan refuses: control characters (FileMan 204, BADVAL^DICF)."""

    code = 204


class AmbiguousMatchError(_Coded):
    """A single-match lookup found several entries (FileMan 299); ``value`` is the lookup
    value and ``iens`` the matching IENs in index order."""

    code = 299

    def __init__(
        self, message: str, *, file: str | float | None, value: str, iens: list[str]
    ) -> None:
        self.value = value
        self.iens = iens
        super().__init__(message, file=file)
        self.params = {"1": value, "FILE": self.file or ""}
