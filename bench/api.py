"""API throughput and latency: FHIR Patient read and Patient search against a bare FastAPI
JSON endpoint served by the same server process in the same run (the limit).

The server (uvicorn, one worker, over the demo VistA in memory, auth and audit on) runs in a
child process; this process is the client: ``--clients`` concurrent keep-alive HTTP/1.1
connections on 127.0.0.1, each sending its next request when the previous answer is in. Every
phase runs for ``--seconds`` after a short warm-up. Reported per endpoint: requests/s, p50 and
p99 latency, the ratio to the bare endpoint, and the server process's CPU time per request
(from /proc; it moves less than req/s with the load the rest of the machine puts on the two
cores) with its ratio to the bare endpoint's. Goal: >= 0.5x bare, p99 < 20 ms.

    .venv/bin/python bench/api.py            # 32 clients, 5 s per endpoint, 200 patients
    .venv/bin/python bench/api.py --quick    # 1.5 s per endpoint
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_KEY = "bench-key-0123456789abcdef"


# -- server side (child process) ------------------------------------------------------------
def serve(patients: int) -> None:
    sys.path.insert(0, str(ROOT))
    import uvicorn
    from fastapi import FastAPI

    from api.app import create_app
    from api.audit import AuditLog
    from api.auth import ALL_DEMO_SCOPES, Authenticator
    from bridge.facade import Bridge

    auth = Authenticator()
    auth.add_key("bench", BENCH_KEY, ALL_DEMO_SCOPES)
    audit = AuditLog(Path(tempfile.mkdtemp(prefix="vb-bench-")) / "audit.jsonl")
    app: FastAPI = create_app(Bridge.demo(patients=patients), authenticator=auth, audit_log=audit)

    @app.get("/bench/bare", include_in_schema=False)
    async def bare() -> dict[str, str]:
        return {"resourceType": "Basic", "id": "bare", "status": "ok"}

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)  # connections queue until uvicorn accepts them
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


# -- client side -----------------------------------------------------------------------------
async def _request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {BENCH_KEY}\r\n\r\n".encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def _client(
    port: int,
    paths: list[str],
    offset: int,
    stop_at: float,
    warm_until: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = offset
    try:
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at:
                return
            status = await _request(reader, writer, paths[i % len(paths)])
            t1 = time.perf_counter()
            i += 1
            if t0 >= warm_until:
                latencies.append(t1 - t0)
                if status != 200:
                    errors.append(status)
    finally:
        writer.close()


async def phase(
    port: int,
    paths: list[str],
    clients: int,
    seconds: float,
    latencies: list[float],
    errors: list[int],
) -> None:
    now = time.perf_counter()
    warm_until = now + min(0.5, seconds / 3)
    stop_at = warm_until + seconds
    await asyncio.gather(
        *(
            _client(port, paths, k * 7, stop_at, warm_until, latencies, errors)
            for k in range(clients)
        )
    )


def summary(latencies: list[float], errors: list[int], seconds: float) -> dict[str, float]:
    lat = sorted(latencies)
    return {
        "rps": len(lat) / seconds,
        "p50": statistics.median(lat) * 1000 if lat else 0.0,
        "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else 0.0,
        "errors": float(len(errors)),
    }


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) the server process has used: /proc/PID/stat fields 14-15.
    Per request, this is the server's own cost, whatever else the machine is doing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1.5 s per endpoint")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--patients", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds per endpoint")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.patients)
        return
    seconds = 1.5 if args.quick else args.seconds
    args.rounds = 2 if args.quick else max(1, args.rounds)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--patients", str(args.patients)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        cases = {
            "bare FastAPI JSON (limit)": ["/bench/bare"],
            "FHIR Patient read": [f"/fhir/Patient/{i}" for i in range(1, args.patients + 1)],
            "FHIR Patient search (1 hit)": [
                f"/fhir/Patient?identifier=urn:va:dfn|{i}" for i in range(1, args.patients + 1)
            ],
            "FHIR Patient search (10)": ["/fhir/Patient?name=ZZDEMO&_count=10"],
        }
        print(
            f"vista-bridge API bench: {args.clients} clients, {seconds:g} s per endpoint, "
            f"{args.patients} demo patients, uvicorn 1 worker, auth + audit on"
        )
        print(
            f"{'endpoint':28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8} "
            f"{'server CPU us/req':>18} {'CPU vs bare':>12} errors"
        )
        # Rounds interleave the endpoints, so a change in machine load between phases
        # shifts them all alike and the ratios stay fair.
        lat: dict[str, list[float]] = {name: [] for name in cases}
        errs: dict[str, list[int]] = {name: [] for name in cases}
        slice_s = seconds / args.rounds
        cpu: dict[str, float] = dict.fromkeys(cases, 0.0)
        for _ in range(args.rounds):
            for name, paths in cases.items():
                before, count = server_cpu(proc.pid), len(lat[name])
                asyncio.run(phase(port, paths, args.clients, slice_s, lat[name], errs[name]))
                # CPU per request includes the warm-up requests' share: count them too
                cpu[name] += (server_cpu(proc.pid) - before) / max(1, len(lat[name]) - count)
        cpu = {k: v / args.rounds for k, v in cpu.items()}
        bare_rps = bare_cpu = 0.0
        for name in cases:
            r = summary(lat[name], errs[name], seconds)
            bare_rps = bare_rps or r["rps"]
            bare_cpu = bare_cpu or cpu[name]
            ratio = r["rps"] / bare_rps if bare_rps else 0.0
            cpu_ratio = bare_cpu / cpu[name] if cpu[name] else 0.0
            print(
                f"{name:28} {r['rps']:9.0f} {r['p50']:8.2f} {r['p99']:8.2f} {ratio:7.2f}x "
                f"{cpu[name] * 1e6:18.0f} {cpu_ratio:11.2f}x {int(r['errors'])}"
            )
        load = os.getloadavg()[0]
        print(
            f"goal: >= 0.50x of bare, p99 < 20 ms   (1-min load average {load:.1f}, "
            f"{os.cpu_count()} cores)"
        )
        print(
            f"note: with {args.clients} clients each waiting for its answer, p50 is about "
            f"{args.clients} / req/s (Little's law); 'CPU vs bare' is the bare endpoint's server "
            "CPU per request over this one's, which the rest of the machine's load moves less"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
