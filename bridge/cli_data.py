"""The data behind the CLI's read commands, as plain dicts and models (also their JSON).

Kept apart from the typer wiring in :mod:`bridge.cli` so each piece is small and testable.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from bridge.clinical import Page, Patient
from bridge.errors import BadQueryError, ConfigurationError
from bridge.facade import Bridge
from bridge.settings import Settings
from globals_map.fileman.records import Record
from globals_map.fileman.schema import field_sort_key


def file_rows(bridge: Bridge) -> list[dict[str, Any]]:
    """Every top-level file: number, name, global root, entry count (header piece 4)."""
    schema = bridge.schema
    rows = []
    for number in schema.top_files():
        fdef = schema.file(number)
        root = fdef.global_root
        entries = None
        if root is not None:
            header = (bridge.store.get(root.name, (*root.subscripts, "0")) or "").split("^")
            if len(header) > 3 and header[3].isdigit():
                entries = int(header[3])
        rows.append(
            {"file": number, "name": fdef.name, "global": str(root or ""), "entries": entries}
        )
    return rows


def dictionary(bridge: Bridge, file: str) -> dict[str, Any]:
    """A file's fields: number, label, type, storage and the type's detail."""
    schema = bridge.schema
    fdef = schema.file(file)
    fields = []
    for number in sorted(fdef.fields, key=field_sort_key):
        f = fdef.fields[number]
        storage = ""
        if f.storage is not None:
            st = f.storage
            where = f"E{st.extract[0]},{st.extract[1]}" if st.extract else str(st.piece or 0)
            storage = f"{st.node};{where}"
        detail = ""
        if f.pointer_file:
            target = schema.file(f.pointer_file).name if schema.has_file(f.pointer_file) else "?"
            detail = f"-> {f.pointer_file} {target}"
        elif f.codes:
            detail = ";".join(f"{c}:{label}" for c, label in f.codes)
        elif f.subfile:
            detail = f"subfile {f.subfile}"
        elif f.vp_targets:
            detail = "-> " + ", ".join(str(t.file) for t in f.vp_targets)
        fields.append(
            {
                "field": number,
                "label": f.label,
                "type": f.type.name,
                "storage": storage,
                "required": f.required,
                "detail": detail,
            }
        )
    return {
        "file": fdef.number,
        "name": fdef.name,
        "global": str(fdef.global_root) if fdef.global_root else None,
        "parent": fdef.parent,
        "fields": fields,
    }


def _record(record: Record) -> dict[str, Any]:
    fields = []
    for number, fv in record.values.items():
        item: dict[str, Any] = {
            "field": number,
            "label": fv.label,
            "type": fv.type.name,
            "internal": fv.internal,
            "external": fv.external,
        }
        if fv.lines is not None:
            item["lines"] = fv.lines
        if fv.records is not None:
            item["records"] = [_record(r) for r in fv.records]
        if not fv.evaluated:
            item["evaluated"] = False
        if fv.error is not None:
            item["error"] = str(fv.error)
        fields.append(item)
    return {"file": record.file, "ien": record.ien, "iens": record.iens, "fields": fields}


def entry(bridge: Bridge, file: str, ien: str) -> dict[str, Any]:
    """One decoded entry (FileMan's NoSuchFileError/NoSuchEntryError when absent)."""
    return _record(bridge.decoder.decode(file, ien))


def entry_rows(record: dict[str, Any], prefix: str = "") -> Iterator[list[Any]]:
    """Table rows of a decoded entry; multiples are flattened as ``FIELD/SUB-IEN SUBFIELD``."""
    for f in record["fields"]:
        label = prefix + f["label"]
        if "records" in f:
            for sub in f["records"]:
                sub_prefix = f"{label}#{sub['ien']} "
                yield from entry_rows(sub, sub_prefix)
        elif "lines" in f:
            yield [f["field"], label, "\n".join(f["lines"]), ""]
        else:
            external = f["external"] if f.get("error") is None else f"!! {f['error']}"
            yield [f["field"], label, external, f["internal"]]


def lookup(bridge: Bridge, file: str, text: str, limit: int) -> dict[str, Any]:
    """Entries of ``file`` whose "B" index value starts with ``text`` (retried upper-case)."""
    page = bridge.finder.find(file, text, limit=limit)
    if not page.entries and text != text.upper():
        page = bridge.finder.find(file, text.upper(), limit=limit)
    return {
        "file": file,
        "text": text,
        "matches": [{"ien": e.ien, "value": e.value} for e in page.entries],
        "more": page.more,
    }


def patient_page(
    bridge: Bridge,
    name: str | None,
    birth_date: str | None,
    sex: str | None,
    identifier: str | None,
    limit: int,
    cursor: str | None,
) -> Page[Patient]:
    dob = None
    if birth_date is not None:
        try:
            dob = date.fromisoformat(birth_date)
        except ValueError:
            raise BadQueryError("--dob must be a date YYYY-MM-DD") from None
    return bridge.clinical.search_patients(
        name=name, birth_date=dob, sex=sex, identifier=identifier, cursor=cursor, limit=limit
    )


def masked_ssn(ssn: str | None) -> str:
    """Only the last four digits, as VistA's own displays show them."""
    return "" if not ssn else f"***-**-{ssn[-4:]}"


def _list_param(items: list[str]) -> Any:
    from rpc.protocol import ListParam

    entries: list[tuple[Any, str]] = []
    for item in items:
        sub, sep, value = item.partition("=")
        if not sep or not sub:
            raise BadQueryError("--list takes SUBSCRIPT=VALUE (subscripts comma-separated)")
        parts = tuple(sub.split(","))
        entries.append((parts if len(parts) > 1 else parts[0], value))
    return ListParam(tuple(entries))


def call_rpc(settings: Settings, name: str, params: list[str], list_items: list[str]) -> list[str]:
    """Sign on to the configured broker, call one RPC, return its lines."""
    from rpc.client import BrokerClient

    broker = settings.broker
    if not broker.configured or broker.host is None:
        raise ConfigurationError(
            "no broker is configured: pass --broker HOST:PORT or set VISTA_BRIDGE_BROKER__HOST"
        )
    access, verify = broker.credentials()
    args: list[Any] = list(params)
    if list_items:
        args.append(_list_param(list_items))
    client = BrokerClient(broker.host, broker.port, timeout=broker.timeout)
    try:
        client.sign_on(access.get_secret_value(), verify.get_secret_value(), context=broker.context)
        result = client.call_with(name.upper(), args)
        return result.lines
    finally:
        client.close()


def run_simulator(bridge: Bridge, host: str, port: int, seconds: float | None) -> None:
    """Serve the broker simulator over the bridge's store until Ctrl-C (or ``seconds``)."""
    from bridge.simulator import serve

    def ready(server: Any, _handler: Any) -> None:
        print(f"broker simulator listening on {host}:{server.port} (Ctrl-C stops)", flush=True)

    async def main() -> None:
        serving = serve(bridge.store, host, port, ready=ready)
        if seconds is None:
            await serving
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(serving, seconds)

    try:
        asyncio.run(main())
    except OSError as exc:
        raise ConfigurationError(
            f"the broker simulator cannot listen on {host}:{port}: {exc.strerror or exc}; "
            "pick another --port"
        ) from None
    except KeyboardInterrupt:
        return


def export_settings_env(config: Path | None, overrides: dict[str, Any]) -> None:
    """Hand the CLI's settings to the API factory (a fresh process reads the environment)."""
    if config is not None:
        os.environ["VISTA_BRIDGE_CONFIG"] = str(config.resolve())
    for section, values in overrides.items():
        for key, value in values.items():
            env = f"VISTA_BRIDGE_{section.upper()}__{key.upper()}"
            if isinstance(value, list):
                os.environ[env] = json.dumps([str(v) for v in value])
            else:
                os.environ[env] = str(value)
