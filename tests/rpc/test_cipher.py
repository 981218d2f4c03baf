"""The Kernel cipher (XUSRB1): both shipped tables, ENCRYP's row choice, round trips, and the
bytes VistA's broker was sent in the recorded conversations."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rpc import cipher
from rpc.errors import CipherError
from tests.conftest import shared_path


class Sequence:
    """An injectable row chooser returning scripted ``$R(20)`` values."""

    def __init__(self, *values: int) -> None:
        self.values = list(values)

    def randrange(self, stop: int, /) -> int:
        assert stop == 20
        return self.values.pop(0)


printable = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)


def test_both_tables_ship_with_their_first_rows() -> None:
    assert cipher.get_table("va").rows[0].startswith("wkEo-ZJt")
    assert cipher.get_table("worldvista").rows[0].startswith("VEB_0|=f3Y")
    assert cipher.get_table().name == "va"


def test_unknown_table_names_the_choices() -> None:
    with pytest.raises(CipherError, match="va, worldvista"):
        cipher.get_table("nope")


@pytest.mark.parametrize("name", ["va", "worldvista"])
@given(text=printable)
def test_encrypt_then_decrypt_round_trips(name: str, text: str) -> None:
    table = cipher.get_table(name)
    assert table.decrypt(table.encrypt(text)) == text


@pytest.mark.parametrize("name", ["va", "worldvista"])
@given(text=printable, ident=st.integers(1, 20), assoc=st.integers(1, 20))
def test_decrypt_then_encrypt_with_same_rows_round_trips(
    name: str, text: str, ident: int, assoc: int
) -> None:
    table = cipher.get_table(name)
    wire = table.encrypt_with_rows(text, ident, assoc)
    assert table.encrypt_with_rows(table.decrypt(wire), ident, assoc) == wire


def test_encryp_picks_associator_first_then_a_different_identifier() -> None:
    table = cipher.get_table()
    # $R(20) -> 1 (associator row 2), then 1 again (same: retried), then 0 (identifier row 1)
    out = table.encrypt("X", Sequence(1, 1, 0))
    assert out[0] == chr(1 + 31) and out[-1] == chr(2 + 31)


def test_random_rows_cover_all_twenty_and_never_coincide() -> None:
    table = cipher.get_table()
    idents: Counter[int] = Counter()
    for _ in range(2000):
        out = table.encrypt("LABUSER1;LABUSER1!!")
        ident, assoc = ord(out[0]) - 31, ord(out[-1]) - 31
        assert ident != assoc
        idents[ident] += 1
    assert set(idents) == set(range(1, 21))


def test_broken_row_chooser_is_refused() -> None:
    class Stuck:
        def randrange(self, stop: int, /) -> int:
            return 3

    with pytest.raises(CipherError):
        cipher.get_table().encrypt("x", Stuck())
    with pytest.raises(CipherError):
        cipher.get_table().encrypt("x", Sequence(25, 0))


def test_characters_outside_the_table_pass_through_like_tr() -> None:
    table = cipher.get_table()
    out = table.encrypt_with_rows("a^b", 1, 2)
    assert out[2] == "^"
    assert table.decrypt(out) == "a^b"


def test_short_text_decrypts_to_empty_like_decryp() -> None:
    assert cipher.get_table().decrypt("!!") == ""


@pytest.mark.shared
def test_rows_one_and_two_give_the_recorded_av_code_bytes() -> None:
    req = Path(shared_path("vista-lab", "golden", "04_xus_av_code_ok.req")).read_bytes()
    sent = cipher.get_table("va").encrypt_with_rows("LABUSER1;LABUSER1!!", 1, 2)
    assert sent.encode("ascii") in req
    assert cipher.get_table("worldvista").encrypt_with_rows("LABUSER1;LABUSER1!!", 1, 2) != sent


def test_a_site_loads_its_own_table_from_json_text_or_routine(tmp_path: Path) -> None:
    rows = list(reversed(cipher.get_table("worldvista").rows))
    as_json = tmp_path / "site.json"
    as_json.write_text(json.dumps(rows))
    assert cipher.load_table(as_json).rows == tuple(rows)
    as_text = tmp_path / "site.txt"
    as_text.write_text("\n".join(rows) + "\n")
    assert cipher.load_table(as_text, "mine").name == "mine"
    routine = tmp_path / "XUSRB1.m"
    routine.write_text(
        "XUSRB1 ;site\n ;;8.0;KERNEL;;\n Q\nZ ;;\n" + "".join(f" ;;{r}\n" for r in rows)
    )
    assert cipher.load_table(routine).rows == tuple(rows)


@pytest.mark.parametrize(
    "content",
    ["[1, 2]", "not json [", "abc\n", "\n".join(["x" * 94] * 20)],
)
def test_bad_site_tables_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(content)
    with pytest.raises(CipherError):
        cipher.load_table(path)


def test_missing_table_file_is_a_cipher_error(tmp_path: Path) -> None:
    with pytest.raises(CipherError, match="cannot read"):
        cipher.load_table(tmp_path / "absent.json")
