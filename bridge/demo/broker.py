"""What the RPC Broker needs in the demo VistA so that a client can sign on and call RPCs.

The broker simulator (:mod:`bridge.simulator`) reads sign-on and RPC data where VistA keeps it;
this module writes our own synthetic version of it into a demo store:

- REMOTE PROCEDURE (8994, ``^XWB(8994)``): one entry for every RPC the simulator answers
  (``bridge.simulator.ENTRY_POINTS``), read by RPC^XWBPRS through the "B" index;
- OPTION (19, ``^DIC(19)``): ``OR CPRS GUI CHART`` (the CPRS context) and ``XUS SIGNON`` (the
  sign-on context CHKPRMIT^XWBSEC assumes), both broker-type with their RPC multiples (19.05);
- NEW PERSON (200): the demo user ``ZZDEMO,BROKER USER`` with its access and verify codes
  (hashed with the simulator's EN^XUSHSH, VistaSettings.code_hash) and its primary menu;
- KERNEL SYSTEM PARAMETERS (``^XTV(8989.3,1)``): sign-on parameters (XOPT^XUS1A), our intro
  text (INTRO^XUS1A), the volume set, broker timeout; ``^%ZOSF("PROD")``, the NULL device of
  ``^%ZIS(1)``, the volume in ``^%ZIS(14.5)``, MailMan's ``^XMB("NETNAME")`` (SETUP^XUSRB);
- DIALOG (``^DI(.84)``): the sign-on messages of $$TXT^XUS3 and the FileMan DBS errors the DDR
  RPCs return, worded as VistA words them (clients match these texts);
- ADVERSE REACTION ASSESSMENT (120.86) for every demo patient, which EN1^GMRAOR1 reads before
  listing allergies, and the Clinical Reminders vitals index ``^PXRMINDX(120.5,"PI")`` that
  FASTVIT^ORQQVI walks: both derived from the demo's allergies and vitals.

Files the simulator reads through FileMan (8994, 19, 120.86 and the NEW PERSON sign-on fields)
get our own dictionaries, each field at the node;piece of the real file.  Everything else is
written as raw nodes in FileMan's shape.  The default codes are public demo codes (README);
:func:`set_demo_codes` gives the demo user others (``vista-bridge broker-sim`` takes them from
the broker settings: environment or secrets file).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import date

from bridge.demo.dictionary import Node, dictionary_nodes
from bridge.demo.fields import FieldSpec, FileSpec, codes, free, multiple, numeric, pointer
from bridge.errors import ConfigurationError
from bridge.settings import BrokerSettings
from globals_map.fileman.filer import FieldValue, Filer
from globals_map.store import GlobalStore

DEMO_USER = "ZZDEMO,BROKER USER"
#: The demo user's codes (public: README).  VistA wants 6-20 characters for an access code and
#: 8-20 with letters, digits and punctuation for a verify code (XUS2).
DEMO_ACCESS_CODE = "DEMOBRK1"
DEMO_VERIFY_CODE = "DEMOBRK1!!"
CPRS_CONTEXT = "OR CPRS GUI CHART"
SIGNON_CONTEXT = "XUS SIGNON"
#: ^%ZOSF("PROD") = UCI,VOLUME (GETENV^%ZOSV) and the domain of ^XMB("NETNAME").
DEMO_UCI = "VBD"
DEMO_VOLUME = "VBDEMO"
DEMO_DOMAIN = "DEMO.VISTA-BRIDGE.EXAMPLE.ORG"

CodeHash = Callable[[str], str]
#: Day 0 of $H.
_H_EPOCH = date(1840, 12, 31)


class DemoBrokerError(ConfigurationError):
    """The demo's broker data cannot be written or changed (no demo user, unusable codes):
    a configuration problem (the CLI exits with its configuration code)."""


def _same(code: str) -> str:
    """EN^XUSHSH of FOIA/VEHU VistA (and the simulator's default): the identity."""
    return code


# -- dictionaries ------------------------------------------------------------------------------
_RETURN_TYPES = {
    "1": "SINGLE VALUE",
    "2": "ARRAY",
    "3": "WORD PROCESSING",
    "4": "GLOBAL ARRAY",
    "5": "GLOBAL INSTANCE",
}

REMOTE_PROCEDURE = FileSpec(
    "8994",
    "REMOTE PROCEDURE",
    "^XWB(8994,",
    (
        free(".01", "NAME", "0;1", lo=3, hi=30, required=True, xrefs=("B",)),
        free(".02", "TAG", "0;2", lo=1, hi=8),
        free(".03", "ROUTINE", "0;3", lo=3, hi=8, required=True),
        codes(".04", "RETURN VALUE TYPE", "0;4", _RETURN_TYPES, required=True),
        codes(
            ".05",
            "AVAILABILITY",
            "0;5",
            {"P": "PUBLIC", "S": "SUBSCRIPTION", "A": "AGREEMENT", "R": "RESTRICTED"},
        ),
        codes(".06", "INACTIVE", "0;6", {"0": "ACTIVE", "1": "INACTIVE"}),
        codes(".08", "WORD WRAP ON", "0;8", {"0": "FALSE", "1": "TRUE"}),
        numeric(".09", "VERSION", "0;9", width=10, decimals=5, hi=9999),
    ),
)

OPTION_RPC = FileSpec(
    "19.05",
    "RPC",
    "",
    (
        pointer(".01", "RPC", "0;1", "8994", "XWB(8994,", xrefs=("B",), prefix="M"),
        free("1", "RPCKEY", "0;2", lo=1, hi=30),
    ),
    parent="19",
)

OPTION = FileSpec(
    "19",
    "OPTION",
    "^DIC(19,",
    (
        free(".01", "NAME", "0;1", lo=3, hi=30, required=True, xrefs=("B",)),
        free("1", "MENU TEXT", "0;2", lo=3, hi=50, required=True),
        free("2", "OUT OF ORDER MESSAGE", "0;3", lo=0, hi=50),
        codes(
            "4",
            "TYPE",
            "0;4",
            {
                "A": "action",
                "E": "edit",
                "I": "inquire",
                "M": "menu",
                "P": "print",
                "R": "run routine",
                "S": "server",
                "B": "Broker (Client/Server)",
            },
            required=True,
        ),
        free("3", "LOCK", "0;6", lo=1, hi=30),
        multiple("320", "RPC", "RPC", "19.05", modifiers="P"),
    ),
    flags="I",
    subfiles=(OPTION_RPC,),
)

ALLERGY_ASSESSMENT = FileSpec(
    "120.86",
    "ADVERSE REACTION ASSESSMENT",
    "^GMR(120.86,",
    (
        pointer(".01", "PATIENT", "0;1", "2", "DPT(", required=True, xrefs=("B",)),
        codes("1", "REACTION ASSESSMENT", "0;2", {"0": "NO", "1": "YES"}),
    ),
)

#: The NEW PERSON fields sign-on reads (CHECKAV^XUS, VCVALID^XUSRB, USER^XQCS), added to the
#: demo's NEW PERSON dictionary at the real node;piece.
SIGNON_FIELDS: tuple[FieldSpec, ...] = (
    free("2", "ACCESS CODE", "0;3", lo=1, hi=30, xrefs=("A",)),
    codes("7.2", "VERIFY CODE never expires", "0;8", {"0": "No", "1": "Yes"}),
    free("11", "VERIFY CODE", ".1;2", lo=1, hi=30),
    free("11.2", "DATE VERIFY CODE LAST CHANGED", ".1;1", lo=1, hi=10),
    pointer("201", "PRIMARY MENU OPTION", "201;1", "19", "DIC(19,"),
)

BROKER_FILES: tuple[FileSpec, ...] = (REMOTE_PROCEDURE, OPTION, ALLERGY_ASSESSMENT)


def broker_dictionary_nodes() -> list[Node]:
    """The ^DD/^DIC nodes of 8994, 19 (with 19.05) and 120.86, and the NEW PERSON sign-on
    fields (their field nodes and "IX"/"PT" nodes; ^DD(200,0) is updated by
    :func:`write_broker_dictionaries`, which knows the fields already there)."""
    nodes = dictionary_nodes(BROKER_FILES)
    person = FileSpec("200", "NEW PERSON", "^VA(200,", SIGNON_FIELDS)
    for name, subs, value in dictionary_nodes((person,)):
        if name != "DD":
            continue  # ^DIC(200) and the data header belong to the demo's NEW PERSON
        if subs[:2] == ("200", "0") and subs[2:3] != ("IX",):
            continue  # the file header, "NM" and "DT"
        nodes.append((name, subs, value))
    return nodes


def write_broker_dictionaries(store: GlobalStore) -> int:
    """Write the broker dictionaries (after the demo dictionaries); returns the node count."""
    written = store.set_many(broker_dictionary_nodes())
    header = (store.get("DD", ("200", "0")) or "FIELD^^^").split("^")
    header += [""] * (4 - len(header))
    numbers = [s for s in _children(store, "DD", ("200",)) if _is_number(s) and float(s) > 0]
    header[2] = max(numbers, key=float) if numbers else ""
    header[3] = str(len(numbers))
    store.set("DD", ("200", "0"), "^".join(header))
    return written + 1


def _children(store: GlobalStore, name: str, subs: tuple[str, ...]) -> Iterator[str]:
    cur: str | None = None
    while (cur := store.next_subscript(name, subs, cur)) is not None:
        yield cur


_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)")


def _is_number(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text))


# -- entries -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rpc:
    """One REMOTE PROCEDURE entry: name, TAG^ROUTINE, return type, availability, word wrap."""

    name: str
    tag: str
    routine: str
    returns: str
    availability: str = "S"
    word_wrap: bool = False


#: Every RPC the simulator answers, with the entry point and return type VistA registers.
RPCS: tuple[Rpc, ...] = (
    Rpc("XUS SIGNON SETUP", "SETUP", "XUSRB", "2"),
    Rpc("XUS INTRO MSG", "INTRO", "XUSRB", "2", "P"),
    Rpc("XUS AV CODE", "VALIDAV", "XUSRB", "2", "R"),
    Rpc("XUS GET USER INFO", "USERINFO", "XUSRB2", "2", "R"),
    Rpc("XWB CREATE CONTEXT", "CRCONTXT", "XWBSEC", "1"),
    Rpc("XWB IM HERE", "IMHERE", "XWBLIB", "1", "P"),
    Rpc("ORWPT LIST ALL", "LISTALL", "ORWPT", "2"),
    Rpc("ORWPT SELECT", "SELECT", "ORWPT", "1"),
    Rpc("ORWPT ID INFO", "IDINFO", "ORWPT", "1"),
    Rpc("ORQQAL LIST", "LIST", "ORQQAL", "2"),
    Rpc("ORQQVI VITALS", "FASTVIT", "ORQQVI", "2", "R"),
    Rpc("ORQQPL PROBLEM LIST", "LIST", "ORQQPL", "2"),
    Rpc("DDR LISTER", "LISTC", "DDR", "4", "R", word_wrap=True),
    Rpc("DDR GETS ENTRY DATA", "GETSC", "DDR2", "2", "R"),
    Rpc("DDR FIND1", "FIND1C", "DDR2", "2", "R"),
    Rpc("DDR FINDER", "FINDC", "DDR0", "4", "R", word_wrap=True),
    Rpc("DDR FILER", "FILEC", "DDR3", "2", "R"),
)

#: The RPCs of each broker option.  DDR FILER (a write) is registered but in no option the
#: demo user holds: calling it in the CPRS context is refused as VistA refuses it.
SIGNON_RPCS = (
    "XUS SIGNON SETUP",
    "XUS INTRO MSG",
    "XUS AV CODE",
    "XUS GET USER INFO",
    "XWB CREATE CONTEXT",
    "XWB IM HERE",
)
CPRS_RPCS = (
    "XWB IM HERE",
    "ORWPT LIST ALL",
    "ORWPT SELECT",
    "ORWPT ID INFO",
    "ORQQAL LIST",
    "ORQQVI VITALS",
    "ORQQPL PROBLEM LIST",
    "DDR LISTER",
    "DDR GETS ENTRY DATA",
    "DDR FIND1",
    "DDR FINDER",
)

#: Our own introductory text (XUS INTRO MSG).
INTRO_TEXT = (
    "",
    "   vista-bridge DEMO VistA -- every record here is synthetic",
    "",
    "   Patients, providers and users are invented (their names start with ZZDEMO);",
    "   no real person's data is stored on this system.",
    "",
    f"   Demo broker user: {DEMO_USER} (its codes are in the vista-bridge README).",
    "",
)

#: $$TXT^XUS3: sign-on message N is DIALOG 30810+N/100.  (number, short name, VistA's text:
#: clients such as rpc.session recognise refusals by these words.)
SIGNON_DIALOGS: tuple[tuple[str, str, str], ...] = (
    ("30810.01", "Sign-ons inhibited", "Signons not currently allowed on this processor."),
    ("30810.02", "Too many users", "Maximum number of users already signed on to this processor."),
    ("30810.03", "Unknown device",
     "This device has not been defined to the system -- contact the site manager."),
    ("30810.04", "Bad codes", "Not a valid ACCESS CODE/VERIFY CODE pair."),
    ("30810.05", "User disabled", "No access allowed for this user."),
    ("30810.06", "Bad device password", "Invalid device password."),
    ("30810.07", "Device or IP locked",
     "Device/IP address is locked due to too many invalid signon attempts."),
    ("30810.08", "Device out of service", "This device is out of service."),
    ("30810.09", "One sign-on only", "*** MULTIPLE SIGNONS NOT ALLOWED ***"),
    ("30810.1", "Device not allowed", "You don't have access to this device!"),
    ("30810.11", "Access terminated",
     "Your ACCESS CODE has been terminated. Please see your site manager!"),
    ("30810.12", "Verify code expired", "VERIFY CODE must be changed before continued use."),
    ("30810.13", "Device time frame", "This device may only be used outside of this time frame |."),
    ("30810.16", "No primary menu",
     "No PRIMARY MENU assigned to user or user is missing KEY to menu!"),
    ("30810.17", "User time frame", "Your access to the system is prohibited from |."),
    ("30810.18", "User locked out",
     "You are LOCKED OUT until | because of too many invalid attempts."),
    ("30810.21", "No verify code", "Null Verify Code Not Allowed."),
)  # fmt: skip

#: FileMan DBS errors the DDR RPCs return (BLD^DIALOG), in FileMan's words; |n| windows are
#: filled from the call's parameters.
FILEMAN_DIALOGS: tuple[tuple[str, str], ...] = (
    ("202", "The input parameter that identifies the |1| is missing or invalid."),
    ("299", "More than one entry matches the value(s) '|1|'."),
    ("311", "The new record '|IENS|' lacks some required identifiers."),
    ("401", "File #|FILE| does not exist."),
    ("501", "File #|FILE| does not contain a field |1|."),
    ("601", "The entry does not exist."),
    ("701", "The value '|3|' for field |1| in file |2| is not valid."),
)


def write_broker_demo(
    filer: Filer,
    counts: MutableMapping[str, int] | None = None,
    *,
    access: str = DEMO_ACCESS_CODE,
    verify: str = DEMO_VERIFY_CODE,
    code_hash: CodeHash = _same,
) -> str:
    """Write the broker entries into a demo store whose patients are already filed (call
    :func:`write_broker_dictionaries` before the filer reads NEW PERSON).  ``counts`` gets
    the entries filed per file; returns the demo user's DUZ."""
    _check_codes(access, verify)
    store = filer.store
    added: dict[str, int] = {}

    def add(file: str, values: Mapping[str, FieldValue], ien: str | None = None) -> str:
        added[file] = added.get(file, 0) + 1
        return filer.add(file, values, ien=ien)

    with filer.batch():
        rpc_ien = {}
        for rpc in RPCS:
            values: dict[str, FieldValue] = {
                ".01": rpc.name, ".02": rpc.tag, ".03": rpc.routine, ".04": rpc.returns,
                ".05": rpc.availability,
            }  # fmt: skip
            if rpc.word_wrap:
                values[".08"] = "1"
            rpc_ien[rpc.name] = add("8994", values)
        cprs = add("19", _option(CPRS_CONTEXT, "CPRS chart (vista-bridge demo)", CPRS_RPCS,
                                 rpc_ien))  # fmt: skip
        add("19", _option(SIGNON_CONTEXT, "Broker sign-on (vista-bridge demo)", SIGNON_RPCS,
                          rpc_ien))  # fmt: skip
        duz = add(
            "200",
            {
                ".01": DEMO_USER, "1": "ZBU", "2": code_hash(access.upper()), "7": "0",
                "7.2": "1", "11": code_hash(verify.upper()), "11.2": _horolog_day(filer),
                "201": cprs, "20.2": "BROKER USER ZZDEMO", "20.3": "DEMO CPRS USER",
            },
        )  # fmt: skip
        for dfn in _numeric_children(store, "DPT", ()):
            assessed = "1" if store.data("GMR", ("120.8", "B", dfn)) else "0"
            add("120.86", {".01": dfn, "1": assessed}, ien=dfn)
    store.set_many(list(_system_nodes()))
    _index_vitals(store)
    if counts is not None:
        for file, n in added.items():
            counts[file] = counts.get(file, 0) + n
    return duz


def _option(
    name: str, text: str, rpcs: tuple[str, ...], rpc_ien: dict[str, str]
) -> dict[str, FieldValue]:
    return {".01": name, "1": text, "4": "B", "320": [{".01": rpc_ien[r]} for r in rpcs]}


def _horolog_day(filer: Filer) -> str:
    """11.2 holds the $H day the verify code was last changed (VCHG^XUS1 compares days)."""
    return str((filer.today - _H_EPOCH).days)


def _numeric_children(store: GlobalStore, name: str, subs: tuple[str, ...]) -> Iterator[str]:
    for sub in _children(store, name, subs):
        if not sub.isdigit():
            return
        if sub != "0":
            yield sub


def _index_vitals(store: GlobalStore) -> None:
    """^PXRMINDX(120.5,"PI",DFN,TYPE,DATE/TIME,DA): the Clinical Reminders index of GMRV
    VITAL MEASUREMENT that FASTVIT^ORQQVI reads, built from the demo's "C" (patient) index."""
    batch: list[tuple[str, tuple[str, ...], str]] = []
    for dfn in _numeric_children(store, "DPT", ()):
        for subs, _ in store.read_subtree("GMR", ("120.5", "C", dfn)):
            ien = subs[-1]
            zero = (store.get("GMR", ("120.5", ien, "0")) or "").split("^")
            if len(zero) > 2 and zero[0] and zero[2]:
                batch.append(("PXRMINDX", ("120.5", "PI", dfn, zero[2], zero[0], ien), ""))
        if len(batch) >= 50_000:
            store.set_many(batch)
            batch.clear()
    if batch:
        store.set_many(batch)


def _system_nodes() -> Iterator[Node]:
    """Kernel, device, MailMan and DIALOG nodes that sign-on and the DDR RPCs read."""
    ksp = ("8989.3", "1")
    yield "XTV", ("8989.3", "0"), "KERNEL SYSTEM PARAMETERS^8989.3P^1^1"
    # .01 DOMAIN NAME points to DOMAIN (4.2), which the demo does not carry: left empty
    yield "XTV", (*ksp, "0"), ""
    # XOPT^XUS (KSP node "XUS"): 2 attempts before the lock, 3 lock time (s), 4 multiple
    # sign-on allowed, 10 default timed read (s), 15 days a verify code lives
    yield "XTV", (*ksp, "XUS"), "^5^900^1^^^^^^300^^^^^90"
    yield "XTV", (*ksp, "XWB"), "180"  # SETTIME^XWBTCPM: broker activity timeout (s)
    yield "XTV", (*ksp, "SID"), "0"  # $$PROD^XUPROD: not a production account
    yield "XTV", (*ksp, "4", "0"), "^8989.304^1^1"  # VOLUME SET multiple (SETUP^XUSRB)
    yield "XTV", (*ksp, "4", "1", "0"), f"{DEMO_VOLUME}^^30"
    yield "XTV", (*ksp, "4", "B", DEMO_VOLUME, "1"), ""
    yield "XTV", (*ksp, "INTRO", "0"), f"^^{len(INTRO_TEXT)}^{len(INTRO_TEXT)}^3260101^"
    for i, line in enumerate(INTRO_TEXT, start=1):
        yield "XTV", (*ksp, "INTRO", str(i), "0"), line
    yield "%ZOSF", ("PROD",), f"{DEMO_UCI},{DEMO_VOLUME}"
    yield "%ZOSF", ("VOL",), DEMO_VOLUME
    yield "%ZIS", ("1", "0"), "DEVICE^3.5I^1^1"
    yield "%ZIS", ("1", "1", "0"), "NULL^/dev/null^^^^^^^^^0"
    yield "%ZIS", ("1", "1", "1"), "NULL DEVICE (vista-bridge demo)"
    yield "%ZIS", ("1", "B", "NULL", "1"), ""
    yield "%ZIS", ("14.5", "0"), "VOLUME SET^14.5^1^1"
    yield "%ZIS", ("14.5", "1", "0"), f"{DEMO_VOLUME}^N^^N^N^{DEMO_UCI}"
    yield "%ZIS", ("14.5", "B", DEMO_VOLUME, "1"), ""
    yield "%ZIS", ("14.5", "LOGON", DEMO_VOLUME), "0"  # INHIB1^XUSRB: sign-ons allowed
    yield "XMB", ("NETNAME",), DEMO_DOMAIN
    yield "XMB", ("NAME",), DEMO_DOMAIN
    yield (
        "DI",
        (".84", "0"),
        "DIALOG^.84I^30810.21^" + str(len(SIGNON_DIALOGS) + len(FILEMAN_DIALOGS)),
    )
    for number, short, text in SIGNON_DIALOGS:
        yield "DI", (".84", number, "0"), f"{number}^2^^^{short}"
        yield from _dialog_text(number, text)
    for number, text in FILEMAN_DIALOGS:
        windows = "y" if "|" in text else ""
        yield "DI", (".84", number, "0"), f"{number}^1^{windows}"
        yield from _dialog_text(number, text)


def _dialog_text(number: str, text: str) -> Iterator[Node]:
    yield "DI", (".84", number, "2", "0"), "^^1^1^3260101^"
    yield "DI", (".84", number, "2", "1", "0"), text


# -- codes -------------------------------------------------------------------------------------
def _check_codes(access: str, verify: str) -> None:
    """XUS2's rules, roughly: printable, no ';' or '^' (they split the sign-on string), an
    access code of 6-20 and a verify code of 8-20 characters.  The codes are never echoed."""
    for label, code, low in (("access", access, 6), ("verify", verify, 8)):
        if not (low <= len(code) <= 20) or any(c in ";^:" or not 32 < ord(c) < 127 for c in code):
            raise DemoBrokerError(
                f"the demo {label} code must be {low}-20 printable characters without "
                "spaces, ';', ':' or '^'"
            )
    if access.upper() == verify.upper():
        raise DemoBrokerError("the demo access and verify codes must differ")


def demo_user_duz(store: GlobalStore) -> str:
    """The demo user's DUZ ("B" index of NEW PERSON), or a :class:`DemoBrokerError`."""
    duz = store.next_subscript("VA", ("200", "B", DEMO_USER), None)
    if duz is None:
        raise DemoBrokerError(
            f"this store has no demo broker user {DEMO_USER}; generate the demo VistA first"
        )
    return duz


def set_demo_codes(
    store: GlobalStore, access: str, verify: str, *, code_hash: CodeHash = _same
) -> str:
    """Give the demo user other codes (re-filed through FileMan, "A" index kept right);
    returns its DUZ."""
    _check_codes(access, verify)
    duz = demo_user_duz(store)
    Filer(store).update(
        "200", duz, {"2": code_hash(access.upper()), "11": code_hash(verify.upper())}
    )
    return duz


def demo_signon_hint(store: GlobalStore, broker: BrokerSettings) -> str:
    """Before ``broker-sim`` serves the demo: give the demo user the codes of the broker
    settings when any are configured (environment or secrets file), and say how to sign on.
    Only the public default codes are ever printed."""
    configured = (broker.access_code, broker.verify_code, broker.secrets_file)
    if any(item is not None for item in configured):
        access, verify = broker.credentials()
        set_demo_codes(store, access.get_secret_value(), verify.get_secret_value())
        codes = "the access/verify codes of your broker settings"
    else:
        demo_user_duz(store)
        codes = f"access code {DEMO_ACCESS_CODE}, verify code {DEMO_VERIFY_CODE}"
    return f"demo broker user {DEMO_USER}: {codes}; context {CPRS_CONTEXT}"
