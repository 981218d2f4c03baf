"""REMOTE PROCEDURE (8994) lookups and the context checks of Kernel's menu system.

RPC entries are read where VistA reads them (RPC^XWBPRS: ``^XWB(8994,"B",name)`` and the zero
node).  Whether an RPC may run follows CHKPRMIT^XWBSEC and CHK^XQCS: the option must exist and
be usable (OPT1^XQCS), the user must hold it (USER^XQCS: primary menu, XUCOMMAND, secondary
menus, the ^XUTL("XQO") trees) and the RPC must be in the option tree's RPC multiples (OPTLK^XQCS
builds them into ^TMP("XQCS",$J); here into the session).  Option RULES (M code) are never run:
an RPC with a rule is refused as a failed rules test.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.simulator.mview import MView, m_number, piece, truthy
from rpc.simulator import ReturnType, RpcEntry, Session

#: CHKPRMIT^XWBSEC: RPCs allowed in any context.
ANY_CONTEXT = frozenset(
    {
        "XWB IM HERE",
        "XWB CREATE CONTEXT",
        "XWB RPC LIST",
        "XWB IS RPC AVAILABLE",
        "XUS GET USER INFO",
        "XUS GET TOKEN",
        "XUS SET VISITOR",
        "XUS IAM BIND USER",
        "XUS CVC",
        "XUS KEY CHECK",
        "XUS BSE TOKEN",
        "XUS KAAJEE GET USER INFO",
        "XUS KAAJEE LOGOUT",
    }
)
SIGNON_CONTEXT = "XUS SIGNON"
NO_CONTEXT = "Application context has not been created!"
XQCS = _XQCS = "xqcs"
#: Every global CHKPRMIT^XWBSEC and CHK^XQCS read (keys, options, users, menu trees, RPCs).
PERMISSION_GLOBALS = ("XUSEC", "DIC", "VA", "XUTL", "XWB")


@dataclass(frozen=True)
class TreeRpc:
    """One RPC of an option tree (^TMP("XQCS",$J,rpc,0)): its security key and rule flag."""

    key: str
    has_rule: bool


_ENTRIES: dict[tuple[str, str], RpcEntry] = {}
_RETURN_TYPES = {str(t.value): t for t in ReturnType}


def lookup_rpc(m: MView, name: str) -> RpcEntry | None:
    """RPC^XWBPRS: ``$O(^XWB(8994,"B",name,0))`` and that entry's zero node, read each time
    (the parsed entry is reused only while the zero node is the same text)."""
    if not name or len(name) > 200:
        return None
    ien = m.store.next_subscript("XWB", ("8994", "B", name), "0")
    if ien is None or m_number(ien) == 0:  # RPC^XWBPRS: I '+T
        return None
    zero = m.store.get("XWB", ("8994", ien, "0")) or ""
    cached = _ENTRIES.get((name, zero))
    if cached is not None:
        return cached
    parts = zero.split("^")
    parts += [""] * (8 - len(parts))
    # MAIN^XWBTCPM: a return type outside 1-6 is sent as a single value
    rtype = _RETURN_TYPES.get(str(m_int(parts[3])), ReturnType.SINGLE_VALUE)
    entry = RpcEntry(name, parts[1], parts[2], rtype, truthy(parts[7]), parts[5])
    if len(_ENTRIES) > 4096:
        _ENTRIES.clear()
    _ENTRIES[(name, zero)] = entry
    return entry


def m_int(text: str) -> int:
    try:
        return int(float(text))
    except ValueError:
        return 0


def option_ien(m: MView, name: str) -> str:
    return m.first_ien("DIC", 19, "B", name)


def holds_key(m: MView, key: str, duz: int) -> bool:
    return duz > 0 and m.defined("XUSEC", key, duz) > 0


def option_usable(m: MView, opt: str, duz: int) -> str:
    """OPT1^XQCS: "" when the option may be used, else why not."""
    if not m.defined("DIC", 19, opt, 0):
        return "No such option in the Option File."
    zero = m.get("DIC", 19, opt, 0)
    if piece(zero, 3):
        return f"Option out of order with message: {piece(zero, 3)}."
    user = piece(m.get("VA", 200, duz, 0), 1)
    if piece(zero, 6) and not holds_key(m, piece(zero, 6), duz):
        return f"Option locked, {user} does not hold the key."
    reverse = m.get("DIC", 19, opt, 3)
    if piece(zero, 16) and reverse and holds_key(m, reverse, duz):
        return f"Reverse lock, {user} holds the key."
    if piece(zero, 9) or m.defined("DIC", 19, opt, 3.91):
        return "This option is time restricted."  # XQDATE/XQ92 time checks are not modelled
    return ""


def option_tree(m: MView, name: str, duz: int) -> dict[str, TreeRpc] | None:
    """OPTLK^XQCS: the RPCs of the option and of its broker-type menu items, or None."""
    top = option_ien(m, name)
    if not top:
        return None
    rpcs: dict[str, TreeRpc] = {}
    todo, seen = [top], set[str]()
    while todo and len(seen) < 10_000:
        opt = todo.pop(0)
        if opt in seen or option_usable(m, opt, duz):
            seen.add(opt)
            continue
        seen.add(opt)
        for i in m.numeric_children("DIC", 19, opt, "RPC"):
            zero = m.get("DIC", 19, opt, "RPC", i, 0)
            rpc = str(m_int(piece(zero, 1)))
            if rpc not in rpcs:
                has_rule = m.defined("DIC", 19, opt, "RPC", i, 1) % 2 == 1
                rpcs[rpc] = TreeRpc(piece(zero, 2), has_rule)
        for i in m.numeric_children("DIC", 19, opt, 10):
            child = str(m_int(m.get("DIC", 19, opt, 10, i, 0)))
            if piece(m.get("DIC", 19, child, 0), 4) == "B":
                todo.append(child)
    return rpcs


def user_holds_option(m: MView, duz: int, opt: str) -> bool:
    """USER^XQCS: primary menu, XUCOMMAND, secondary menus, or anywhere in those trees."""
    primary = str(m_int(m.get("VA", 200, duz, 201)))
    if opt == primary:
        return True
    common = option_ien(m, "XUCOMMAND")
    if common and (
        m.defined("DIC", 19, common, 10, "B", opt) or m.defined("XUTL", "XQO", "PXU", "^", opt)
    ):
        return True
    secondaries = piece(m.get("VA", 200, duz, 203, 0), 4)
    if truthy(secondaries) and m.defined("XUTL", "XQO", f"U{duz}", "^", opt):
        return True
    trees = [f"P{primary}"] if primary != "0" else []
    if truthy(secondaries):
        trees += [f"P{s}" for s in m.children("XUTL", "XQO", f"U{duz}", "^")]
    return any(
        m.defined("XUTL", "XQO", t, "^", opt) or m.defined("DIC", 19, "AXQ", t, "^", opt)
        for t in trees
    )


def check_option(m: MView, session: Session, duz: int, option: str, rpc: str | None = None) -> str:
    """CHK^XQCS: "" when allowed (XQMES=1), else the message."""
    if duz <= 0:
        session.vars.pop(_XQCS, None)
    opt = option if option.isdigit() else option_ien(m, option)
    if not opt or float(opt) <= 0:
        return 'No such option in the "B" cross reference of the Option File.'
    if _XQCS not in session.vars:
        session.vars[_XQCS] = option_tree(m, piece(m.get("DIC", 19, opt, 0), 1), duz) or {}
    if session.context != SIGNON_CONTEXT and duz > 0 and not user_holds_option(m, duz, opt):
        user = piece(m.get("VA", 200, duz, 0), 1)
        return f"User {user} does not have access to option {piece(m.get('DIC', 19, opt, 0), 1)}"
    if rpc:
        return _check_rpc(m, session, duz, opt, rpc)
    return ""


def rebuild_tree(m: MView, session: Session, option: str, duz: int) -> str:
    """$$OPTLK^XQCS for CRCONTXT: rebuild the session's RPC tree; the option's IEN or ""."""
    tree = option_tree(m, option, duz)
    if tree is None:
        return ""
    session.vars[_XQCS] = tree
    return option_ien(m, option)


def _check_rpc(m: MView, session: Session, duz: int, opt: str, rpc: str) -> str:
    """RPC^XQCS: registered in the option tree, not locked, no failing rule."""
    ien = rpc if rpc.isdigit() else m.first_ien("XWB", 8994, "B", rpc)
    if not ien:
        return 'No RPC by that name in the "B" cross-reference of the Remote Procedure File.'
    if not m.defined("XWB", 8994, ien, 0):
        return "No such procedure in the Remote Procedure File."
    tree = session.vars.get(_XQCS)
    entry = tree.get(ien) if isinstance(tree, dict) else None
    if not isinstance(entry, TreeRpc):
        name = piece(m.get("XWB", 8994, ien, 0), 1)
        option = piece(m.get("DIC", 19, opt, 0), 1)
        return f"The remote procedure {name} is not registered to the option {option}."
    if entry.key and not holds_key(m, entry.key, duz):
        return "Remote procedure is locked."
    if entry.has_rule:  # RULES^XQCS would XECUTE M code: never here
        return "Remote procedure request failed rules test."
    return ""


def check_permitted(m: MView, session: Session, rpc: str) -> str:
    """CHKPRMIT^XWBSEC: "" when the RPC may run, else XWBSEC's text."""
    if holds_key(m, "XUPROGMODE", session.duz):
        return ""
    if session.duz <= 0:
        session.context = SIGNON_CONTEXT
    if rpc in ANY_CONTEXT:
        return ""
    if session.context == SIGNON_CONTEXT and rpc[:3] not in ("XUS", "XWB"):
        return NO_CONTEXT
    if not session.context:
        return NO_CONTEXT
    return check_option(m, session, session.duz, session.context, rpc)
