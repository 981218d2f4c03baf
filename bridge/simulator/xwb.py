"""The broker's own RPCs: XWB CREATE CONTEXT (CRCONTXT^XWBSEC) and XWB IM HERE (IMHERE^XWBLIB)."""

from __future__ import annotations

from bridge.simulator.context import Ctx
from bridge.simulator.menus import check_option, holds_key, rebuild_tree
from bridge.simulator.signon import text_param
from rpc.cipher import get_table
from rpc.simulator import CallResult, Param


def create_context(ctx: Ctx, *params: Param) -> CallResult:
    """CRCONTXT^XWBSEC: decrypt the option name, look it up (OPTLK^XQCS), check the user
    (CHK^XQCS); the refusal text goes both in the security packet and in the result."""
    s = ctx.session
    s.context = ""  # K XQY0,XQY
    option = get_table(ctx.settings.cipher_table).decrypt(text_param(params, 0))
    if option == "":
        return CallResult("1")
    ien = rebuild_tree(ctx.m, s, option, s.duz)
    if not ien:
        text = f"The context '{option}' does not exist on server."
        return CallResult(text, security=text)
    result = check_option(ctx.m, s, s.duz, ien)
    if not result or holds_key(ctx.m, "XUPROGMODE", s.duz):
        s.context = option
        return CallResult("1")
    return CallResult(result, security=result)


def im_here(ctx: Ctx, *params: Param) -> CallResult:
    """IMHERE^XWBLIB: RESULT=1."""
    return CallResult("1")
