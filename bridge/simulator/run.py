"""Starting the simulator: load globals, make the handler, serve (``vista-bridge broker-sim``)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
from collections.abc import Callable, Iterable
from pathlib import Path

from bridge.simulator.context import VistaSettings
from bridge.simulator.vista import VistaHandler
from globals_map.memory import MemoryStore
from globals_map.store import GlobalStore
from globals_map.zwr_io import load_zwr
from rpc.simulator import BrokerServer, ServerConfig


def zwr_files(directory: str | os.PathLike[str]) -> list[Path]:
    """The ``*.zwr`` files of a directory in load order: names starting ``lab-`` (the lab's
    own entries) after the others, each group sorted."""
    files = sorted(Path(directory).glob("*.zwr"))
    return [f for f in files if not f.name.startswith("lab-")] + [
        f for f in files if f.name.startswith("lab-")
    ]


def load_store(
    paths: Iterable[str | os.PathLike[str]], store: GlobalStore | None = None
) -> GlobalStore:
    """A store (a new memory store by default) loaded with the given ZWR files, in order."""
    target = store if store is not None else MemoryStore()
    for path in paths:
        load_zwr(target, path)
    return target


async def serve(
    store: GlobalStore,
    host: str = "127.0.0.1",
    port: int = 9430,
    *,
    settings: VistaSettings | None = None,
    config: ServerConfig | None = None,
    ready: Callable[[BrokerServer, VistaHandler], None] | None = None,
) -> None:
    """Serve the broker until cancelled.

    SIGUSR1 puts the sign-on state back to the loaded state (:meth:`VistaHandler.reset`), so
    a shell can reset a running simulator: ``check.py --reset-cmd 'kill -USR1 PID'``.
    ``ready`` is called once the server listens (e.g. to print the port).
    """
    handler = VistaHandler(store, settings)
    # The loaded globals live as long as the server: move them out of the cyclic garbage
    # collector's sight, so its full passes (which a busy server's allocations trigger) no
    # longer walk every node of the store while a call waits.
    gc.collect()
    gc.freeze()
    server = BrokerServer(handler, config)
    await server.start(host, port)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, AttributeError, RuntimeError):
        loop.add_signal_handler(signal.SIGUSR1, handler.reset)
    if ready is not None:
        ready(server, handler)
    try:
        await server.serve_forever()
    finally:
        await server.stop()


def run_simulator(
    store: GlobalStore,
    host: str = "127.0.0.1",
    port: int = 9430,
    *,
    settings: VistaSettings | None = None,
    config: ServerConfig | None = None,
    ready: Callable[[BrokerServer, VistaHandler], None] | None = None,
) -> None:
    """Block serving the broker simulator over ``store`` (Ctrl-C stops it); see :func:`serve`."""
    try:
        asyncio.run(serve(store, host, port, settings=settings, config=config, ready=ready))
    except KeyboardInterrupt:
        return
