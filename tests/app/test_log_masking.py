"""The log masker hides e-mail addresses and phone numbers where they are, and nothing else: an operator
must still read IP addresses, dates, UUIDs, Twilio SIDs and delivery ids to follow a delivery."""

from __future__ import annotations

import io
import json
import logging
import warnings

import pytest

from leadorch.app.observability.logging import configure_logging, mask

MASKED = [
    ("to +16195550142 now", "to [phone …42] now"),
    ("to +1 619 555 0142", "to [phone …42]"),
    ("to +44 20 7946 0958", "to [phone …58]"),
    ("call (619) 555-0142.", "call [phone …42]."),
    ("call 619-555-0142", "call [phone …42]"),
    ("call 619.555.0142", "call [phone …42]"),
    ("call 1-619-555-0142", "call [phone …42]"),
    ("To=%2B16195550142&Body=hi", "To=[phone …42]&Body=hi"),
    ('{"phone": "+16195550142"}', '{"phone": "[phone …42]"}'),
    ("from maya.ortega@example.com", "from m***@example.com"),
    ("key whsec_c2VjcmV0LXZhbHVl", "key [secret]"),
    ("Authorization: Bearer abc.def-ghi", "Authorization: [secret]"),
]

KEPT = [
    "client 192.168.100.200 connected",
    "peer 10.0.0.1:5432",
    "on 2026-12-03 at 09:15:00",
    "at 2026-12-03T09:15:00.123+00:00",
    "lead 8c2f1e4a-1234-5678-9012-345678901234",
    "lead 12345678-1234-5678-9012-345678901234",
    "message SM0123456789abcdef0123456789abcdef",
    "delivery req_2026120312345678",
    "delivery 61981434-5391-fa19-7fac-13e7aaaaaaaa",
    "unix time 1733212345, 1733212345.123",
    "order 619813fb2c9c3e8ce527be48",
    "took 1234567 ms, version 2.31.0-1",
    "postgresql://postgres@127.0.0.1:55408/postgres",
]


@pytest.mark.parametrize(("text", "expected"), MASKED)
def test_a_contact_detail_or_secret_is_masked_where_it_stands(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_ids_addresses_and_dates_an_operator_follows_are_left_alone(text: str) -> None:
    assert mask(text) == text


def test_start_up_warnings_are_json_lines_too() -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            logging.captureWarnings(False)  # as in a fresh process (pytest and earlier tests hook warnings)
            configure_logging("INFO", json_lines=True, stream=stream)
            warnings.warn("a deprecated setting for +16195550142", DeprecationWarning, stacklevel=1)
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        logging.captureWarnings(False)
    [entry] = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert entry["level"] == "warning"
    assert "a deprecated setting for [phone …42]" in entry["msg"]
