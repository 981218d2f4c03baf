"""Sign-on steps driven without any socket (sans-IO): request bytes out, recorded replies in."""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import TypeVar

import pytest

from rpc import session
from rpc.cipher import get_table
from rpc.errors import (
    ContextError,
    LockedOutError,
    ProtocolError,
    RPCMError,
    SignOnError,
    VerifyCodeExpiredError,
)
from rpc.protocol import Reply, decode_reply
from rpc.session import Credentials, Exchange, SessionOptions
from tests.conftest import shared_path
from tests.rpc.replay import FixedRows

T = TypeVar("T")
LAB = Credentials("LABUSER1", "LABUSER1!!")


def golden(name: str) -> tuple[bytes, Reply]:
    base = Path(shared_path("vista-lab", "golden"))
    return (base / f"{name}.req").read_bytes(), decode_reply((base / f"{name}.bin").read_bytes())


def drive(steps: Generator[Exchange, Reply, T], flows: list[str]) -> T:
    """Run ``steps`` against recorded flows: each request must be the recorded one."""
    exchange = next(steps)
    for name in flows:
        request, reply = golden(name)
        assert exchange.request == request, name
        try:
            exchange = steps.send(reply)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
    raise AssertionError("the steps asked for more exchanges than recorded")


def test_sign_on_steps_send_the_recorded_bytes_and_build_typed_values() -> None:
    options = SessionOptions(get_table("va"), FixedRows(), True, True, "OR CPRS GUI CHART")
    signed = drive(
        session.sign_on(LAB, options),
        [
            "02_xus_signon_setup",
            "03_xus_intro_msg",
            "04_xus_av_code_ok",
            "05_xus_get_user_info",
            "06_xwb_create_context_cprs",
        ],
    )
    assert signed.duz == 90001 and signed.user is not None
    assert signed.setup.server == "vistalab" and signed.setup.device == "/dev/null"
    assert signed.messages == ("Good morning LABUSER,ONE",)


def test_handshake_and_bye() -> None:
    exchange = next(session.handshake("127.0.0.1", "vistalab-check"))
    assert exchange.request == golden("01_tcpconnect")[0]
    drive(session.handshake("127.0.0.1", "vistalab-check"), ["01_tcpconnect"])
    drive(session.bye(), ["12_bye"])


def test_refusal_names_the_cipher_table_used() -> None:
    steps = session.authenticate(LAB, get_table("worldvista"), FixedRows())
    next(steps)
    with pytest.raises(SignOnError) as err:
        steps.send(golden("23_xus_av_code_wrong_verify")[1])
    assert err.value.cipher_table == "worldvista"
    assert "worldvista" in str(err.value) and "LABUSER1" not in str(err.value)


def test_lock_text_is_a_lockout_error() -> None:
    steps = session.authenticate(LAB, rng=FixedRows())
    next(steps)
    with pytest.raises(LockedOutError):
        steps.send(golden("33_xus_av_code_wrong_5")[1])


def test_verify_code_change_is_its_own_error() -> None:
    with pytest.raises(VerifyCodeExpiredError):
        session.interpret_av_code(
            Reply("", "", "0\r\n0\r\n1\r\nVERIFY CODE must be changed before continued use.\r\n"),
            "va",
        )


def test_av_code_answers_that_are_not_vistas_are_refused() -> None:
    with pytest.raises(ProtocolError):
        session.interpret_av_code(Reply("", "", ""), "va")
    with pytest.raises(SignOnError):
        session.interpret_av_code(Reply("", "", "", "M  ERROR=X"), "va")


def test_context_refusals() -> None:
    for flow in ("10_xwb_create_context_denied", "11_xwb_create_context_unknown"):
        steps = session.create_context("X", rng=FixedRows())
        next(steps)
        with pytest.raises(ContextError):
            steps.send(golden(flow)[1])
    steps = session.create_context("X", rng=FixedRows())
    next(steps)
    with pytest.raises(ContextError):
        steps.send(Reply("", "", "0"))
    steps = session.create_context("X", rng=FixedRows())
    next(steps)
    with pytest.raises(RPCMError):
        steps.send(Reply("", "", "", "M  ERROR=X"))


def test_credentials_never_show_and_must_be_whole() -> None:
    assert "LABUSER1" not in repr(LAB)
    with pytest.raises(SignOnError):
        Credentials("", "x")
    with pytest.raises(SignOnError):
        Credentials("A;B", "x")


def test_user_info_before_sign_on_has_no_user() -> None:
    with pytest.raises(SignOnError):
        session.parse_user(["0", "unk"])
