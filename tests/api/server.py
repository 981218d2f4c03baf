"""Start the real server (uvicorn with the factory ``vista-bridge serve`` uses) on a free port.

No configuration is given, exactly as a newcomer runs it: the demo VistA in memory and a demo
API key printed at startup, which is read back from the server's output.
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

_RUNNING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
_KEY = re.compile(r"^\s+(vb-demo-\S+)\s*$")


@dataclass
class Server:
    url: str
    api_key: str
    audit_path: Path
    output: list[str]


@contextmanager
def running_server(workdir: Path, patients: int = 10, timeout: float = 90.0) -> Iterator[Server]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VISTA_BRIDGE_")}
    env.update(
        PYTHONPATH=str(ROOT),
        XDG_STATE_HOME=str(workdir / "state"),
        VISTA_BRIDGE_STORE__DEMO_PATIENTS=str(patients),
        PYTHONUNBUFFERED="1",
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:create_app_from_settings",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--log-level",
            "info",
            "--no-access-log",
        ],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    port = key = None
    deadline = time.monotonic() + timeout
    try:
        while port is None or key is None:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("server did not start:\n" + "".join(output[-40:]))
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            output.append(line)
            if m := _RUNNING.search(line):
                port = m.group(1)
            if m := _KEY.match(line):
                key = m.group(1)
        yield Server(
            f"http://127.0.0.1:{port}",
            key,
            workdir / "state" / "vista-bridge" / "audit.jsonl",
            output,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
