"""The GT.M backend: GlobalStore on FIS GT.M through its call-in interface (ctypes).

``GtmStore(gbldir)`` opens the database named by a global directory; the environment is
discovered (:func:`discover`), our routine ``VBRIDGE.m`` is compiled on first use, and every
GT.M call runs on this process's single GT.M thread.
"""

from globals_map.gtm.environment import (
    DatabaseMissingError,
    GtmEnvironment,
    GtmNotFoundError,
    discover,
    find_gtm_dist,
)
from globals_map.gtm.store import GtmStore

__all__ = [
    "DatabaseMissingError",
    "GtmEnvironment",
    "GtmNotFoundError",
    "GtmStore",
    "discover",
    "find_gtm_dist",
]
