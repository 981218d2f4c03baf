"""Broker simulator speed: round trips/s against the simulator vs a loopback server that
answers the same recorded bytes at once (the limit), plus 100 concurrent connections.

Run: ``.venv/bin/python bench/rpc_server.py`` or ``--quick``.  In one run:

1. one connection, signed on with the lab user (../shared/vista-lab), sends XWB IM HERE and
   ORQQAL LIST (DFN 1) back to back to the simulator over the lab's globals, and another to a
   loopback server that answers each request with VistA's recorded response straight away;
   bursts alternate between the two and the best burst of each counts (the host is shared);
2. 100 asyncio connections at once, each signing on and calling both RPCs, on the simulator;
3. connection start: TCP connect + TCPConnect until "accept", on the simulator.

Each server runs in its own process (as VistA's broker does), so the client (asyncio, in this
process) and the server do not share one interpreter lock; both are measured the same way.
VistA's own broker (see ../shared/vista-lab/README.md) took 0.1-50 ms per call and 10-45 ms to
start a connection's process: the figures are printed beside ours.  Goal: simulator >= 0.5x
the loopback limit on one connection, no errors at 100 connections.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.simulator import VistaHandler, VistaSettings, load_store, zwr_files  # noqa: E402
from rpc.simulator import BrokerServer, Limits, ServerConfig, Timings  # noqa: E402

LAB = ROOT.parent / "shared" / "vista-lab"
EOT = b"\x04"
SIGNON = ["01_tcpconnect", "02_xus_signon_setup", "04_xus_av_code_ok", "06_xwb_create_context_cprs"]
CALLS = {"XWB IM HERE": "07_xwb_im_here", "ORQQAL LIST": "08_orqqal_list_dfn1"}


def golden(name: str) -> tuple[bytes, bytes]:
    base = LAB / "golden" / name
    return base.with_suffix(".req").read_bytes(), base.with_suffix(".bin").read_bytes()


class _Loopback(asyncio.Protocol):
    """Answers each recorded request (up to its EOT) with its recorded response, at once.

    An asyncio.Protocol like the simulator's connections (not streams, which cost more per
    call), so the limit is as tight as the simulator's own machinery allows and the ratio
    measures what the simulator adds: parsing, the VistA side and framing."""

    def __init__(self, answers: dict[bytes, bytes]) -> None:
        self.answers = answers
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        buf = self.buf + data
        end = buf.find(EOT)
        while end >= 0:
            self.transport.write(self.answers.get(buf[: end + 1], b"\x00\x00\x04"))
            buf = buf[end + 1 :]
            end = buf.find(EOT)
        self.buf = buf


async def _loopback(port_file: Path) -> None:
    """A server that answers each recorded request with its recorded response, at once."""
    answers = {req: resp for req, resp in (golden(p.stem) for p in (LAB / "golden").glob("*.req"))}
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Loopback(answers), "127.0.0.1", 0, backlog=512)
    port_file.write_text(str(server.sockets[0].getsockname()[1]))
    await _until_stdin_closes()


async def _simulator(port_file: Path) -> None:
    store = load_store(zwr_files(LAB / "globals"))
    gc.collect()
    gc.freeze()  # as serve() (vista-bridge broker-sim) does with the loaded globals
    config = ServerConfig(timings=Timings(), limits=Limits(max_connections=1000))
    settings = VistaSettings(system_id="vistalab")  # the recorded engine's gtm_sysid
    server = BrokerServer(VistaHandler(store, settings), config)
    await server.start("127.0.0.1", 0)
    port_file.write_text(str(server.port))
    await _until_stdin_closes()


async def _until_stdin_closes() -> None:
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used (Linux /proc), or None elsewhere.

    Round trips/s swing with whatever else the shared host runs; the server's own CPU per
    call does much less, so it is printed beside them."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server_process(kind: str) -> Iterator[tuple[int, int]]:
    """Start ``kind`` (simulator or loopback) in a child process; yield its port and pid."""
    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "port"
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", kind, "--port-file", str(port_file)],
            stdin=subprocess.PIPE,
        )
        try:
            deadline = time.monotonic() + 30
            while not port_file.exists() or not port_file.read_text():
                if time.monotonic() > deadline or child.poll() is not None:
                    raise RuntimeError(f"the {kind} server did not start")
                time.sleep(0.05)
            yield int(port_file.read_text()), child.pid
        finally:
            assert child.stdin is not None
            child.stdin.close()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


async def _signed_on(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for name in SIGNON:
        req, resp = golden(name)
        writer.write(req)
        got = await reader.readuntil(EOT)
        if name != "04_xus_av_code_ok" and got != resp:
            raise RuntimeError(f"sign-on step {name} answered {got!r}")
    return reader, writer


Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


async def burst(conn: Conn, rpc: str, seconds: float) -> tuple[float, int, int]:
    """Calls/s of one RPC on one signed-on connection for ``seconds``, wrong answers, calls."""
    reader, writer = conn
    req, want = golden(CALLS[rpc])
    count = errors = 0
    end = time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < end:
        for _ in range(50):
            writer.write(req)
            got = await reader.readuntil(EOT)
            errors += got != want
        count += 50
    return count / (time.perf_counter() - start), errors, count


class Side:
    """One server's results in :func:`round_trips`: best calls/s and its CPU per call."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.best = 0.0
        self.cpu = 0.0
        self.calls = 0
        self.cpu_known = True

    async def run(self, conn: Conn, rpc: str, seconds: float) -> int:
        before = cpu_seconds(self.pid)
        rate, errors, calls = await burst(conn, rpc, seconds)
        after = cpu_seconds(self.pid)
        self.best = max(self.best, rate)
        if before is None or after is None:
            self.cpu_known = False
        else:
            self.cpu += after - before
            self.calls += calls
        return errors

    def cpu_us(self) -> str:
        """Server CPU microseconds per call over all bursts (tick-rounded), or n/a."""
        if not self.cpu_known or not self.calls:
            return "n/a"
        return f"{self.cpu / self.calls * 1e6:.0f}"


async def round_trips(
    sim: tuple[int, int], limit: tuple[int, int], rpc: str, seconds: float, rounds: int = 8
) -> tuple[Side, Side, int]:
    """Best-of-``rounds`` calls/s on the simulator and on the loopback, bursts alternating so
    that load from other processes on the host hits both alike; and the wrong answers."""
    sim_conn, limit_conn = await _signed_on(sim[0]), await _signed_on(limit[0])
    sim_side, limit_side = Side(sim[1]), Side(limit[1])
    errors = 0
    for _ in range(rounds):
        errors += await sim_side.run(sim_conn, rpc, seconds / rounds)
        errors += await limit_side.run(limit_conn, rpc, seconds / rounds)
    for _, writer in (sim_conn, limit_conn):
        writer.close()
    return sim_side, limit_side, errors


async def concurrent(port: int, connections: int, calls: int) -> tuple[float, int, float]:
    """``connections`` clients at once, each signing on and making ``calls`` calls of each RPC:
    total calls/s, errors, and the slowest client's seconds."""

    async def client() -> tuple[int, float]:
        t0 = time.perf_counter()
        errors = 0
        try:
            reader, writer = await _signed_on(port)
            for _ in range(calls):
                for name in CALLS.values():
                    req, want = golden(name)
                    writer.write(req)
                    errors += await reader.readuntil(EOT) != want
            writer.close()
        except (OSError, RuntimeError, asyncio.IncompleteReadError):
            errors += 1
        return errors, time.perf_counter() - t0

    start = time.perf_counter()
    results = await asyncio.gather(*(client() for _ in range(connections)))
    elapsed = time.perf_counter() - start
    total = connections * calls * len(CALLS)
    return total / elapsed, sum(e for e, _ in results), max(t for _, t in results)


async def connection_start(port: int, samples: int) -> float:
    """Median ms from connect() to TCPConnect's "accept"."""
    req, _ = golden("01_tcpconnect")
    times = []
    for _ in range(samples):
        t0 = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(req)
        await reader.readuntil(EOT)
        times.append((time.perf_counter() - t0) * 1000)
        writer.close()
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="short runs (about 10 s in all)")
    ap.add_argument("--serve", choices=["simulator", "loopback"], help=argparse.SUPPRESS)
    ap.add_argument("--port-file", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve = _simulator if args.serve == "simulator" else _loopback
        asyncio.run(serve(args.port_file))
        return 0
    seconds = 1.0 if args.quick else 3.0
    calls = 5 if args.quick else 20
    print("broker simulator vs loopback of VistA's recorded bytes (127.0.0.1, one connection)")
    with server_process("simulator") as sim, server_process("loopback") as limit:
        sim_port = sim[0]
        for rpc in CALLS:
            sim_side, limit_side, errors = asyncio.run(round_trips(sim, limit, rpc, seconds))
            sim_rate, lim_rate = sim_side.best, limit_side.best
            print(
                f"  {rpc:12s} simulator {sim_rate:8.0f} calls/s ({1000 / sim_rate:.3f} ms/call)"
                f"  loopback {lim_rate:8.0f} calls/s  ratio {sim_rate / lim_rate:.2f}x"
                f"  errors {errors}   [VistA: 0.1-50 ms/call]\n"
                f"  {'':12s} server CPU per call: simulator {sim_side.cpu_us()} us,"
                f" loopback {limit_side.cpu_us()} us"
            )
        rate, errors, slowest = asyncio.run(concurrent(sim_port, 100, calls))
        print(
            f"  100 concurrent connections: {rate:8.0f} calls/s in all, errors {errors}, "
            f"slowest client {slowest * 1000:.0f} ms ({calls} calls of each RPC + sign-on)"
        )
        start_ms = asyncio.run(connection_start(sim_port, 20 if args.quick else 100))
        print(f"  connection start (connect + TCPConnect): {start_ms:.2f} ms  [VistA: 10-45 ms]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
