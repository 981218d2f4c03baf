"""``python -m bridge.simulator``: the broker simulator over a directory of ZWR globals.

    python -m bridge.simulator --globals ../shared/vista-lab/globals --port 9430

Prints ``listening on HOST:PORT pid PID``; ``kill -USR1 PID`` resets the sign-on state (what
check.py's ``--reset-cmd`` needs).  The waits default to VistA's; ``--drain``,
``--trap-hang`` and ``--lockout-hang`` shorten them for tests.
"""

from __future__ import annotations

import argparse
import os
import sys

from bridge.simulator.context import VistaSettings
from bridge.simulator.run import load_store, run_simulator, zwr_files
from bridge.simulator.vista import VistaHandler
from rpc.simulator import BrokerServer, ServerConfig, Timings


def main(argv: list[str] | None = None) -> int:
    defaults, vista = Timings(), VistaSettings()
    ap = argparse.ArgumentParser(prog="python -m bridge.simulator", description=__doc__)
    ap.add_argument("--globals", required=True, help="directory of *.zwr files (lab-* last)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9430, help="0 picks a free port")
    ap.add_argument("--drain", type=float, default=defaults.drain, help="CLRBUF wait (s)")
    ap.add_argument("--trap-hang", type=float, default=defaults.trap_hang, help="^%%ZTER H 1")
    ap.add_argument("--lockout-hang", type=float, default=vista.lockout_hang, help="XUSRB H 5")
    ap.add_argument(
        "--system-id",
        default=vista.system_id,
        help="$SYSTEM piece 2 (default: $gtm_sysid, $ydb_sysid or the host name)",
    )
    args = ap.parse_args(argv)
    files = zwr_files(args.globals)
    if not files:
        print(f"no *.zwr files in {args.globals}", file=sys.stderr)
        return 2
    store = load_store(files)
    timings = Timings(drain=args.drain, trap_hang=args.trap_hang)
    settings = VistaSettings(system_id=args.system_id, lockout_hang=args.lockout_hang)

    def ready(server: BrokerServer, _handler: VistaHandler) -> None:
        print(f"listening on {args.host}:{server.port} pid {os.getpid()}", flush=True)

    run_simulator(
        store, args.host, args.port, settings=settings, config=ServerConfig(timings), ready=ready
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
