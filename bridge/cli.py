"""The ``vista-bridge`` command line.

Global options pick the source (``--store``, ``--gbldir``, ``--zwr``, ``--broker``; the default
is the embedded synthetic demo VistA) and apply to every command; read commands take ``--json``.
Exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 configuration or database, 5 broker,
130 interrupted.  Broker credentials are never options: they come from the environment or a
secrets file (see :mod:`bridge.settings`).
"""

from __future__ import annotations

import functools
import os
import time
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Annotated, Any

import typer

from bridge import cli_data
from bridge.cli_support import (
    EXIT_CONFIG,
    CliState,
    counting_lines,
    err_console,
    handled,
    print_json,
    print_table,
    progress_bar,
    say,
    state,
)
from bridge.demo import SYNTHETIC_TITLE, generate_demo
from bridge.demo.broker import demo_signon_hint
from bridge.errors import ConfigurationError
from bridge.settings import DEFAULT_DEMO_SEED, Settings
from globals_map.fileman.schema import file_number
from globals_map.memory import MemoryStore
from globals_map.zwr_io import iter_zwr_lines, load_zwr, zwr_header_date

app = typer.Typer(
    name="vista-bridge",
    help="Read VistA the way FileMan does; serve it as REST/FHIR. Default source: the demo.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
demo_app = typer.Typer(help="The synthetic demo VistA.", no_args_is_help=True)
zwr_app = typer.Typer(help="ZWR global exports: load into and export from the store.",
                      no_args_is_help=True)  # fmt: skip
app.add_typer(demo_app, name="demo")
app.add_typer(zwr_app, name="zwr")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _broker_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter("expected HOST:PORT, e.g. 127.0.0.1:9430")
    return host, int(port)


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="TOML settings file.")
    ] = None,
    store: Annotated[
        str | None, typer.Option("--store", help="memory (demo), gtm or yottadb.")
    ] = None,
    gbldir: Annotated[
        Path | None, typer.Option("--gbldir", help="gtm/yottadb global directory (.gld).")
    ] = None,
    zwr: Annotated[
        list[Path] | None, typer.Option("--zwr", help="ZWR file to load into memory (repeat).")
    ] = None,
    no_demo: Annotated[
        bool, typer.Option("--no-demo", help="Memory store without the demo.")
    ] = False,
    patients: Annotated[
        int | None,
        typer.Option("--patients", help="Demo size for the memory store.", min=0, max=100_000),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Demo seed.")] = None,
    broker: Annotated[
        str | None, typer.Option("--broker", help="RPC Broker HOST:PORT (credentials: env).")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    """Global options (they come before the command)."""
    overrides: dict[str, Any] = {}
    store_over: dict[str, Any] = {}
    if store is not None:
        if store not in {"memory", "gtm", "yottadb"}:
            raise typer.BadParameter("must be memory, gtm or yottadb", param_hint="--store")
        store_over["kind"] = store
    if gbldir is not None:
        store_over["gbldir"] = gbldir
    if zwr:
        store_over["zwr"] = zwr
    if no_demo:
        store_over["demo"] = False
    if patients is not None:
        store_over["demo_patients"] = patients
    if seed is not None:
        store_over["demo_seed"] = seed
    if store_over:
        overrides["store"] = store_over
    if broker is not None:
        host, port = _broker_address(broker)
        overrides["broker"] = {"host": host, "port": port}
    ctx.obj = CliState(config=config, overrides=overrides, debug=debug)


# -- demo ----------------------------------------------------------------------------------
@demo_app.command("generate")
@handled
def demo_generate(
    ctx: typer.Context,
    patients: Annotated[int, typer.Option("--patients", "-n", min=0, max=100_000)] = 50,
    seed: Annotated[int, typer.Option("--seed")] = DEFAULT_DEMO_SEED,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write the demo as ZWR.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Generate the synthetic demo VistA (and export it as ZWR); reports its own rate."""
    store = MemoryStore()
    with progress_bar("patients", transient=as_json) as bar:
        task = bar.add_task("generating", total=patients)
        summary = generate_demo(
            store, patients=patients, seed=seed,
            progress=lambda done, _total: bar.update(task, completed=done),
        )  # fmt: skip
    report: dict[str, Any] = {
        "patients": summary.patients,
        "seed": seed,
        "entries": summary.total_entries,
        "entries_by_file": summary.entries,
        "seconds": round(summary.seconds, 3),
        "cpu_seconds": round(summary.cpu_seconds, 3),
        "patients_per_second": round(summary.patients_per_second, 1),
        "entries_per_second": round(summary.entries_per_second, 1),
    }
    if out is not None:
        report["zwr"] = _export(store, out, SYNTHETIC_TITLE, quiet=as_json)
    if as_json:
        print_json(report)
        return
    say(
        f"generated {summary.patients:,} synthetic patients ({summary.total_entries:,} FileMan "
        f"entries) in {summary.seconds:.2f} s ({summary.cpu_seconds:.2f} s CPU): "
        f"{summary.patients_per_second:,.0f} patients/s, "
        f"{summary.entries_per_second:,.0f} entries/s (seed {seed})"
    )
    if out is not None:
        z = report["zwr"]
        say(f"wrote {z['nodes']:,} nodes to {out} in {z['seconds']:.2f} s "
            f"({z['nodes_per_second']:,.0f} nodes/s)")  # fmt: skip


def _export(
    store: Any, out: Path, title: str, *, quiet: bool, names: list[str] | None = None
) -> dict[str, Any]:
    """Write ``names`` (default: all globals) as ZWR through a temporary file, with progress."""
    chosen = names or store.global_names()
    started = time.perf_counter()
    count = 0
    tmp = out.with_name(out.name + ".part")
    with progress_bar("globals", transient=quiet) as bar:
        task = bar.add_task("exporting", total=len(chosen))
        with open(tmp, "w", encoding="utf-8", errors="surrogateescape", newline="\n") as fh:
            fh.write(f"{title}\n{zwr_header_date()}\n")
            for name in chosen:
                bar.update(task, description=f"exporting ^{name}")
                for line in islice(iter_zwr_lines(store, [name], title=title), 2, None):
                    fh.write(line)
                    fh.write("\n")
                    count += 1
                bar.advance(task)
    os.replace(tmp, out)
    seconds = time.perf_counter() - started
    return {
        "path": str(out),
        "nodes": count,
        "seconds": round(seconds, 3),
        "nodes_per_second": round(count / seconds, 1) if seconds else 0.0,
    }


# -- zwr -----------------------------------------------------------------------------------
@zwr_app.command("load")
@handled
def zwr_load(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="ZWR files to load.")],
    lenient: Annotated[
        bool, typer.Option("--lenient", help="Skip bad lines, report them.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Load ZWR files into the configured store (memory: validate and count only)."""
    st = state(ctx)
    settings = st.settings()
    if settings.store.kind == "memory":
        store: Any = MemoryStore()
    else:
        store = st.bridge().store
    results: list[dict[str, Any]] = []
    for path in files:
        if not path.is_file():
            raise ConfigurationError(f"ZWR file {path} does not exist; check the path")
        size = path.stat().st_size
        started = time.perf_counter()
        with progress_bar("bytes", transient=as_json) as bar:
            task = bar.add_task(f"loading {path.name}", total=size)
            lines = counting_lines(path, functools.partial(bar.advance, task))
            report = load_zwr(store, lines, lenient=lenient, source=str(path))
        seconds = time.perf_counter() - started
        results.append({
            "path": str(path), "nodes": report.loaded, "skipped": len(report.skipped),
            "seconds": round(seconds, 3),
            "nodes_per_second": round(report.loaded / seconds, 1) if seconds else 0.0,
            "errors": [str(e) for e in report.skipped[:20]],
        })  # fmt: skip
    if as_json:
        print_json({"store": settings.store.kind, "files": results})
        return
    for r in results:
        say(f"{r['path']}: loaded {r['nodes']:,} nodes in {r['seconds']:.2f} s "
            f"({r['nodes_per_second']:,.0f} nodes/s), {r['skipped']} skipped")  # fmt: skip
        for line in r["errors"]:
            err_console.print(f"  skipped: {line}", markup=False)
    if settings.store.kind == "memory":
        say("(memory store: nothing was kept; use --store gtm --gbldir ... to persist)")


@zwr_app.command("export")
@handled
def zwr_export(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="The ZWR file to write.")],
    globals_: Annotated[
        list[str] | None, typer.Option("--global", "-g", help="Only this global (repeat).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Export the configured store (default: the demo) to a ZWR file."""
    bridge = state(ctx).bridge()
    settings = state(ctx).settings()
    title = SYNTHETIC_TITLE if _is_demo(settings) else "vista-bridge ZWR export"
    names = [g.lstrip("^") for g in globals_] if globals_ else None
    if names:
        present = set(bridge.store.global_names())
        missing = [n for n in names if n not in present]
        if missing:
            raise ConfigurationError(
                f"no global ^{missing[0]} in this store; `vista-bridge files` shows the roots"
            )
    result = _export(bridge.store, out, title, quiet=as_json, names=names)
    if as_json:
        print_json(result)
    else:
        say(f"wrote {result['nodes']:,} nodes to {out} in {result['seconds']:.2f} s "
            f"({result['nodes_per_second']:,.0f} nodes/s)")  # fmt: skip


def _is_demo(settings: Settings) -> bool:
    return settings.store.kind == "memory" and settings.store.demo


# -- FileMan reads -------------------------------------------------------------------------
@app.command("files")
@handled
def files(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The FileMan files of this VistA (number, name, global root, entries)."""
    rows = cli_data.file_rows(state(ctx).bridge())
    if as_json:
        print_json(rows)
    else:
        print_table("FileMan files", ("FILE", "NAME", "GLOBAL", "ENTRIES"),
                    ([r["file"], r["name"], r["global"], r["entries"]] for r in rows))  # fmt: skip


@app.command("dd")
@handled
def dd(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="File number, e.g. 2 or 120.5.")],
    as_json: JsonOpt = False,
) -> None:
    """A file's data dictionary: fields, types, storage, pointers, codes."""
    info = cli_data.dictionary(state(ctx).bridge(), _file_arg(file))
    if as_json:
        print_json(info)
        return
    print_table(
        f"{info['name']} (#{info['file']}) {info['global'] or ''}",
        ("FIELD", "LABEL", "TYPE", "STORED", "DETAIL"),
        ([f["field"], f["label"], f["type"], f["storage"], f["detail"]] for f in info["fields"]),
    )


@app.command("get")
@handled
def get(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="File number.")],
    ien: Annotated[str, typer.Argument(help="Entry number (IEN).")],
    as_json: JsonOpt = False,
) -> None:
    """One entry, decoded the way FileMan shows it (internal and external values)."""
    record = cli_data.entry(state(ctx).bridge(), _file_arg(file), _ien_arg(ien))
    if as_json:
        print_json(record)
        return
    print_table(
        f"file {record['file']} entry {record['ien']}",
        ("FIELD", "LABEL", "EXTERNAL", "INTERNAL"),
        cli_data.entry_rows(record),
    )


@app.command("find")
@handled
def find(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="File number.")],
    text: Annotated[str, typer.Argument(help="Start of the .01 (the B index), any case.")],
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Entries whose "B" index value starts with TEXT."""
    found = cli_data.lookup(state(ctx).bridge(), _file_arg(file), text, limit)
    if as_json:
        print_json(found)
        return
    print_table(f"file {found['file']} B index from {text!r}", ("IEN", "VALUE"),
                ([m["ien"], m["value"]] for m in found["matches"]))  # fmt: skip
    if found["more"]:
        say(f"(more matches; use --limit above {limit})")


@app.command("patients")
@handled
def patients(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option("--name", help="Name prefix (FAMILY,GIVEN).")] = None,
    birth_date: Annotated[str | None, typer.Option("--dob", help="YYYY-MM-DD.")] = None,
    sex: Annotated[str | None, typer.Option("--sex", help="M or F.")] = None,
    identifier: Annotated[str | None, typer.Option("--id", help="DFN, SSN or ICN.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000)] = 20,
    cursor: Annotated[str | None, typer.Option("--cursor", help="From a previous page.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Search patients (PATIENT #2)."""
    page = cli_data.patient_page(
        state(ctx).bridge(), name, birth_date, sex, identifier, limit, cursor
    )
    if as_json:
        print_json({"patients": page.items, "next_cursor": page.next_cursor})
        return
    print_table(
        "patients", ("DFN", "NAME", "SEX", "DOB", "SSN", "ICN"),
        ([p.ien, p.name, p.sex.code if p.sex else "", p.birth_date or "",
          cli_data.masked_ssn(p.ssn), p.icn or ""] for p in page.items),
    )  # fmt: skip
    if page.next_cursor:
        say(f"(more: --cursor {page.next_cursor})")


# -- broker --------------------------------------------------------------------------------
@app.command("rpc")
@handled
def rpc(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="RPC name, e.g. 'XWB IM HERE'.")],
    params: Annotated[list[str] | None, typer.Argument(help="Literal parameters.")] = None,
    list_items: Annotated[
        list[str] | None,
        typer.Option("--list", help="SUBSCRIPT=VALUE of one list parameter (repeat)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Call an RPC through the broker (--broker HOST:PORT; credentials from env)."""
    lines = cli_data.call_rpc(state(ctx).settings(), name, params or [], list_items or [])
    if as_json:
        print_json({"rpc": name, "lines": lines})
    else:
        for line in lines:
            say(line)


@app.command("broker-sim")
@handled
def broker_sim(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535)] = 9430,
    seconds: Annotated[
        float | None, typer.Option("--seconds", help="Stop after this long (default: Ctrl-C).")
    ] = None,
) -> None:
    """Serve the broker simulator over the configured store (default: the demo VistA)."""
    bridge, settings = state(ctx).bridge(), state(ctx).settings()
    if _is_demo(settings):  # codes from env/secrets file, or the README's demo codes
        say(demo_signon_hint(bridge.store, settings.broker))
    cli_data.run_simulator(bridge, host, port, seconds)


@app.command("serve")
@handled
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host")] = None,
    port: Annotated[int | None, typer.Option("--port", min=0, max=65535)] = None,
) -> None:
    """Run the API (uvicorn) over the configured sources."""
    st = state(ctx)
    settings = st.settings()  # validate before starting the server
    cli_data.export_settings_env(st.config, st.overrides)
    host = host or settings.server.host
    port = port if port is not None else settings.server.port
    # the factory runs in uvicorn and prints the demo key with the URL: tell it where we listen
    os.environ["VISTA_BRIDGE_SERVER__HOST"] = host
    os.environ["VISTA_BRIDGE_SERVER__PORT"] = str(port)
    import uvicorn

    uvicorn.run("api.app:create_app_from_settings", factory=True, host=host, port=port)


def _file_arg(text: str) -> str:
    try:
        number = file_number(text)  # FileMan's own rule: canonical, within M's range
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a file number", param_hint="FILE") from None
    if Decimal(number) <= 0:
        raise typer.BadParameter("a file number is positive", param_hint="FILE")
    return number


def _ien_arg(text: str) -> str:
    if not text.isdigit() or text.startswith("0"):
        raise typer.BadParameter(f"{text!r} is not an IEN (a positive whole number)",
                                 param_hint="IEN")  # fmt: skip
    return text


def main() -> None:
    """Entry point of the ``vista-bridge`` script."""
    try:
        app()
    except KeyboardInterrupt:
        err_console.print("interrupted", markup=False)
        raise SystemExit(130) from None
    except OSError as exc:  # e.g. a closed stdout pipe
        raise SystemExit(EXIT_CONFIG) from exc
