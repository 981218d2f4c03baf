"""The ``Bridge`` facade: one object that opens the configured sources and hands them out.

Callers (the API, the CLI, exports) ask the bridge for the store, the FileMan schema, decoder
and finders, the clinical repository, and the broker pool, and never open sources themselves.
``Bridge.demo()`` builds the synthetic demo VistA in memory; ``Bridge.from_settings()`` opens
what :class:`bridge.settings.Settings` describes.  A bridge is a context manager and closes
what it opened.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import TracebackType

from bridge.clinical.repository import Clinical
from bridge.errors import ConfigurationError
from bridge.settings import DEFAULT_DEMO_SEED, Settings, StoreSettings
from globals_map.errors import StoreError
from globals_map.fileman import Decoder, Finder, Schema
from globals_map.memory import MemoryStore
from globals_map.store import GlobalStore
from globals_map.zwr_io import load_zwr
from rpc.client import BrokerClient, connect
from rpc.pool import BrokerPool


class Bridge:
    """The configured VistA sources, opened once and shared (thread-safe to read)."""

    def __init__(
        self,
        store: GlobalStore | None,
        *,
        settings: Settings | None = None,
        broker_pool: BrokerPool[BrokerClient] | None = None,
    ) -> None:
        self.settings = settings or Settings()
        self._store = store
        self._broker_pool = broker_pool
        self._schema: Schema | None = None
        self._decoder: Decoder | None = None
        self._finder: Finder | None = None
        self._clinical: Clinical | None = None

    # -- construction ------------------------------------------------------------------
    @classmethod
    def demo(
        cls,
        patients: int = 50,
        seed: int = DEFAULT_DEMO_SEED,
        *,
        settings: Settings | None = None,
    ) -> Bridge:
        """A bridge over a fresh synthetic demo VistA in memory (deterministic for a seed)."""
        from bridge.demo import generate_demo

        store = MemoryStore()
        generate_demo(store, patients=patients, seed=seed)
        return cls(store, settings=settings)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Bridge:
        """Open the store (and broker pool) that ``settings`` describes."""
        settings = settings or Settings()
        store = open_store(settings.store)
        pool = None
        if settings.broker.configured:
            pool = _open_broker_pool(settings)
        return cls(store, settings=settings, broker_pool=pool)

    # -- what it hands out -------------------------------------------------------------
    @property
    def store(self) -> GlobalStore:
        """The global store; raises :class:`ConfigurationError` when only a broker is set."""
        if self._store is None:
            raise ConfigurationError(
                "no global store is configured; set store.kind (memory, gtm or yottadb)"
            )
        return self._store

    @property
    def has_store(self) -> bool:
        return self._store is not None

    @property
    def schema(self) -> Schema:
        """The FileMan ``Schema`` read lazily from ``^DD``/``^DIC`` of the store."""
        if self._schema is None:
            self._schema = Schema(self.store)
        return self._schema

    @property
    def decoder(self) -> Decoder:
        """The FileMan ``Decoder`` over the schema (its pointer cache is shared)."""
        if self._decoder is None:
            self._decoder = Decoder(self.schema)
        return self._decoder

    @property
    def finder(self) -> Finder:
        """The FileMan ``Finder``: lookup by IEN and "B" index, listings with cursors."""
        if self._finder is None:
            self._finder = Finder(self.schema, self.decoder)
        return self._finder

    @property
    def clinical(self) -> Clinical:
        """Patients, vitals, allergies, problems, medications, visits, providers, locations."""
        if self._clinical is None:
            self._clinical = Clinical(self.store)
        return self._clinical

    @property
    def broker_pool(self) -> BrokerPool[BrokerClient] | None:
        """The signed-on broker connection pool, or None when no broker is configured."""
        return self._broker_pool

    # -- lifetime ----------------------------------------------------------------------
    def close(self) -> None:
        """Close the pool and the store; the bridge is unusable afterwards."""
        pool, self._broker_pool = self._broker_pool, None
        if pool is not None and hasattr(pool, "close"):
            pool.close()
        store, self._store = self._store, None
        if store is not None:
            store.close()

    def __enter__(self) -> Bridge:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_store(cfg: StoreSettings) -> GlobalStore:
    """Open the configured store; errors say what is missing and what to do."""
    if cfg.kind == "memory":
        return _open_memory(cfg)
    if cfg.gbldir is not None and not cfg.gbldir.exists():
        raise ConfigurationError(
            f"global directory {cfg.gbldir} does not exist; check store.gbldir "
            "(VISTA_BRIDGE_STORE__GBLDIR or --gbldir)"
        )
    try:
        if cfg.kind == "gtm":
            from globals_map.gtm import GtmStore

            store: GlobalStore = GtmStore(cfg.gbldir, gtm_dist=cfg.dist, routines=cfg.routines)
        else:
            store = _open_yottadb(cfg)
        # GT.M opens database files on first access: touch one now, so a missing or
        # unreadable database is reported here, with what to do, not at the first read.
        store.data("DD")
        return store
    except StoreError as exc:
        raise ConfigurationError(
            f"cannot open the {cfg.kind} database: {exc}; check store.gbldir and that the "
            "database file exists and is readable"
        ) from None


def _open_yottadb(cfg: StoreSettings) -> GlobalStore:
    if cfg.gbldir is not None:
        os.environ["ydb_gbldir"] = str(cfg.gbldir)  # noqa: SIM112 (YottaDB reads lower case)
    if cfg.dist is not None:
        os.environ["ydb_dist"] = str(cfg.dist)  # noqa: SIM112
    try:
        module = importlib.import_module("globals_map.ydb")
        ydb_store: GlobalStore = module.YottaDBStore()
    except ImportError as exc:
        raise ConfigurationError(
            f"the yottadb backend is not available ({exc.name or exc}); install the yottadb "
            "package and YottaDB, or use store.kind=gtm or memory"
        ) from None
    return ydb_store


def _open_memory(cfg: StoreSettings) -> GlobalStore:
    store = MemoryStore()
    if cfg.demo:
        from bridge.demo import generate_demo

        generate_demo(store, patients=cfg.demo_patients, seed=cfg.demo_seed)
    for path in cfg.zwr:
        load_zwr_file(store, path)
    return store


def load_zwr_file(store: GlobalStore, path: Path) -> int:
    """Load one ZWR file into ``store``; one clear error when it is missing or unreadable."""
    if not path.is_file():
        raise ConfigurationError(f"ZWR file {path} does not exist; check the path")
    try:
        report = load_zwr(store, str(path))
    except OSError as exc:
        raise ConfigurationError(f"cannot read ZWR file {path}: {exc.strerror}") from None
    return report.loaded


def _open_broker_pool(settings: Settings) -> BrokerPool[BrokerClient]:
    """A pool of signed-on broker connections; they are opened on first use, not here."""
    broker = settings.broker
    access, verify = broker.credentials()
    host = broker.host or ""

    def signed_on() -> BrokerClient:
        return connect(
            host,
            broker.port,
            access.get_secret_value(),
            verify.get_secret_value(),
            context=broker.context,
            timeout=broker.timeout,
        )

    return BrokerPool(signed_on, size=broker.pool_size, acquire_timeout=broker.timeout)
