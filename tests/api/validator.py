"""Run ../shared/fhir-validate/validate.sh on JSON documents (tests only)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.conftest import require_engine, shared_path


def validate(docs: Mapping[str, Any] | Sequence[tuple[str, Any]], workdir: Path) -> str:
    """Validate each named document; returns the validator's report, fails the test on errors.

    Names become file names, so the report says which document failed."""
    script = shared_path("fhir-validate", "validate.sh")
    require_engine(shutil.which("node") is not None, "node is not installed (FHIR validator)")
    items = list(docs.items()) if isinstance(docs, Mapping) else list(docs)
    assert items, "nothing to validate"
    paths = []
    for i, (name, doc) in enumerate(items):
        path = workdir / f"{i:03d}-{name}.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        paths.append(str(path))
    proc = subprocess.run(
        [str(script), *paths], capture_output=True, text=True, timeout=240, check=False
    )
    report = proc.stdout
    if proc.returncode == 2:
        require_engine(False, f"the FHIR validator could not run: {proc.stderr.strip()[-300:]}")
    failures = [line for line in report.splitlines() if "FAIL" in line or "[error]" in line]
    assert proc.returncode == 0 and not failures, "validator errors:\n" + "\n".join(failures[:60])
    checked = sum(1 for line in report.splitlines() if " PASS " in line)
    assert checked >= len(items), f"validator checked {checked} of {len(items)}:\n{report[-2000:]}"
    return report
