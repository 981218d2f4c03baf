"""What every ``vista-bridge`` command shares: settings from the global options, the opened
bridge, the error-to-exit-code policy, JSON/table output, and rich progress bars.

Errors become one line on stderr that says what and what to do, with an exit code per kind
(see :data:`EXIT_CODES`); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from bridge.errors import BadQueryError, ConfigurationError, NotFoundError
from bridge.facade import Bridge
from bridge.settings import Settings, SettingsError, load_settings
from globals_map.errors import StoreError
from globals_map.fileman.errors import (
    AmbiguousMatchError,
    NoSuchEntryError,
    NoSuchFieldError,
    NoSuchFileError,
)
from parsers.errors import BridgeError, ParseError
from rpc.errors import BrokerConnectionError, BrokerError, BrokerTimeoutError, SignOnError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_CONFIG = 4
EXIT_BROKER = 5
EXIT_INTERRUPTED = 130

#: Exit code per error kind, most specific first.
EXIT_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (NotFoundError, EXIT_NOT_FOUND),
    (NoSuchFileError, EXIT_NOT_FOUND),
    (NoSuchEntryError, EXIT_NOT_FOUND),
    (NoSuchFieldError, EXIT_NOT_FOUND),
    (BadQueryError, EXIT_USAGE),
    (AmbiguousMatchError, EXIT_ERROR),
    (SettingsError, EXIT_CONFIG),
    (ConfigurationError, EXIT_CONFIG),
    (StoreError, EXIT_CONFIG),
    (ParseError, EXIT_CONFIG),
    (BrokerError, EXIT_BROKER),
    (BridgeError, EXIT_ERROR),
)

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class CliState:
    """The global options of one invocation, and the bridge they open (lazily, once)."""

    config: Path | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    debug: bool = False
    _settings: Settings | None = None
    _bridge: Bridge | None = None

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config, self.overrides)
        return self._settings

    def bridge(self) -> Bridge:
        if self._bridge is None:
            self._bridge = Bridge.from_settings(self.settings())
        return self._bridge

    def close(self) -> None:
        if self._bridge is not None:
            self._bridge.close()
            self._bridge = None


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        obj = CliState()
        ctx.find_root().obj = obj
    return obj


def explain(exc: BaseException) -> str:
    """One line for the user: what went wrong and what to do (never a traceback)."""
    text = str(exc).splitlines()[0].rstrip(".") if str(exc) else type(exc).__name__
    if isinstance(exc, NoSuchFileError):
        return f"{text}; `vista-bridge files` lists the files this VistA has"
    if isinstance(exc, NoSuchEntryError):
        return f"{text}; `vista-bridge find FILE TEXT` looks entries up by name"
    if isinstance(exc, SignOnError):
        return (
            f"the broker refused the sign-on: {exc}; check the access and verify codes "
            "(VISTA_BRIDGE_BROKER__ACCESS_CODE / __VERIFY_CODE or broker.secrets_file)"
        )
    if isinstance(exc, BrokerConnectionError | BrokerTimeoutError):
        return (
            f"cannot talk to the broker: {exc}; check --broker HOST:PORT "
            "(VISTA_BRIDGE_BROKER__HOST/__PORT) and that the broker is listening"
        )
    return text


def exit_code(exc: BaseException) -> int:
    for kind, code in EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return EXIT_ERROR


P = ParamSpec("P")
R = TypeVar("R")


def handled(func: Callable[P, R]) -> Callable[P, R]:
    """Run a command body: our errors become one line and an exit code (``--debug``: raise)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        # typer hands commands its (vendored) click Context: recognize it by its interface.
        found = next((a for a in (*args, *kwargs.values()) if hasattr(a, "find_root")), None)
        ctx = cast("typer.Context | None", found)
        debug = ctx is not None and state(ctx).debug
        try:
            return func(*args, **kwargs)
        except BridgeError as exc:
            if debug:
                raise
            err_console.print(f"error: {explain(exc)}", markup=False)
            raise typer.Exit(exit_code(exc)) from None
        except BrokenPipeError:
            # stdout closed early (``| head``): stop quietly, as Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(EXIT_OK) from None
        except OSError as exc:
            if debug:
                raise
            where = f" {exc.filename}" if exc.filename else ""
            err_console.print(f"error: {exc.strerror or exc}{where}", markup=False)
            raise typer.Exit(EXIT_CONFIG) from None
        except KeyboardInterrupt:
            err_console.print("interrupted", markup=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        finally:
            if ctx is not None:
                state(ctx).close()

    return wrapper


# -- output --------------------------------------------------------------------------------
def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    """JSON on stdout (one document, UTF-8, no colour) for scripts and ``jq``."""
    sys.stdout.write(json.dumps(_jsonable(value), indent=2, ensure_ascii=False, default=str))
    sys.stdout.write("\n")


def print_table(title: str, columns: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    table = Table(title=title, title_justify="left", show_lines=False)
    for col in columns:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    Console(highlight=False, soft_wrap=False).print(table)


def say(text: str) -> None:
    Console(highlight=False, soft_wrap=True).print(text, markup=False)


# -- progress ------------------------------------------------------------------------------
class RateColumn(TextColumn):
    """Items per second, with the unit given."""

    def __init__(self, unit: str) -> None:
        super().__init__("")
        self.unit = unit

    def render(self, task: Any) -> Any:
        from rich.text import Text

        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} {self.unit}/s")


def progress_bar(unit: str, *, transient: bool = False) -> Progress:
    """A rich progress bar with count, percentage, rate and ETA (on stderr)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        RateColumn(unit),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=err_console,
        transient=transient,
    )


def counting_lines(path: Path, on_bytes: Callable[[int], None]) -> Iterator[str]:
    """The lines of a ZWR file (as :func:`parsers.zwr.open_zwr` reads them), reporting bytes."""
    with open(path, encoding="utf-8", errors="surrogateescape", newline="\n") as fh:
        pending = 0
        for line in fh:
            pending += len(line)
            if pending >= 1 << 16:
                on_bytes(pending)
                pending = 0
            yield line
        on_bytes(pending)
