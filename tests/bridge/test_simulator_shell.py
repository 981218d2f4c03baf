"""check.py from a shell against ``python -m bridge.simulator``, reset by ``kill -USR1``."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, shared_path


@pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="needs SIGUSR1")
def test_check_py_from_a_shell_passes_with_kill_usr1_as_reset() -> None:
    lab = shared_path("vista-lab")
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bridge.simulator",
            "--globals",
            str(lab / "globals"),
            "--port",
            "0",
            "--drain",
            "0.05",
            "--trap-hang",
            "0.05",
            "--lockout-hang",
            "0.05",
            "--system-id",
            "vistalab",  # the recorded engine's gtm_sysid
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.stdout is not None
        line = sim.stdout.readline()
        assert line.startswith("listening on 127.0.0.1:"), line
        port = line.split(":")[1].split()[0]
        started = time.monotonic()
        check = subprocess.run(
            [
                sys.executable,
                str(lab / "check.py"),
                "--port",
                port,
                "--lockout",
                "--reset-cmd",
                f"kill -USR1 {sim.pid}",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert check.returncode == 0, check.stdout[-3000:]
        assert "all flows match" in check.stdout
        assert time.monotonic() - started < 60
    finally:
        sim.send_signal(signal.SIGINT)
        try:
            sim.wait(10)
        except subprocess.TimeoutExpired:
            sim.kill()
            sim.wait()
