"""Both clients against the broker under test (the replay of VistA's recorded answers, and
whatever else tests/rpc/servers.py registers): sign-on, context, typed results, typed errors.

Against the replay every byte the clients send must equal a request VistA got (the server
closes on anything else and the fixture fails the test), so these tests also prove the
request bytes."""

from __future__ import annotations

from typing import Any

import pytest

from rpc import results
from rpc.errors import (
    ContextError,
    FileManDBSError,
    LockedOutError,
    RPCMError,
    RPCSecurityError,
    SignOnError,
)
from rpc.protocol import ListParam
from tests.rpc.conftest import FaceFactory
from tests.rpc.replay import load_check
from tests.rpc.servers import BrokerServer

ACCESS, VERIFY = "LABUSER1", "LABUSER1!!"
CPRS = "OR CPRS GUI CHART"


def greeting() -> str:
    return "Good " + load_check().greeting_now().decode().strip() + " LABUSER,ONE"


def served(server: BrokerServer) -> list[str] | None:
    return list(server.replay.served) if server.replay is not None else None


def test_sign_on_reads_setup_intro_user_and_creates_context(
    face: FaceFactory, broker_server: BrokerServer
) -> None:
    vista = face()
    signed = vista.sign_on(ACCESS, VERIFY, context=CPRS, intro=True)
    assert signed.duz == 90001
    assert signed.setup.volume == "ROU" and signed.setup.uci == "VAH"
    assert signed.setup.attempts == 5 and not signed.setup.production
    assert signed.setup.domain == "VISTA-SILVER.VISTACORE.US"
    assert signed.intro is not None and any("VEHU" in line for line in signed.intro)
    assert signed.messages == (greeting(),)
    user = signed.user
    assert user is not None
    assert (user.duz, user.name, user.standard_name) == (90001, "LABUSER,ONE", "One Labuser")
    assert (user.division_ien, user.division_name, user.division_station) == (
        "500",
        "CAMP MASTER",
        "500",
    )
    assert user.dtime == 4000 and user.authentication == "AVCODES"
    assert signed.context == CPRS
    vista.keep_alive()
    vista.close()
    assert served(broker_server) in (
        None,
        [
            "01_tcpconnect",
            "02_xus_signon_setup",
            "03_xus_intro_msg",
            "04_xus_av_code_ok",
            "05_xus_get_user_info",
            "06_xwb_create_context_cprs",
            "07_xwb_im_here",
            "12_bye",
        ],
    )


def signed_on(face: FaceFactory, **options: Any) -> Any:
    vista = face()
    vista.sign_on(ACCESS, VERIFY, context=CPRS, intro=True, **options)
    return vista


def test_allergies_of_dfn_1_are_typed_rows(face: FaceFactory) -> None:
    vista = signed_on(face)
    allergies = results.parse_allergies(vista.call("ORQQAL LIST", "1").lines)
    assert allergies.status == "allergies"
    assert len(allergies.rows) == 9
    first, cyclo = allergies.rows[0], allergies.rows[2]
    assert (first.ien, first.allergen) == ("1", "MILK, ICE CREAM, YOGURT ( FREE TEXT )")
    assert first.reactions == ()
    assert cyclo.allergen == " [CYCLOPHOSPHAMIDE]"
    assert cyclo.reactions == ("HIVES", "ITCHING,WATERING EYES", "DRY MOUTH")


def test_patient_list_and_select(face: FaceFactory) -> None:
    vista = signed_on(face)
    patients = results.parse_patient_list(vista.call("ORWPT LIST ALL", "A", "1").lines)
    assert [(p.dfn, p.name) for p in patients] == [
        ("1", "LABPATIENT,ONE"),
        ("3", "LABPATIENT,THREE"),
        ("2", "LABPATIENT,TWO"),
    ]
    selected = vista.call("ORWPT SELECT", "1").value.split("^")
    assert selected[:4] == ["LABPATIENT,ONE", "M", "2450101", "000000001"]


def test_m_error_inside_an_rpc_is_typed(face: FaceFactory) -> None:
    vista = signed_on(face)
    with pytest.raises(RPCMError) as err:
        vista.call("XWB IM HERE", "1", "2", "3")
    assert err.value.text.startswith(
        "M  ERROR=IMHERE^XWBLIB, More actual parameters than formal parameters"
    )
    assert "LAST REF" not in str(err.value)
    vista.keep_alive()  # the connection goes on, as VistA's RESTART^XWBTCPM does


def test_unknown_rpc_is_a_security_packet(face: FaceFactory) -> None:
    vista = signed_on(face)
    with pytest.raises(RPCSecurityError, match="doesn't exist on the server"):
        vista.call("ZZ NO SUCH RPC")


def test_denied_and_unknown_contexts_are_context_errors(
    face: FaceFactory, broker_server: BrokerServer
) -> None:
    vista = signed_on(face)
    with pytest.raises(ContextError) as denied:
        vista.create_context("XUS SIGNON")
    assert denied.value.text == "User LABUSER,ONE does not have access to option XUS SIGNON"
    with pytest.raises(ContextError) as unknown:
        vista.create_context("OR BOGUS")
    assert unknown.value.text == "The context 'OR BOGUS' does not exist on server."
    vista.close()
    names = served(broker_server)
    assert names is None or names[-3:] == [
        "10_xwb_create_context_denied",
        "11_xwb_create_context_unknown",
        "12_bye",
    ]


def test_wrong_verify_code_then_user_info_before_sign_on(face: FaceFactory) -> None:
    vista = face()
    with pytest.raises(SignOnError) as err:
        vista.sign_on(ACCESS, "WRONG!!")
    assert err.value.text == "Not a valid ACCESS CODE/VERIFY CODE pair."
    assert err.value.cipher_table == "va"
    assert "WRONG" not in str(err.value) and ACCESS not in str(err.value)
    with pytest.raises(RPCSecurityError, match="User not fully sign-on"):
        vista.user_info()


def test_five_bad_codes_lock_the_device_and_right_codes_report_attempts(
    face: FaceFactory,
) -> None:
    vista = face()
    vista.signon_setup()
    for attempt in range(1, 7):
        expected = SignOnError if attempt < 5 else LockedOutError
        with pytest.raises(expected) as err:
            vista.authenticate(ACCESS, f"BAD{attempt}")
        assert type(err.value) is expected
    duz, messages = vista.authenticate(ACCESS, VERIFY)
    assert duz == 90001
    assert messages[-1] == "There were 6 unsuccessful attempts since you last signed on."


def fileman(face: FaceFactory) -> Any:
    vista = face()
    vista.sign_on(ACCESS, VERIFY, context=CPRS, user_info=False)
    return vista


def ddr(**kw: str) -> ListParam:
    return ListParam(tuple(kw.items()))


def test_ddr_gets_entry_data_packed_and_unpacked(face: FaceFactory) -> None:
    vista = fileman(face)
    gets = "DDR GETS ENTRY DATA"
    one = results.parse_gets(
        vista.call(gets, ddr(FILE="120.82", IENS="1,", FIELDS="*", FLAGS="IE")).lines
    )
    assert one.value(".01").external == "OTHER ALLERGY/ADVERSE REACTION"
    assert (one.value("1").internal, one.value("1").external) == ("O", "OTHER")
    three = results.parse_gets(
        vista.call(gets, ddr(FILE="120.82", IENS="3,", FIELDS="*", FLAGS="IE", OPTIONS="U")).lines
    )
    assert (three.value("1").internal, three.value("1").external) == ("DF", "DRUG, FOOD")
    assert three.value("99.99").internal == "4636681"
    rpc = results.parse_gets(
        vista.call(gets, ddr(FILE="8994", IENS="10,", FIELDS="*", FLAGS="IE")).lines
    )
    assert rpc.value(".04").external == "GLOBAL ARRAY"
    assert rpc.value("1").word_processing == ()
    user = results.parse_gets(
        vista.call(gets, ddr(FILE="200", IENS="90001,", FIELDS=".01;1;201", FLAGS="IE")).lines
    )
    assert user.value("201").external == CPRS


def test_ddr_gets_on_a_missing_entry_gives_fileman_errors(face: FaceFactory) -> None:
    vista = fileman(face)
    gets = "DDR GETS ENTRY DATA"
    packed = results.parse_gets(
        vista.call(gets, ddr(FILE="120.82", IENS="999999,", FIELDS="*", FLAGS="IE")).lines
    )
    assert packed.failed and packed.fields == ()
    with pytest.raises(FileManDBSError):
        packed.raise_for_errors()
    unpacked = results.parse_gets(
        vista.call(
            gets, ddr(FILE="120.82", IENS="999999,", FIELDS="*", FLAGS="IE", OPTIONS="U")
        ).lines
    )
    (error,) = unpacked.errors
    assert (error.code, error.text) == (601, ("The entry does not exist.",))
    with pytest.raises(FileManDBSError) as err:
        unpacked.raise_for_errors()
    assert err.value.codes == (601,)


def test_ddr_lister_pages_with_more_marker(face: FaceFactory) -> None:
    vista = fileman(face)
    lister = "DDR LISTER"
    first = results.parse_list(
        vista.call(
            lister, ddr(FILE="120.82", FIELDS="@;.01;1", FLAGS="IP", MAX="10", XREF="B")
        ).lines
    )
    assert len(first.rows) == 10 and first.more == ("ANCHOVIES", "")
    assert first.rows[0] == results.ListRow("732", ("ABALONE", "DF"))
    page = results.parse_list(
        vista.call(
            lister,
            ddr(FILE="120.82", FIELDS="@;.01;1", FLAGS="IP", MAX="5", XREF="B", FROM="PEANUT"),
        ).lines
    )
    assert [r.values[0] for r in page.rows][:2] == ["PEANUT BUTTER", "PEANUT OIL"]
    part = results.parse_list(
        vista.call(
            lister,
            ddr(FILE="120.82", FIELDS="@;.01;1", FLAGS="IP", MAX="10", XREF="B", PART="PEN"),
        ).lines
    )
    assert part.rows == (results.ListRow("125", ("PENICILLIN", "D")),) and part.more is None
    external = results.parse_list(
        vista.call(
            lister,
            ddr(FILE="120.82", FIELDS="@;.01;1", FLAGS="P", MAX="5", XREF="B", PART="CHOC"),
        ).lines
    )
    assert external.rows == (results.ListRow("3", ("CHOCOLATE", "DRUG, FOOD")),)


def test_ddr_find1_and_finder(face: FaceFactory) -> None:
    vista = fileman(face)
    find1 = "DDR FIND1"
    exact = vista.call(find1, ddr(FILE="120.82", FLAGS="X", VALUE="CHOCOLATE", XREF="B"))
    assert results.parse_find1(exact.lines).ien == "3"
    none = vista.call(find1, ddr(FILE="120.82", FLAGS="X", VALUE="NO SUCH ALLERGY", XREF="B"))
    assert results.parse_find1(none.lines) == results.Find1Result(None)
    ambiguous = results.parse_find1(
        vista.call(find1, ddr(FILE="120.82", VALUE="PEA", XREF="B")).lines
    )
    (error,) = ambiguous.errors
    assert error.code == 299 and error.params == {"1": "PEA", "FILE": "120.82"}
    assert error.text == ("More than one entry matches the value(s) 'PEA'.",)
    user = vista.call(find1, ddr(FILE="200", FLAGS="X", VALUE="LABUSER,ONE", XREF="B"))
    assert results.parse_find1(user.lines).ien == "90001"
    finder = vista.call(
        "DDR FINDER",
        ddr(FILE="120.82", FIELDS="@;.01", FLAGS="P", VALUE="CHOC", XREF="B", MAX="10"),
    )
    assert results.parse_list(finder.lines, "DDR FINDER").rows == (
        results.ListRow("3", ("CHOCOLATE",)),
    )


def test_clinical_session_reads_patients_allergies_and_empty_vitals(face: FaceFactory) -> None:
    vista = fileman(face)
    reverse = results.parse_patient_list(vista.call("ORWPT LIST ALL", "M", "-1").lines)
    assert [p.dfn for p in reverse] == ["2", "3", "1"]
    assert vista.call("ORWPT SELECT", "999").value == "-1^^^^^Patient is unknown to CPRS."
    assert vista.call("ORWPT ID INFO", "1").value.startswith("*SENSITIVE*^*SENSITIVE*^M")
    allergies = results.parse_allergies(vista.call("ORQQAL LIST", "3").lines)
    assert [r.ien for r in allergies.rows] == ["751", "874", "986"]
    assert vista.call("ORQQVI VITALS", "1", "3000101", "3261231").lines == []


def test_a_zero_timeout_sends_nothing_and_keeps_the_connection(face: FaceFactory) -> None:
    from rpc.errors import BrokerTimeoutError

    vista = signed_on(face)
    with pytest.raises(BrokerTimeoutError):
        vista.call("XWB IM HERE", timeout=0)
    assert not vista.broken
    vista.keep_alive()
