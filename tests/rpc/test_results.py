"""Typed result parsers: VistA's recorded answers parse; malformed text is a typed error that
names the RPC and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from rpc import results
from rpc.errors import ProtocolError
from rpc.protocol import decode_reply
from rpc.wire import ReturnType
from tests.conftest import shared_path


def lines(name: str) -> list[str]:
    raw = Path(shared_path("vista-lab", "golden", f"{name}.bin")).read_bytes()
    return decode_reply(raw).result(ReturnType.ARRAY).lines


def test_every_recorded_ddr_answer_parses() -> None:
    for name in ("45", "46", "47", "48", "49", "50", "51", "52"):
        path = next(Path(shared_path("vista-lab", "golden")).glob(f"{name}_*.bin"))
        results.parse_gets(lines(path.stem))
    for name in ("53", "54", "55", "56", "61"):
        path = next(Path(shared_path("vista-lab", "golden")).glob(f"{name}_*.bin"))
        results.parse_list(lines(path.stem))
    for name in ("57", "58", "59", "60"):
        path = next(Path(shared_path("vista-lab", "golden")).glob(f"{name}_*.bin"))
        results.parse_find1(lines(path.stem))


def test_unpacked_gets_keeps_external_and_internal_apart() -> None:
    got = results.parse_gets(lines("48_ddr_gets_allergy_3_unpacked"))
    field = got.value("2")
    assert (field.internal, field.external) == ("1", "NATIONAL ALLERGY")


def test_word_processing_lines_in_both_formats() -> None:
    packed = results.parse_gets(
        ["[Data]", "8994^10^1^[WORD PROCESSING]", "line one", "line two", "$$END$$"]
    )
    assert packed.value("1").word_processing == ("line one", "line two")
    unpacked = results.parse_gets(["[BEGIN_diDATA]", "8994^10^1^W^2", "a", "b", "[END_diDATA]"])
    assert unpacked.value("1").word_processing == ("a", "b")


def test_allergy_status_lines() -> None:
    assert results.parse_allergies(["^No Allergy Assessment"]).status == "not_assessed"
    assert results.parse_allergies(["^No Known Allergies"]).status == "no_known_allergies"
    with pytest.raises(ProtocolError):
        results.parse_allergies(["^Something else"])


@pytest.mark.parametrize(
    ("parser", "text"),
    [
        (results.parse_allergies, ["no carets"]),
        (results.parse_patient_list, ["X^NAME"]),
        (results.parse_gets, ["[Data]", "120.82^1"]),
        (results.parse_gets, ["stray"]),
        (results.parse_gets, ["[BEGIN_diDATA]", "120.82^1^.01^Q", "x", "[END_diDATA]"]),
        (results.parse_gets, ["[BEGIN_diDATA]", "120.82^1^.01^B", "only one"]),
        (results.parse_gets, ["[BEGIN_diERRORS]", "x^y", "[END_diERRORS]"]),
        (results.parse_list, ["[Misc]", "LESS"]),
        (results.parse_list, ["[BEGIN_diDATA]", "1^A"]),
        (results.parse_find1, ["abc"]),
        (results.parse_find1, ["3", "junk"]),
    ],
)
def test_malformed_answers_are_typed_errors_naming_the_line(
    parser: object, text: list[str]
) -> None:
    with pytest.raises(ProtocolError, match=r"line|row"):
        parser(text)  # type: ignore[operator]
