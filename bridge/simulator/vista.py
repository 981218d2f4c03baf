"""VistA's side of the broker over a GlobalStore: the handler the protocol core calls.

Which RPCs exist and which routine answers each is read from REMOTE PROCEDURE (8994) in the
store; permission follows CHKPRMIT^XWBSEC and the user's menus (:mod:`bridge.simulator.menus`);
each TAG^ROUTINE that VistA would DO is a Python function here, with the routine's formal
parameter count, so calling it with too many parameters fails as M does (ACTLSTTOOLONG).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from bridge.simulator import clinical, ddr, signon, xwb
from bridge.simulator.context import Ctx, VistaSettings
from bridge.simulator.derived import Derived
from bridge.simulator.menus import PERMISSION_GLOBALS, XQCS, check_permitted, lookup_rpc
from bridge.simulator.mview import MView, fm_date
from globals_map.fileman import Schema
from globals_map.store import GlobalStore, NodeItem
from rpc.simulator import CallResult, MError, Param, RpcEntry, Session

#: CAPI^XWBPRS calls LOGRSRC^%ZOSV just before the RPC: its $G(^%ZTSCH("LOGRSRC")) is the
#: last global reference when the call itself fails.
LAST_REF = '^%ZTSCH("LOGRSRC")'
#: Session variable holding the permission verdicts kept for the current context tree.
_PERMITS = "permits"


@dataclass(frozen=True)
class Routine:
    """One entry point: the function and the number of formals after the result parameter."""

    fn: Callable[..., CallResult]
    formals: int


#: (TAG, ROUTINE) -> the Python entry point that answers for it.
ENTRY_POINTS: dict[tuple[str, str], Routine] = {
    ("SETUP", "XUSRB"): Routine(signon.setup, 3),
    ("INTRO", "XUSRB"): Routine(signon.intro, 0),
    ("VALIDAV", "XUSRB"): Routine(signon.validav, 1),
    ("USERINFO", "XUSRB2"): Routine(signon.userinfo, 0),
    ("CRCONTXT", "XWBSEC"): Routine(xwb.create_context, 2),
    ("IMHERE", "XWBLIB"): Routine(xwb.im_here, 0),
    ("LIST", "ORQQAL"): Routine(clinical.allergy_list, 1),
    ("LISTALL", "ORWPT"): Routine(clinical.list_all, 2),
    ("SELECT", "ORWPT"): Routine(clinical.select, 1),
    ("IDINFO", "ORWPT"): Routine(clinical.id_info, 1),
    ("FASTVIT", "ORQQVI"): Routine(clinical.fast_vitals, 4),
    ("LIST", "ORQQPL"): Routine(clinical.problem_list, 2),
    ("LISTC", "DDR"): Routine(ddr.lister, 1),
    ("GETSC", "DDR2"): Routine(ddr.gets, 1),
    ("FIND1C", "DDR2"): Routine(ddr.find1, 1),
    ("FINDC", "DDR0"): Routine(ddr.finder, 1),
    ("FILEC", "DDR3"): Routine(ddr.filer, 4),
}


def too_many_parameters(place: str) -> MError:
    """GT.M's error when DO passes more actuals than the label has formals."""
    return MError(
        place,
        " More actual parameters than formal parameters: ",
        "150374474",
        "%GTM-E-ACTLSTTOOLONG",
        LAST_REF,
    )


def missing_label(entry: RpcEntry) -> MError:
    """What DO TAG^ROUTINE raises when this simulator has no such entry point."""
    return MError(
        "CAPI+14^XWBPRS",
        f" Label referenced but not defined: {entry.tag}^{entry.routine}",
        "150373130",
        "%GTM-E-LABELMISSING",
        LAST_REF,
    )


class VistaHandler:
    """The :class:`rpc.simulator.BrokerHandler` over one GlobalStore."""

    def __init__(self, store: GlobalStore, settings: VistaSettings | None = None) -> None:
        self.store = store
        self.m = MView(store)
        self.settings = settings or VistaSettings()
        self._lock = threading.RLock()
        self._schema = Schema(store)
        #: What calls derived from the store, kept while its globals are unchanged.
        self.derived = Derived(store)
        self._snapshot = self._signon_state()

    # -- BrokerHandler -------------------------------------------------------------------
    def open_session(self, session: Session) -> None:
        session.vars["locals"] = {"U": "^", "DUZ": "0"}

    def lookup_rpc(self, name: str) -> RpcEntry | None:
        with self._lock:
            return self.derived.get(("8994", name), ("XWB",), lambda: lookup_rpc(self.m, name))

    def check_permission(self, session: Session, name: str) -> str:
        """CHKPRMIT^XWBSEC.  A signed-on session with a context tree gets the verdict kept for
        that very tree, user and context while the globals the check reads are unchanged
        (then the check has no side effects on the session); otherwise it runs in full."""
        with self._lock:
            tree = session.vars.get(XQCS)
            stamp = self.derived.stamp(PERMISSION_GLOBALS)
            if stamp is None or session.duz <= 0 or tree is None:
                return check_permitted(self.m, session, name)
            permits = session.vars.get(_PERMITS)
            if not isinstance(permits, dict) or permits.get("") is not tree:
                permits = session.vars[_PERMITS] = {"": tree}
            state = (session.duz, session.context, stamp)
            kept = permits.get(name)
            if isinstance(kept, tuple) and kept[0] == state:
                return str(kept[1])
            text = check_permitted(self.m, session, name)
            if session.vars.get(XQCS) is tree and len(permits) < 1024:
                permits[name] = (state, text)
            return text

    def call(self, session: Session, entry: RpcEntry, params: list[Param]) -> CallResult:
        routine = ENTRY_POINTS.get((entry.tag, entry.routine))
        if routine is None:
            raise missing_label(entry)
        if len(params) > routine.formals:
            raise too_many_parameters(f"{entry.tag}^{entry.routine}")
        with self._lock:
            ctx = self._ctx(session)
            result = routine.fn(ctx, *params)
            session.vars["locals"] = {"U": "^", "DUZ": str(session.duz), "DT": ctx.dt}
            return result

    def close_session(self, session: Session) -> None:
        with self._lock:
            signon.logout(self._ctx(session))

    # -- state ---------------------------------------------------------------------------
    def _ctx(self, session: Session) -> Ctx:
        now = self.settings.clock()
        return Ctx(self.store, self.m, session, self.settings, now, self._schema, self.derived)

    def dictionary_changed(self) -> None:
        """Forget the FileMan dictionaries read so far (after ^DD or ^DIC edits)."""
        with self._lock:
            self._schema = Schema(self.store)
            self.derived.clear()

    def _signon_state(self) -> list[tuple[str, tuple[str, ...], list[NodeItem]]]:
        """The nodes that sign-on changes: every user's 1.1 node, ^XUSEC(0), (3) and (4)."""
        parts: list[tuple[str, tuple[str, ...], list[NodeItem]]] = []
        for duz in self.m.numeric_children("VA", 200):
            subs = ("200", duz, "1.1")
            parts.append(("VA", subs, self.store.read_subtree("VA", subs)))
        for file in ("0", "3", "4"):
            parts.append(("XUSEC", (file,), self.store.read_subtree("XUSEC", (file,))))
        return parts

    def snapshot(self) -> None:
        """Take the current sign-on state as the one :meth:`reset` restores."""
        with self._lock:
            self._snapshot = self._signon_state()

    def reset(self) -> None:
        """Put sign-on state (last sign-on, failed attempts, locks) back to the snapshot
        taken when the handler was made (the loaded state)."""
        with self._lock, self.store.transaction():
            for duz in list(self.m.numeric_children("VA", 200)):
                self.store.kill("VA", ("200", duz, "1.1"))
            for file in ("0", "3", "4"):
                self.store.kill("XUSEC", (file,))
            for name, _subs, nodes in self._snapshot:
                for node_subs, value in nodes:
                    self.store.set(name, node_subs, value)

    def today(self) -> str:
        return fm_date(self.settings.clock())
