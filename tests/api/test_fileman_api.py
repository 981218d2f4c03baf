"""FileMan REST over the demo VistA: files, dictionaries, listing, "B" search with cursors,
entries in each format, subfile entries, pointer links, and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from bridge.facade import Bridge
from tests.api.conftest import DEMO_PATIENTS, AuditFile


def get(client: TestClient, path: str, status: int = 200) -> Any:
    r = client.get(path)
    assert r.status_code == status, r.text
    return r.json()


def test_files_lists_top_level_files_with_links(client: TestClient) -> None:
    files = {f["number"]: f for f in get(client, "/fileman/files")["files"]}
    assert files["2"]["name"] == "PATIENT" and files["2"]["global_root"] == "^DPT("
    assert files["120.5"]["href"] == "/fileman/files/120.5"
    assert "120.81" not in files  # a subfile


def test_dictionary_shows_types_storage_codes_and_pointers(client: TestClient) -> None:
    dd = get(client, "/fileman/files/2")
    fields = {f["number"]: f for f in dd["fields"]}
    assert fields[".01"]["label"] == "NAME" and fields[".01"]["storage"] == "0;1"
    assert fields[".02"]["codes"] == {"M": "MALE", "F": "FEMALE"}
    assert "B" in dd["indexes"]
    allergy = {f["number"]: f for f in get(client, "/fileman/files/120.8")["fields"]}
    assert allergy[".01"]["pointer_file"] == "2"
    assert allergy["10"]["subfile_href"] == "/fileman/files/120.81"


def test_listing_pages_with_cursors_in_ien_order(client: TestClient) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        q = "/fileman/files/2/entries?limit=5" + (f"&cursor={cursor}" if cursor else "")
        page = get(client, q)
        seen += [e["ien"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [str(i) for i in range(1, DEMO_PATIENTS + 1)]


def test_b_index_search_by_prefix_with_cursor(client: TestClient, demo_bridge: Bridge) -> None:
    name = demo_bridge.clinical.get_patient("5").name
    hits = get(client, f"/fileman/files/2/entries?name={name}")["entries"]
    assert [h["ien"] for h in hits] == ["5"]
    first = get(client, "/fileman/files/2/entries?name=ZZDEMO,PATIENT T&limit=2")
    names = [e["name"] for e in first["entries"]]
    assert names == sorted(names) and all(n.startswith("ZZDEMO,PATIENT T") for n in names)
    rest = get(
        client, f"/fileman/files/2/entries?name=ZZDEMO,PATIENT T&cursor={first['next_cursor']}"
    )
    more = [e["name"] for e in rest["entries"]]
    assert more and set(more).isdisjoint(names) and rest["next_cursor"] is None
    assert get(client, "/fileman/files/2/entries?name=NOBODY")["entries"] == []


@pytest.mark.parametrize("fmt", ["internal", "external", "both"])
def test_entry_formats(client: TestClient, fmt: str) -> None:
    e = get(client, f"/fileman/files/2/entries/3?format={fmt}")
    sex = e["fields"][".02"]
    assert ("internal" in sex) == (fmt in ("internal", "both"))
    assert ("external" in sex) == (fmt in ("external", "both"))
    if fmt == "both":
        assert sex["external"] == {"M": "MALE", "F": "FEMALE"}[sex["internal"]]


def test_pointers_are_links_and_subfile_entries_are_reachable(client: TestClient) -> None:
    allergy = get(client, "/fileman/files/120.8/entries/1?format=both")
    assert allergy["fields"][".01"]["link"].startswith("/fileman/files/2/entries/")
    reactions = allergy["fields"]["10"]
    sub = reactions["entries"][0]
    assert sub["iens"] == "1,1,"
    again = get(client, sub["href"] + "?format=both")
    assert again["file"] == "120.81" and again["fields"] == sub["fields"]
    target = get(client, sub["fields"][".01"]["link"])
    assert target["file"] == "120.83"


def test_reading_a_patients_record_in_another_file_audits_the_patient(
    client: TestClient, audit_file: AuditFile
) -> None:
    body = get(client, "/fileman/files/120.8/entries/1")
    dfn = body["fields"][".01"]["link"].rsplit("/", 1)[-1]
    assert audit_file.records()[-1]["patient_id"] == dfn


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/fileman/files/abc", 400, "file number"),
        ("/fileman/files/1.2.3", 400, "file number"),
        ("/fileman/files/77777", 404, ""),
        ("/fileman/files/2/entries/99999", 404, "no entry"),
        ("/fileman/files/2/entries/0", 400, "IEN"),
        ("/fileman/files/2/entries/1,1,", 400, "level"),
        ("/fileman/files/120.81/entries/1", 400, "level"),
        ("/fileman/files/2/entries?cursor=abc", 400, "cursor"),
        ("/fileman/files/2/entries?name=ZZ&cursor=garbage", 400, "cursor"),
        ("/fileman/files/2/entries?limit=0", 400, "limit"),
        ("/fileman/files/2/entries/1?format=raw", 400, "format"),
        ("/fileman/files/120.81/entries", 400, "subfile"),
        ("/fileman/files/120.81/entries?parent=1,1,", 400, "level"),
        ("/fileman/files/2/entries?parent=1", 400, "top-level"),
    ],
)
def test_bad_input_is_a_problem_json_400_or_404(
    client: TestClient, path: str, status: int, words: str
) -> None:
    r = client.get(path)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and words in body["detail"]


def test_subfile_entries_are_listed_under_their_parent(client: TestClient) -> None:
    allergy = get(client, "/fileman/files/120.8/entries/1")
    inline = [e["iens"] for e in allergy["fields"]["10"]["entries"]]
    listed = get(client, "/fileman/files/120.81/entries?parent=1&limit=1")
    assert listed["entries"][0]["href"] == f"/fileman/files/120.81/entries/{inline[0]}"
    seen = [e["href"].rsplit("/", 1)[-1] for e in listed["entries"]]
    cursor = listed["next_cursor"]
    while cursor:
        page = get(client, f"/fileman/files/120.81/entries?parent=1&limit=1&cursor={cursor}")
        seen += [e["href"].rsplit("/", 1)[-1] for e in page["entries"]]
        cursor = page["next_cursor"]
    assert seen == inline
    reaction = get(client, listed["entries"][0]["href"])
    assert reaction["file"] == "120.81"
