"""Kernel sign-on RPCs over the store: XUS SIGNON SETUP, XUS INTRO MSG, XUS AV CODE,
XUS GET USER INFO, and the logout at #BYE# (XUSRB, XUSRB2, XUS, XUS1, XUS1A, XUS3).

Per-process state that VistA keeps in locals (XOPT, XUFAC, DUZ(...)) lives in the session.
Database state is written where VistA writes it: the unsuccessful-attempt count and last
sign-on in ``^VA(200,DUZ,1.1)``; failed-attempt counts and IP locks in ``^XUSEC(4)`` and
``^XUSEC(3)`` only when their dictionaries (3.084, 3.083) exist, as UPDATE^DIE would.
"""

from __future__ import annotations

from decimal import Decimal

from bridge.simulator.context import Ctx
from bridge.simulator.dialog import dialog_text
from bridge.simulator.mview import fm_now, horolog, m_number, piece, set_piece, truthy
from parsers.canonical import canonical_number
from rpc.cipher import get_table
from rpc.simulator import CallResult, Literal, Param

_NOT_SIGNED_ON = "User not fully sign-on"


def text_param(params: tuple[Param, ...], i: int) -> str:
    """The i-th actual parameter as a string ($G of an undefined formal is "")."""
    if i < len(params):
        p = params[i]
        return p.value if isinstance(p, Literal) else ""
    return ""


# -- XUS SIGNON SETUP ----------------------------------------------------------------------
def setup(ctx: Ctx, *params: Param) -> CallResult:
    """SETUP^XUSRB: kills DUZ, SET1^XUS (XOPT, XUFAC), then the 8 lines of the environment."""
    m, s = ctx.m, ctx.session
    s.duz = 0
    s.vars["XOPT"] = ctx.xopt()  # SET1^XUS -> SET^XWBSEC("XUS XOPT",XOPT)
    _getfac(ctx)
    prod = m.get("%ZOSF", "PROD")  # GETENV^%ZOSV: UCI,VOL from ^%ZOSF("PROD")
    uci, vol = piece(prod, 1, ","), piece(prod, 2, ",")
    vol_ien = m.first_ien("XTV", 8989.3, 1, 4, "B", vol) if vol else ""
    xuvol = m.get("XTV", 8989.3, 1, 4, vol_ien, 0) if vol_ien else f"{vol}^y^1"
    null_ien = m.first_ien("%ZIS", 1, "B", "NULL")  # CAPI opens the NULL device: $I is it
    device = piece(m.get("%ZIS", 1, null_ien, 0), 2) if null_ien else ""
    lines = [
        ctx.settings.system_id,
        piece(xuvol, 1),
        uci,
        device,
        piece(ctx.var("XOPT"), 2),
        "0",
        m.get("XMB", "NETNAME"),
        str(int(m_number(piece(m.get("XTV", 8989.3, 1, "SID"), 1)))),  # $$PROD^XUPROD
    ]
    return CallResult(lines)


def intro(ctx: Ctx, *params: Param) -> CallResult:
    """INTRO^XUSRB -> INTRO^XUS1A: the KSP's INTRO TEXT lines, as stored."""
    m = ctx.m
    if not m.defined("XTV", 8989.3, 1, "INTRO", 0):
        return CallResult([])
    return CallResult(
        [
            m.get("XTV", 8989.3, 1, "INTRO", i, 0)
            for i in m.numeric_children("XTV", 8989.3, 1, "INTRO")
        ]
    )


# -- XUS AV CODE ---------------------------------------------------------------------------
def validav(ctx: Ctx, *params: Param) -> CallResult:
    """VALIDAV^XUSRB: check the codes, count failures as XUS3 does, greet as XUS1A does."""
    s = ctx.session
    s.duz = 0
    if not ctx.var("XOPT"):
        s.vars["XOPT"] = ctx.xopt()
    xum, msg, vcch, hang = 0, 0, 0, 0.0
    avcode = text_param(params, 0)
    duz = 0
    lines: list[str] = []
    if _inhibited(ctx):
        xum, msg = 1, 1
    elif _ip_locked(ctx):
        msg = 7
    else:
        if avcode:
            plain = get_table(ctx.settings.cipher_table).decrypt(avcode)
            duz = _checkav(ctx, plain)
            s.vars["AUTH"] = "AVCODES"
        if duz <= 0 and _fail(ctx):
            xum, msg, hang = 1, 7, ctx.settings.lockout_hang  # RA^XUSTZ, H 5
        else:
            msg = _uvalid(ctx, duz)
            if not msg:
                s.duz = duz
                vcch = _vc_needs_change(ctx, duz)
                msg, lines = _post(ctx)
                if msg:
                    vcch = 0
                elif vcch:
                    msg = 12
    duz = s.duz if not msg else 0
    s.duz = duz
    if duz > 0:
        _post2(ctx)
    ret = [str(duz), str(xum), str(vcch), signon_text(ctx, msg) if msg else "", "0"]
    ret.append(str(len(lines)) if _show_post(ctx) else "0")
    return CallResult([*ret, *lines], hang=hang)


def signon_text(ctx: Ctx, number: int) -> str:
    """TXT^XUS3: sign-on message N is DIALOG 30810+N/100, with XUM(0) in place of |...|."""
    text = dialog_text(ctx, canonical_number(Decimal(30810) + Decimal(number) / 100))
    if "|" in text:
        text = piece(text, 1, "|") + ctx.var("XUM0") + piece(text, 2, "|")
    return text


def _checkav(ctx: Ctx, plain: str) -> int:
    """CHECKAV^XUS: ACCESS;VERIFY upper-cased and hashed (EN^XUSHSH, the identity here) and
    looked up in ^VA(200,"A"); a wrong verify code adds one to 1.1 piece 2 (LBAV^XUS)."""
    m = ctx.m
    text = plain.upper().replace(":", "")
    access = piece(text, 1, ";")
    if access == "^" or not (1 <= len(access) <= 20) or not _anp(access):
        return 0
    hashed = ctx.settings.code_hash
    ien = m.first_ien("VA", 200, "A", hashed(access))
    if not ien:
        return 0
    verify = hashed(piece(text, 2, ";"))
    if piece(m.get("VA", 200, ien, 0.1), 2) != verify:
        node = m.get("VA", 200, ien, 1.1)
        count = int(m_number(piece(node, 2))) + 1
        m.set("VA", 200, ien, 1.1, set_piece(node, 2, str(count)))
        return 0
    fac = ctx.session.vars.pop("XUFAC_IEN", None)
    if isinstance(fac, str):
        ctx.m.kill("XUSEC", 4, fac)
    return int(ien)


def _anp(text: str) -> bool:
    return all(32 <= ord(c) < 127 for c in text)


def _inhibited(ctx: Ctx) -> bool:
    """INHIB1^XUSRB: logons inhibited on this volume (^%ZIS(14.5,"LOGON",vol))."""
    vol = piece(ctx.m.get("%ZOSF", "PROD"), 2, ",")
    return bool(vol) and truthy(ctx.m.get("%ZIS", 14.5, "LOGON", vol))


def _ip(ctx: Ctx) -> str:
    """IO("IP"): the peer address (NEW^XWBTCPM prefers it to the TCPConnect parameter)."""
    return ctx.session.peer or (ctx.session.connect_params or ("",))[0]


def _ip_locked(ctx: Ctx) -> bool:
    """LKCHECK^XUSTZIP: a LOCKED IP entry (^XUSEC(3), 3.083) whose time has not passed."""
    ip = _ip(ctx)
    if not ip:
        return False
    ien = ctx.m.first_ien("XUSEC", 3, "B", ip)
    until = piece(ctx.m.get("XUSEC", 3, ien, 0), 2) if ien else ""
    return bool(until) and m_number(until) > m_number(fm_now(ctx.now))


def _getfac(ctx: Ctx) -> None:
    """GETFAC^XUS3: XUFAC from ^XUSEC(4) (3.084) unless this process already counts."""
    s = ctx.session
    if "XUFAC" in s.vars:
        return
    s.vars["XUFAC"] = "0"
    ip = _ip(ctx)
    ien = ctx.m.first_ien("XUSEC", 4, "B", ip) if ip else ""
    if ien:
        s.vars["XUFAC_IEN"] = ien
        s.vars["XUFAC"] = str(int(m_number(piece(ctx.m.get("XUSEC", 4, ien, 0), 2))))


def _fail(ctx: Ctx) -> bool:
    """FAIL^XUS3: one more failed attempt; True when XUFAC reaches XOPT's attempt count."""
    s = ctx.session
    _getfac(ctx)
    count = int(ctx.var("XUFAC", "0")) + 1
    s.vars["XUFAC"] = str(count)
    _setfac(ctx, count)
    return count >= m_number(piece(ctx.var("XOPT"), 2))


def _setfac(ctx: Ctx, count: int) -> None:
    """SETFAC^XUS3 files through UPDATE^DIE: without a 3.084 dictionary nothing is stored."""
    if not ctx.m.defined("DD", 3.084, 0.01, 0):
        return
    ip = _ip(ctx) or "unknown"
    ien = ctx.var("XUFAC_IEN")
    if not ien:
        header = ctx.m.get("XUSEC", 4, 0) or "FAILED ACCESS ATTEMPTS LOG^3.084"
        ien = str(int(m_number(piece(header, 3))) + 1)
        ctx.m.set("XUSEC", 4, 0, set_piece(header, 3, ien))
        ctx.m.set("XUSEC", 4, "B", ip, ien, "")
        ctx.session.vars["XUFAC_IEN"] = ien
    ctx.m.set("XUSEC", 4, ien, 0, f"{ip}^{count}^{horolog(ctx.now)}")


def _uvalid(ctx: Ctx, duz: int) -> int:
    """UVALID^XUS: why this user may not sign on (0 = may)."""
    if duz <= 0:
        return 4
    m = ctx.m
    zero, one_one = m.get("VA", 200, duz, 0), m.get("VA", 200, duz, 1.1)
    if truthy(piece(one_one, 5)) and m_number(piece(one_one, 5)) > m_number(fm_now(ctx.now)):
        return 18
    if truthy(piece(zero, 11)) and m_number(piece(zero, 11)) <= m_number(ctx.dt):
        return 11
    if truthy(piece(zero, 7)):
        return 5
    if not piece(m.get("VA", 200, duz, 0.1), 2):
        return 21
    return 0


def _vc_needs_change(ctx: Ctx, duz: int) -> int:
    """VCVALID^XUSRB / VCHG^XUS1: 1 when the verify code must change."""
    m = ctx.m
    dot1 = m.get("VA", 200, duz, 0.1)
    if not piece(dot1, 2):
        return 1
    if piece(m.get("VA", 200, duz, 0), 8) == "1":
        return 0
    days = int(horolog(ctx.now).split(",")[0])
    return int(m_number(dot1) + m_number(piece(ctx.var("XOPT"), 15)) <= days)


def _post(ctx: Ctx) -> tuple[int, list[str]]:
    """POST^XUSRB -> USER^XUS1A: the post sign-on text, or why the user cannot sign on."""
    m, duz = ctx.m, ctx.duz
    text = [
        "!" + m.get("XTV", 8989.3, 1, "POST", i, 0)
        for i in m.numeric_children("XTV", 8989.3, 1, "POST")
    ]
    text.append("!")
    secs = ctx.now.hour * 3600 + ctx.now.minute * 60 + ctx.now.second
    when = "morning " if secs < 43200 else "afternoon " if secs < 61200 else "evening "
    name = piece(m.get("VA", 200, duz, 0.1), 4) or piece(m.get("VA", 200, duz, 0), 1)
    text.append("!Good " + when + name)
    node = m.get("VA", 200, duz, 1.1)
    last = _canonical(piece(node, 1)) + "0000"
    if m_number(last):
        day = int(m_number(last))
        said = "today" if day == int(ctx.dt) else "yesterday" if day + 1 == int(ctx.dt) else None
        said = said or _fmte_date(str(day))
        hhmm = last.split(".", 1)[1] if "." in last else "0000"
        text.append(f"!     You last signed on {said} at {hhmm[0:2]}:{hhmm[2:4]}")
    fails = int(m_number(piece(node, 2)))
    if fails:
        were, s = ("were ", "s") if fails > 1 else ("was ", "")
        text.append(f"!There {were}{fails} unsuccessful attempt{s} since you last signed on.")
    xopt = ctx.var("XOPT")
    if truthy(piece(xopt, 15)):
        days = int(horolog(ctx.now).split(",")[0])
        left = m_number(piece(xopt, 15)) - (days - m_number(m.get("VA", 200, duz, 0.1)))
        if 0 < left < 6:
            text.append(f"!     Your Verify code will expire in {int(left)} days")
    if not truthy(piece(xopt, 4)) and truthy(piece(node, 3)):
        return 9, []  # multiple sign-on not allowed
    m.set("VA", 200, duz, 1.1, set_piece(m.get("VA", 200, duz, 1.1), 3, "1"))  # USX
    return 0, [t[1:256] for t in text]


def _canonical(text: str) -> str:
    """+X for a FileMan date.time: drop trailing zeros of the fraction."""
    if not text or not m_number(text):
        return "0"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _fmte_date(day: str) -> str:
    """$$FMTE^XLFDT(X,"1D"): "Mon DD, YYYY" for an older last sign-on."""
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    year, month, dd = int(day[:3]) + 1700, int(day[3:5]), int(day[5:7])
    return f"{months[month - 1]} {dd:02d}, {year}" if 1 <= month <= 12 else day


def _show_post(ctx: Ctx) -> bool:
    """SHOWPOST^XUSRB: KSP "XWB" piece 2 says whether the post sign-on text is counted."""
    return truthy(piece(ctx.m.get("XTV", 8989.3, 1, "XWB"), 2))


def _post2(ctx: Ctx) -> None:
    """POST2^XUSRB: DUZ^XUS1A, LOG^XUS1 (last sign-on), CLRFAC^XUS3, SETTIME^XWBTCPM."""
    m, s, duz = ctx.m, ctx.session, ctx.duz
    xopt = ctx.xopt()
    s.vars["XOPT"] = xopt
    div = int(m_number(piece(xopt, 17)))
    s.vars["DUZ2"] = str(div)
    agency = piece(m.get("DIC", 4, div, 99), 5) or piece(m.get("XTV", 8989.3, 1, 0), 8)
    s.vars["AG"] = agency
    s.vars["LANG"] = piece(xopt, 7)
    s.vars["AUTO"] = piece(xopt, 6)
    s.vars["BUF"] = "1" if piece(xopt, 9) == "Y" else "0"
    s.vars["LOA"] = "2"
    dtime = piece(m.get("VA", 200, duz, 200), 10) or piece(m.get("XTV", 8989.3, 1, "XUS"), 10)
    s.vars["DTIME"] = dtime or "300"  # $$DTIME^XUP
    # SLOG^XUS1 files fields 202, 202.02, 202.03 and 202.05 (1.1 pieces 1, 2, 3, 5)
    node = m.get("VA", 200, duz, 1.1)
    for n, value in ((1, fm_now(ctx.now)), (2, "0"), (3, "1"), (5, "")):
        node = set_piece(node, n, value)
    m.set("VA", 200, duz, 1.1, node)
    fac = s.vars.pop("XUFAC_IEN", None)  # CLRFAC^XUS3
    if isinstance(fac, str):
        ctx.m.kill("XUSEC", 4, fac)
    s.vars.pop("XUFAC", None)
    bat = piece(m.get("XTV", 8989.3, 1, "XWB"), 1)  # SETTIME^XWBTCPM: $$BAT^XUPARAM
    s.idle_timeout = m_number(bat) if truthy(bat) else 180.0


def logout(ctx: Ctx) -> None:
    """LOGOUT^XUSRB -> BYE^XUSCLEAN: when 1.1 holds a last sign-on, the user is no longer
    signed on (piece 3 = 0).  The SIGN-ON LOG (3.081) is not written by the simulator."""
    duz = ctx.duz
    node = ctx.m.get("VA", 200, duz, 1.1) if duz > 0 else ""
    if truthy(node):
        ctx.m.set("VA", 200, duz, 1.1, set_piece(node, 3, "0"))


# -- XUS GET USER INFO ---------------------------------------------------------------------
def userinfo(ctx: Ctx, *params: Param) -> CallResult:
    """USERINFO^XUSRB2: 15 lines about the signed-on user, or "User not fully sign-on"."""
    m, duz = ctx.m, ctx.duz
    ret = [str(duz)] + ["unk"] * 6
    if duz <= 0:
        return CallResult(ret, security=_NOT_SIGNED_ON)
    zero = m.get("VA", 200, duz, 0)
    div = ctx.var("DUZ2", "0")
    title = piece(m.get("DIC", 3.1, int(m_number(piece(zero, 9))), 0), 1)
    service = piece(m.get("DIC", 49, int(m_number(m.get("VA", 200, duz, 5))), 0), 1)
    station = piece(m.get("DIC", 4, div, 0), 1) + "^" + piece(m.get("DIC", 4, div, 99), 1)
    ret[1:] = [
        piece(zero, 1),
        standard_name(piece(zero, 1)),
        f"{div}^{station}",
        title,
        service,
        ctx.var("LANG"),
        ctx.var("DTIME"),
        piece(m.get("VA", 200, duz, "VPID"), 1),  # $$VPID^XUPS
        ctx.var("AG"),
        ctx.var("AUTH", "NONE"),
        ctx.var("LOA", "1"),
        ctx.var("REMAPP"),
        ctx.var("AUTO", "0"),
        ctx.var("BUF", "0"),
    ]
    return CallResult(ret)


def standard_name(name: str) -> str:
    """$$NAME^XUSER: NAMEFMT^XLFNAME with "G" (given first) and "M" (mixed case)."""
    family, _, rest = name.partition(",")
    words = [*rest.split(), family] if rest else [family]
    return " ".join(_mixed(w) for w in words if w)


def _mixed(word: str) -> str:
    out, up = [], True
    for ch in word:
        out.append(ch.upper() if up else ch.lower())
        up = not ch.isalpha()
    return "".join(out)
