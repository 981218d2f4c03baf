"""Shared test fixtures: where ../shared is, and the engine-skip policy.

Tests that need an engine (GT.M, PostgreSQL, node for the FHIR validator) call
:func:`require_engine`: it skips with the reason when the engine is missing, except when
``BRIDGE_REQUIRE_ENGINES=1`` (CI), where the skip becomes a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("BRIDGE_SHARED_DIR", ROOT.parent / "shared"))


def engines_required() -> bool:
    return os.environ.get("BRIDGE_REQUIRE_ENGINES", "") == "1"


def require_engine(available: bool, reason: str) -> None:
    """Skip (or, in CI, fail) when an engine the test needs is not available."""
    if available:
        return
    if engines_required():
        pytest.fail(f"BRIDGE_REQUIRE_ENGINES=1 but {reason}")
    pytest.skip(reason)


def shared_path(*parts: str) -> Path:
    """A path under ../shared; skips the test when it is absent (fails in CI)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        require_engine(False, f"shared fixture {path} is absent")
    return path


@pytest.fixture
def shared_dir() -> Path:
    return shared_path()
