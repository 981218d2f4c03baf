"""Global storage behind one contract (memory, GT.M, YottaDB) and the FileMan layer on top."""

from globals_map.errors import FileManError, InvalidNameError, InvalidSubscriptError, StoreError
from globals_map.memory import MemoryStore
from globals_map.store import GlobalStore, iter_subscripts, normalize_name

__all__ = [
    "FileManError",
    "GlobalStore",
    "InvalidNameError",
    "InvalidSubscriptError",
    "MemoryStore",
    "StoreError",
    "iter_subscripts",
    "normalize_name",
]
