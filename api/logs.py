"""Keep patient data out of the server's logs.

uvicorn's access log writes each request line, query string included, and a FHIR or FileMan
query string can hold a name, a birth date or an identifier. The filter here drops the query
string from those records (the path and status stay, which is what operators need); the audit
log is where accesses are recorded, and it never holds values either.
"""

from __future__ import annotations

import logging

ACCESS_LOGGER = "uvicorn.access"


class DropQueryString(logging.Filter):
    """Rewrites uvicorn access records ``(client, method, path?query, version, status)``."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, sep, _ = args[2].partition("?")
            if sep:
                record.args = (*args[:2], path + "?(query omitted)", *args[3:])
        return True


def install() -> None:
    """Add the filter to uvicorn's access logger once (idempotent)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, DropQueryString) for f in logger.filters):
        logger.addFilter(DropQueryString())
