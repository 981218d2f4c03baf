"""Numbers from a URL that M could not hold (1E99999999, 1E47) are refused with a 4xx (or, as a
search reference, simply match nothing), never turned into a huge string or a server error."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    "path",
    [
        "/fileman/files/1e99999999",
        "/fileman/files/1E47/entries",
        "/fileman/files/2/entries/1e99999999",
        "/fhir/Patient/1e99999999",
        "/fhir/Patient?_count=1e99999999",
    ],
)
def test_out_of_range_numbers_are_client_errors(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])
    assert len(response.content) < 4096


def test_an_out_of_range_patient_reference_matches_nothing(client: TestClient) -> None:
    response = client.get("/fhir/Observation?patient=1e99999999&category=vital-signs")
    assert response.status_code == 200
    assert response.json()["total"] == 0
