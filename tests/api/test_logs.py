"""The server's access log never carries query strings (they can hold names and dates)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from api.logs import ACCESS_LOGGER, DropQueryString


def test_access_log_records_lose_their_query_string() -> None:
    record = logging.LogRecord(
        ACCESS_LOGGER,
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", "/fhir/Patient?name=ZZDEMO&birthdate=1950-01-02", "1.1", 200),
        None,
    )
    assert DropQueryString().filter(record)
    text = record.getMessage()
    assert "ZZDEMO" not in text and "1950" not in text
    assert "/fhir/Patient?(query omitted)" in text


def test_the_app_installs_the_filter(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    assert any(isinstance(f, DropQueryString) for f in logging.getLogger(ACCESS_LOGGER).filters)
