"""Against a live VistA broker (e.g. a dockerized VEHU or WorldVistA), when configured:

    VISTA_BROKER_HOST, VISTA_BROKER_PORT, VISTA_BROKER_ACCESS, VISTA_BROKER_VERIFY   (required)
    VISTA_BROKER_CONTEXT   option to create (default OR CPRS GUI CHART)
    VISTA_BROKER_CIPHER    XUSRB1 table name or file (default va; worldvista for older builds)
    VISTA_BROKER_NEGATIVE=1  also try a wrong verify code (counts as a failed sign-on there)

Skipped when the four required variables are not all set (CI has no live VistA)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from rpc.aio import AsyncBrokerClient
from rpc.cipher import CipherTable, get_table, load_table
from rpc.client import BrokerClient
from rpc.errors import RPCSecurityError, SignOnError
from rpc.pool import BrokerPool

REQUIRED = ("HOST", "PORT", "ACCESS", "VERIFY")
ENV = {key: os.environ.get(f"VISTA_BROKER_{key}", "") for key in REQUIRED}
pytestmark = pytest.mark.skipif(
    not all(ENV.values()),
    reason="set VISTA_BROKER_HOST/_PORT/_ACCESS/_VERIFY to test against a live VistA",
)
CONTEXT = os.environ.get("VISTA_BROKER_CONTEXT", "OR CPRS GUI CHART")


def cipher() -> CipherTable:
    choice = os.environ.get("VISTA_BROKER_CIPHER", "va")
    return load_table(choice) if Path(choice).is_file() else get_table(choice)


def client() -> BrokerClient:
    return BrokerClient(ENV["HOST"], int(ENV["PORT"]), timeout=30.0, cipher=cipher())


def test_sync_client_signs_on_and_calls() -> None:
    with client() as vista:
        signed = vista.sign_on(ENV["ACCESS"], ENV["VERIFY"], context=CONTEXT, intro=True)
        assert signed.duz > 0 and signed.user is not None and signed.user.duz == signed.duz
        assert signed.setup.attempts is None or signed.setup.attempts > 0
        vista.keep_alive()
        with pytest.raises(RPCSecurityError):
            vista.call("ZZ NO SUCH RPC")
        vista.keep_alive()


def test_async_client_signs_on_and_calls() -> None:
    async def main() -> int:
        async with AsyncBrokerClient(
            ENV["HOST"], int(ENV["PORT"]), timeout=30.0, cipher=cipher()
        ) as vista:
            signed = await vista.sign_on(ENV["ACCESS"], ENV["VERIFY"], context=CONTEXT)
            await vista.keep_alive()
            return signed.duz

    assert asyncio.run(main()) > 0


def test_pool_against_live_vista() -> None:
    def factory() -> BrokerClient:
        vista = client()
        vista.sign_on(ENV["ACCESS"], ENV["VERIFY"], context=CONTEXT)
        return vista

    with BrokerPool(factory, size=2) as pool:
        for _ in range(4):
            assert pool.run(lambda c: c.call("XWB IM HERE").value) == "1"


@pytest.mark.skipif(os.environ.get("VISTA_BROKER_NEGATIVE") != "1", reason="opt-in")
def test_wrong_verify_code_is_vistas_refusal_naming_the_table() -> None:
    with client() as vista, pytest.raises(SignOnError) as err:
        vista.sign_on(ENV["ACCESS"], "NOT-THE-CODE-1!")
    assert err.value.cipher_table == cipher().name
    assert "NOT-THE-CODE" not in str(err.value)
