"""The VistA side of the broker simulator: RPC handlers over a GlobalStore and FileMan.

:class:`VistaHandler` answers for VistA: REMOTE PROCEDURE entries and the user's menus from the
store, Kernel sign-on, the CPRS patient RPCs and FileMan's DDR RPCs.  :func:`run_simulator`
serves it with the protocol core of :mod:`rpc.simulator`.
"""

from bridge.simulator.context import VistaSettings
from bridge.simulator.run import load_store, run_simulator, serve, zwr_files
from bridge.simulator.vista import ENTRY_POINTS, VistaHandler

__all__ = [
    "ENTRY_POINTS",
    "VistaHandler",
    "VistaSettings",
    "load_store",
    "run_simulator",
    "serve",
    "zwr_files",
]
