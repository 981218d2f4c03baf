"""Engine backends for the contract suite: GT.M (a throwaway database) and YottaDB.

``ENGINE_BACKENDS`` maps a backend name to a factory that yields a fresh, empty store, or
skips the test when the engine is missing.  GT.M goes through ``require_engine``, so CI
(``BRIDGE_REQUIRE_ENGINES=1``) fails instead of skipping.  YottaDB is not installable on our CI
image (no Debian package), so its factory always *skips* when the ``yottadb`` module or its
runtime is absent, even in CI; README says so.

One GT.M database serves the whole test session (GDE + ``mupip create`` take ~1 s, and a
process can run ``gtm_init`` only once); every test starts from an empty store because the
factory kills every global before and after it.  The session ends with ``mupip rundown``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from globals_map import GlobalStore
from globals_map.engine_db import GtmDatabase
from tests.conftest import require_engine

_state: dict[str, object] = {}
#: Other databases this process opened: GT.M keeps them open until it exits, so they are run
#: down at exit too (after GT.M's own exit handler).
_extra_databases: list[GtmDatabase] = []


def gtm_available() -> tuple[bool, str]:
    """Whether GT.M is installed (libgtmshr.so, mumps, mupip), and why not."""
    from globals_map.gtm import GtmNotFoundError, find_gtm_dist

    try:
        find_gtm_dist()
    except GtmNotFoundError as exc:
        return False, str(exc)
    return True, ""


def session_database() -> object:
    """The session's throwaway GT.M database (created on first use, run down at exit)."""
    if "db" not in _state:
        from globals_map.engine_db import create_database

        root = Path(tempfile.mkdtemp(prefix="vb-gtm-"))
        _state["db"] = create_database(root)
        _state["root"] = root
        # Registered before the store starts GT.M, so it runs after GT.M's own atexit exit.
        atexit.register(teardown_session)
    return _state["db"]


def session_gtm_store() -> GlobalStore:
    """The session's GtmStore on :func:`session_database` (skips or fails when GT.M is absent)."""
    ok, reason = gtm_available()
    require_engine(ok, reason)
    if "store" not in _state:
        from globals_map.engine_db import GtmDatabase
        from globals_map.gtm import GtmStore

        db = session_database()
        assert isinstance(db, GtmDatabase)
        _state["store"] = GtmStore(db.gbldir, gtm_dist=db.dist)
    store = _state["store"]
    assert isinstance(store, GlobalStore)
    return store


def _gtm(_request: pytest.FixtureRequest) -> Iterator[GlobalStore]:
    store = session_gtm_store()
    from globals_map.gtm import GtmStore

    assert isinstance(store, GtmStore)
    store.kill_all()
    yield store
    store.kill_all()


def _yottadb(_request: pytest.FixtureRequest) -> Iterator[GlobalStore]:
    # Not require_engine: YottaDB cannot be installed here, so CI skips rather than fails.
    try:
        import yottadb  # noqa: F401
    except Exception as exc:  # ImportError, or the module failing to find libyottadb
        pytest.skip(f"YottaDB is not installed (import yottadb: {exc}); not covered by CI")
    gbldir = os.environ.get("ydb_gbldir")  # noqa: SIM112 (YottaDB spells it in lower case)
    if not gbldir:
        pytest.skip("YottaDB tests need ydb_gbldir naming a scratch database")
    from globals_map.gtm.runtime import EngineConflictError
    from globals_map.ydb import YottaDBStore

    try:
        store = YottaDBStore()
    except EngineConflictError as exc:
        pytest.skip(f"{exc}: run the YottaDB tests alone (pytest -k yottadb)")
    store.kill_all()
    yield store
    store.kill_all()


def teardown_session() -> None:
    """At interpreter exit: stop GT.M, ``mupip rundown`` the database, remove its directory."""
    db = _state.pop("db", None)
    if db is None:
        return
    assert isinstance(db, GtmDatabase)
    store = _state.pop("store", None)
    if store is not None:
        from globals_map.gtm.store import GtmStore

        assert isinstance(store, GtmStore)
        store.runtime.shutdown()
    try:
        for extra in _extra_databases:
            extra.rundown()
        db.rundown()
    finally:
        shutil.rmtree(str(_state.pop("root")), ignore_errors=True)


ENGINE_BACKENDS = {"gtm": _gtm, "yottadb": _yottadb}


@pytest.fixture
def gtm_store() -> Iterator[GlobalStore]:
    """The session's GT.M store, emptied before and after the test."""
    store = session_gtm_store()
    from globals_map.gtm import GtmStore

    assert isinstance(store, GtmStore)
    store.kill_all()
    yield store
    store.kill_all()


@pytest.fixture(scope="module")
def second_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """Another throwaway GT.M database (for mupip load comparisons), run down afterwards."""
    ok, reason = gtm_available()
    require_engine(ok, reason)
    from globals_map.engine_db import create_database

    session_database()  # its exit hook (registered first) also runs this one down
    db = create_database(tmp_path_factory.mktemp("gtm2"))
    _extra_databases.append(db)
    yield db
