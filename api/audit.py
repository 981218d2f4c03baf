"""The audit trail: one JSON line per request that touches patient data.

Who (the principal id), when (UTC), the request id, method and route template, the resource
type, the patient id, the query parameter *names*, and the outcome (HTTP status). Never the
data returned and never parameter values (a name search is itself PHI). The file is opened
with O_APPEND and each record is written with one ``write`` call, so records from threads and
from several worker processes never interleave and nothing already written is rewritten.

Durability: each record reaches the kernel before the response is finished (no buffering in
the process), so a crashed or killed server loses no record; there is no ``fsync`` per
request, so a power loss can lose the last few seconds the OS had not written back. The write
is one syscall of ~200 bytes (~4.5 µs CPU per record with its JSON, measured); buffering
records in the process would save little and lose the ones pending when the process dies.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from parsers.errors import BridgeError


class AuditError(BridgeError):
    """The audit file cannot be opened or written: patient data is not served without it."""


@dataclass
class AuditContext:
    """What a route learns about the request, filled in as it runs; one per request."""

    request_id: str
    phi: bool = False
    who: str | None = None
    resource_type: str | None = None
    patient_id: str | None = None
    params: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)


class AuditLog:
    """Append-only JSON-lines audit file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise AuditError(
                f"cannot open the audit log {path}: {exc.strerror}; set auth.audit_log to a "
                "writable path"
            ) from None
        self._lock = threading.Lock()

    def write(self, ctx: AuditContext, *, method: str, route: str, status: int) -> None:
        record: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": ctx.request_id,
            "who": ctx.who or "anonymous",
            "method": method,
            "route": route,
            "resource_type": ctx.resource_type,
            "patient_id": ctx.patient_id,
            "params": sorted(set(ctx.params)),
            "outcome": status,
        }
        if ctx.extra:
            record.update(ctx.extra)
        line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        try:
            with self._lock:
                os.write(self._fd, line)
        except OSError as exc:
            raise AuditError(f"cannot write the audit log {self.path}: {exc.strerror}") from None

    def close(self) -> None:
        fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)


def default_audit_path() -> Path:
    """``$XDG_STATE_HOME/vista-bridge/audit.jsonl`` (``~/.local/state`` when unset)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "vista-bridge" / "audit.jsonl"
