"""What every RPC handler gets: the store (as M sees it), the session, the settings, the clock."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bridge.simulator.derived import ANY_GLOBAL, Derived
from bridge.simulator.mview import MView, fm_date, piece
from globals_map.fileman import Schema
from globals_map.fileman.decoder import Decoder
from globals_map.store import GlobalStore
from rpc.simulator import CallResult, Param, Session


def engine_system_id() -> str:
    """$SYSTEM piece 2 as the engine sets it: gtm_sysid or ydb_sysid, else the host name."""
    for name in ("ydb_sysid", "gtm_sysid"):
        value = os.environ.get(name)
        if value:
            return value
    return socket.gethostname()


@dataclass(frozen=True)
class VistaSettings:
    """The engine-side facts VistA takes from its process, not its database.

    ``system_id`` is ``$SYSTEM`` piece 2, which XUS SIGNON SETUP sends as the server name
    (GETENV^%ZOSV): GT.M and YottaDB take it from ``gtm_sysid`` / ``ydb_sysid``, else the host
    name, and so does the default here (the recorded lab's engine had ``vistalab``).
    ``lockout_hang`` is the ``H 5`` of VALIDAV^XUSRB after too many failures.
    ``cipher_table`` names the XUSRB1 table.  ``code_hash`` is EN^XUSHSH, which NEW PERSON's
    stored access and verify codes were hashed with: the identity in FOIA/VEHU VistA (the
    lab's), a site's own hash elsewhere.
    """

    system_id: str = field(default_factory=lambda: engine_system_id())
    lockout_hang: float = 5.0
    cipher_table: str = "va"
    code_hash: Callable[[str], str] = field(default=lambda code: code)
    clock: Callable[[], datetime] = datetime.now


@dataclass
class Ctx:
    """One RPC call's view: ``m`` reads the store, ``session`` is the M process's locals."""

    store: GlobalStore
    m: MView
    session: Session
    settings: VistaSettings
    now: datetime = field(default_factory=datetime.now)
    #: The FileMan dictionaries, read lazily and kept by the handler between calls.
    schema: Schema | None = None
    #: Values derived from the store and kept between calls while their globals are unchanged.
    derived: Derived | None = None

    #: Answers already computed in this call (FileMan externals), keyed by what was asked.
    memo: dict[tuple[str, ...], str] = field(default_factory=dict)

    def fileman(self) -> Schema:
        if self.schema is None:
            self.schema = Schema(self.store)
        return self.schema

    def decoder(self) -> Decoder:
        """A FileMan decoder over :meth:`fileman`.  One is kept between calls (its compiled
        field plans and pointer externals) until any global is written or the dictionaries
        are read again; then a fresh one starts, so no pointer text outlives its data."""
        schema = self.fileman()
        if self.derived is None:
            return Decoder(schema)
        return self.derived.get(("Decoder",), ANY_GLOBAL, lambda: Decoder(schema), schema)

    @property
    def dt(self) -> str:
        """DT: today as a FileMan date."""
        return fm_date(self.now)

    @property
    def duz(self) -> int:
        return self.session.duz

    def var(self, name: str, default: str = "") -> str:
        value = self.session.vars.get(name, default)
        return value if isinstance(value, str) else default

    def xopt(self) -> str:
        """XOPT^XUS1A over XOPT^XUS: the KSP sign-on parameters, defaults, user overrides."""
        xopt = self.m.get("XTV", 8989.3, 1, "XUS")
        defaults = ["", "5", "900", "1", "1", "", "", "", "1", "300", "", "", "", "N", "90"]
        parts = xopt.split("^")
        while len(parts) < 15:
            parts.append("")
        for i in range(1, 15):
            if parts[i] == "":
                parts[i] = defaults[i] if i < len(defaults) else ""
        if self.duz > 0:
            user = self.m.get("VA", 200, self.duz, 200)
            for i in (4, 5, 6, 7, 9, 10, 19):
                if piece(user, i):
                    while len(parts) < i:
                        parts.append("")
                    parts[i - 1] = piece(user, i)
        return "^".join(parts)


Handler = Callable[..., CallResult]
ParamList = list[Param]
