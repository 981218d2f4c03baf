"""Pure parsing, no I/O: ZWR exports, global references, FileMan DD strings and dates,
M canonical numbers and collation.  Imports nothing else of vista-bridge."""

from parsers.canonical import canonical_number, is_canonical_number
from parsers.collation import node_key, subscript_key
from parsers.errors import BridgeError, ParseError

__all__ = [
    "BridgeError",
    "ParseError",
    "canonical_number",
    "is_canonical_number",
    "node_key",
    "subscript_key",
]
