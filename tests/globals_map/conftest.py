"""The ``store`` fixture: every contract test runs once per backend.

Backends other than memory are registered in ``tests/globals_map/engines.py`` (GT.M, YottaDB):
each entry is a factory that returns a fresh, empty store on a throwaway database, or calls
``require_engine`` to skip (or, in CI, fail) when its engine is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from globals_map import GlobalStore, MemoryStore

StoreFactory = Callable[[pytest.FixtureRequest], Iterator[GlobalStore]]


def _memory(_request: pytest.FixtureRequest) -> Iterator[GlobalStore]:
    store = MemoryStore()
    yield store
    store.close()


def _backends() -> dict[str, StoreFactory]:
    backends: dict[str, StoreFactory] = {"memory": _memory}
    try:
        from tests.globals_map.engines import ENGINE_BACKENDS
    except ImportError:
        return backends
    backends.update(ENGINE_BACKENDS)
    return backends


BACKENDS = _backends()


@pytest.fixture(params=sorted(BACKENDS), ids=sorted(BACKENDS))
def store(request: pytest.FixtureRequest) -> Iterator[GlobalStore]:
    """A fresh empty store of each backend in turn."""
    yield from BACKENDS[request.param](request)
