"""Verifying and reading ShopMonkey's order webhooks (Standard Webhooks signatures)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from tests.conftest import shared_fixtures_dir

from leadorch.adapters.shopmonkey_webhook import (
    WebhookPayloadError,
    WebhookSignatureError,
    parse_delivery,
    sign_delivery,
    verify_delivery,
)

FIXTURES = sorted(shared_fixtures_dir().glob("webhook-*.json"))
SECRET = "whsec_bGVhZG9yY2gtZml4dHVyZS1zZWNyZXQtMzItYnl0ZXMh"
OTHER_SECRET = "whsec_c29tZWJvZHktZWxzZXMtc2VjcmV0LWtleS0zMi1ieXRlcw=="
LEAD_FIXTURE = "webhook-order-insert-website-lead.json"


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((shared_fixtures_dir() / name).read_text())
    return loaded


def resigned(name: str, now: datetime) -> tuple[bytes, dict[str, str]]:
    """The fixture's exact body and headers, signed again at `now`."""
    loaded = fixture(name)
    headers = loaded["headers"]
    body = loaded["raw_body"].encode()
    return body, sign_delivery(
        loaded["secret"],
        body,
        msg_id=headers["webhook-id"],
        timestamp=now,
        request_id=headers["X-Request-Id"],
    )


def fixture_time(name: str) -> datetime:
    return datetime.fromtimestamp(int(fixture(name)["headers"]["webhook-timestamp"]), UTC)


def test_all_five_webhook_fixtures_are_present() -> None:
    assert len(FIXTURES) == 5
    assert [path.stem.split("-")[1] for path in FIXTURES] == ["appointment", *["order"] * 4]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_signing_reproduces_shopmonkeys_headers_byte_for_byte(path: Path) -> None:
    loaded = fixture(path.name)
    headers = loaded["headers"]

    signed = sign_delivery(
        loaded["secret"],
        loaded["raw_body"].encode(),
        msg_id=headers["webhook-id"],
        timestamp=fixture_time(path.name),
        request_id=headers["X-Request-Id"],
        attempt=int(headers["X-Attempt"]),
    )

    assert signed == headers
    assert list(signed) == list(headers)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_each_fixture_resigned_now_verifies_and_parses(path: Path) -> None:
    now = datetime.now(UTC)
    body, headers = resigned(path.name, now)

    verify_delivery(body, headers, SECRET)
    delivery = parse_delivery(body, headers)

    payload = json.loads(body)
    row = payload["data"]
    assert (delivery.table, delivery.api_version, delivery.attempt) == (payload["table"], "3", 1)
    assert delivery.request_id == fixture(path.name)["headers"]["X-Request-Id"]
    assert delivery.data == row
    if delivery.table == "order":
        assert delivery.order is not None
        assert (delivery.order.id, delivery.order.message_count) == (row["id"], row["messageCount"])
    else:  # an appointment row is no order
        assert (delivery.table, delivery.order) == ("appointment", None)


def test_the_website_lead_insert_reads_as_a_fresh_estimate() -> None:
    body, headers = resigned(LEAD_FIXTURE, datetime.now(UTC))

    delivery = parse_delivery(body, headers)

    assert (delivery.operation, delivery.diff) == ("INSERT", [])
    assert delivery.order is not None
    assert (delivery.order.status, delivery.order.workflow_status_id) == (
        "Estimate",
        "619813fb2c9c3e8ce527be48",
    )
    assert (delivery.order.message_count, delivery.order.appointment_dates) == (0, [])


@pytest.mark.parametrize(
    ("name", "diff"),
    [
        ("webhook-order-update-staff-messaged.json", ["messageCount", "updatedDate"]),
        (
            "webhook-order-update-appointment-set.json",
            ["appointmentDates", "workflowStatusId", "updatedDate"],
        ),
    ],
)
def test_an_update_says_which_fields_changed(name: str, diff: list[str]) -> None:
    body, headers = resigned(name, datetime.now(UTC))

    delivery = parse_delivery(body, headers)

    assert (delivery.operation, delivery.diff) == ("UPDATE", diff)


def test_a_fixture_verifies_at_its_own_time_when_given_a_clock() -> None:
    loaded = fixture(LEAD_FIXTURE)
    verify_delivery(loaded["raw_body"].encode(), loaded["headers"], SECRET, now=fixture_time(LEAD_FIXTURE))


def test_a_fixture_as_shipped_is_too_old_for_the_real_clock() -> None:
    loaded = fixture(LEAD_FIXTURE)
    with pytest.raises(WebhookSignatureError, match="s old"):
        verify_delivery(loaded["raw_body"].encode(), loaded["headers"], SECRET)


@pytest.mark.parametrize(
    ("offset", "complaint"),
    [(timedelta(minutes=6), "s old"), (-timedelta(minutes=6), "in the future")],
)
def test_timestamps_outside_the_tolerance_are_rejected(offset: timedelta, complaint: str) -> None:
    signed_at = datetime(2026, 11, 20, 17, 42, 5, tzinfo=UTC)
    body, headers = resigned(LEAD_FIXTURE, signed_at)

    with pytest.raises(WebhookSignatureError, match=complaint):
        verify_delivery(body, headers, SECRET, now=signed_at + offset)
    verify_delivery(body, headers, SECRET, now=signed_at + offset, tolerance=timedelta(minutes=7))


def test_a_different_secret_does_not_verify() -> None:
    body, headers = resigned(LEAD_FIXTURE, datetime.now(UTC))
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_delivery(body, headers, OTHER_SECRET)


def test_a_tampered_body_does_not_verify() -> None:
    body, headers = resigned(LEAD_FIXTURE, datetime.now(UTC))
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_delivery(body.replace(b'"messageCount":0', b'"messageCount":9'), headers, SECRET)


def test_a_signature_for_another_delivery_id_does_not_verify() -> None:
    body, headers = resigned(LEAD_FIXTURE, datetime.now(UTC))
    with pytest.raises(WebhookSignatureError, match="does not match"):
        verify_delivery(body, {**headers, "webhook-id": "msg_someone_else"}, SECRET)


def test_one_valid_signature_among_several_is_enough() -> None:
    """During a secret rotation the header carries one `v1,…` per secret, space separated."""
    body, headers = resigned(LEAD_FIXTURE, datetime.now(UTC))
    stale = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    rotated = {**headers, "webhook-signature": f"{stale} v2,garbage nonsense {headers['webhook-signature']}"}

    verify_delivery(body, rotated, SECRET)


@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_signature_header_is_named(header: str) -> None:
    body, headers = resigned(LEAD_FIXTURE, datetime.now(UTC))
    del headers[header]

    with pytest.raises(WebhookSignatureError, match=f"missing header.*{header}"):
        verify_delivery(body, headers, SECRET)


def test_a_timestamp_that_is_not_seconds_is_rejected() -> None:
    body, headers = resigned(LEAD_FIXTURE, datetime.now(UTC))
    with pytest.raises(WebhookSignatureError, match="not whole seconds"):
        verify_delivery(body, {**headers, "webhook-timestamp": "yesterday"}, SECRET)


def test_header_names_are_case_insensitive() -> None:
    body, headers = resigned(LEAD_FIXTURE, datetime.now(UTC))
    shouted = {name.upper(): value for name, value in headers.items()}

    verify_delivery(body, shouted, SECRET)
    assert parse_delivery(body, shouted).request_id == headers["X-Request-Id"]


def test_a_retry_carries_its_attempt_number() -> None:
    body = fixture(LEAD_FIXTURE)["raw_body"].encode()
    headers = sign_delivery(SECRET, body, msg_id="msg_retry", timestamp=datetime.now(UTC), attempt=3)

    delivery = parse_delivery(body, headers)

    assert (delivery.attempt, delivery.request_id, delivery.webhook_id) == (3, "req_retry", "msg_retry")


def headers_for(body: bytes) -> dict[str, str]:
    return sign_delivery(SECRET, body, msg_id="msg_test", timestamp=datetime.now(UTC))


def test_a_body_that_is_not_json_is_a_payload_error() -> None:
    body = b'{"apiVersion":"3","operation":"INSERT",'
    with pytest.raises(WebhookPayloadError, match="not valid JSON"):
        parse_delivery(body, headers_for(body))


@pytest.mark.parametrize("missing", ["data", "table", "operation", "apiVersion"])
def test_a_body_without_a_required_member_names_it(missing: str) -> None:
    document = json.loads(fixture(LEAD_FIXTURE)["raw_body"])
    del document[missing]
    body = json.dumps(document).encode()

    with pytest.raises(WebhookPayloadError, match=f"`{missing}`"):
        parse_delivery(body, headers_for(body))


def test_an_unknown_operation_is_a_payload_error() -> None:
    body = json.dumps({"apiVersion": "3", "operation": "MERGE", "table": "order", "data": {}}).encode()
    with pytest.raises(WebhookPayloadError, match="operation"):
        parse_delivery(body, headers_for(body))


def test_an_order_row_with_a_broken_field_names_it() -> None:
    document = json.loads(fixture(LEAD_FIXTURE)["raw_body"])
    document["data"]["messageCount"] = "none yet"
    body = json.dumps(document).encode()

    with pytest.raises(WebhookPayloadError, match=r"\$\.data\.messageCount"):
        parse_delivery(body, headers_for(body))


def test_staff_moving_our_appointment_reads_as_that_appointment_with_our_id() -> None:
    name = "webhook-appointment-update-moved-by-staff.json"
    body, headers = resigned(name, fixture_time(name))

    delivery = parse_delivery(body, headers)

    appointment = delivery.appointment
    assert (delivery.table, delivery.operation, delivery.order) == ("appointment", "UPDATE", None)
    assert appointment is not None
    assert (appointment.id, appointment.order_id) == ("66a2aa01b7e4d9a1c2f3f001", "66a1f0c2b7e4d9a1c2f3e401")
    assert (appointment.start, appointment.end) == (
        datetime(2026, 11, 25, 18, tzinfo=UTC),
        datetime(2026, 11, 25, 21, tzinfo=UTC),
    )
    assert appointment.our_id == "0d6f3c9e-2b5a-4d8e-9a61-3f7c2e1b8a40"
    assert appointment.updated_date == datetime(2026, 11, 22, 16, 20, tzinfo=UTC)
    assert (appointment.confirmation, appointment.cancelled) == ("no_response", False)
    assert delivery.diff == ["startDate", "endDate", "updatedDate"]


@pytest.mark.parametrize(
    ("changes", "confirmation", "cancelled"),
    [
        ({"confirmationStatus": "Confirmed", "confirmed": True}, "confirmed", False),
        ({"confirmationStatus": "Declined"}, "declined", False),
        ({"cancellationNote": "customer called to cancel"}, "no_response", True),
        ({"cancelationNote": "double booked"}, "no_response", True),
    ],
)
def test_an_appointment_row_says_whether_it_was_confirmed_declined_or_cancelled(
    changes: dict[str, Any], confirmation: str, cancelled: bool
) -> None:
    document = json.loads(fixture("webhook-appointment-update-moved-by-staff.json")["raw_body"])
    document["data"].update(changes)
    body = json.dumps(document).encode()

    appointment = parse_delivery(body, headers_for(body)).appointment

    assert appointment is not None
    assert (appointment.confirmation, appointment.cancelled) == (confirmation, cancelled)


def test_an_appointment_row_with_a_broken_field_names_it() -> None:
    document = json.loads(fixture("webhook-appointment-update-moved-by-staff.json")["raw_body"])
    document["data"]["startDate"] = "next tuesday"
    body = json.dumps(document).encode()

    with pytest.raises(WebhookPayloadError, match=r"appointment row .*\$\.data\.startDate"):
        parse_delivery(body, headers_for(body))


def test_another_table_parses_without_an_order() -> None:
    row = {"id": "66a1f0c1b7e4d9a1c2f3e3a9", "firstName": "Maya"}
    body = json.dumps(
        {"apiVersion": "3", "operation": "UPDATE", "table": "customer", "data": row, "diff": ["firstName"]}
    )

    delivery = parse_delivery(body.encode(), headers_for(body.encode()))

    assert (delivery.table, delivery.order, delivery.data, delivery.diff) == (
        "customer",
        None,
        row,
        ["firstName"],
    )


@pytest.mark.parametrize(
    ("header", "value", "complaint"),
    [
        ("X-Request-Id", None, "X-Request-Id"),
        ("X-Attempt", "first", "X-Attempt"),
        ("X-Attempt", "0", "X-Attempt"),
    ],
)
def test_bad_delivery_headers_are_named(header: str, value: str | None, complaint: str) -> None:
    body, headers = resigned(LEAD_FIXTURE, datetime.now(UTC))
    if value is None:
        del headers[header]
    else:
        headers[header] = value

    with pytest.raises(WebhookPayloadError, match=complaint):
        parse_delivery(body, headers)


def test_signing_refuses_a_naive_timestamp_and_a_bad_secret() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        sign_delivery(SECRET, b"{}", msg_id="msg_1", timestamp=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="whsec_"):
        sign_delivery("whsec_!!!not base64!!!", b"{}", msg_id="msg_1", timestamp=datetime.now(UTC))


GOOD_HEADERS = headers_for(b"{}")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)


@given(st.binary(max_size=300))
@example(b'{"data":' * 5000)
@example(b'{"apiVersion":"3","operation":"INSERT","table":"order","data":{"id":' + b"[" * 5000 + b"}}")
def test_arbitrary_bytes_only_ever_raise_a_payload_error(raw: bytes) -> None:
    try:
        delivery = parse_delivery(raw, GOOD_HEADERS)
    except WebhookPayloadError as error:
        assert error.reason
        return
    assert delivery.operation in ("INSERT", "UPDATE", "DELETE")


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "apiVersion": json_values,
            "operation": st.sampled_from(["INSERT", "UPDATE", "DELETE"]) | json_values,
            "table": st.sampled_from(["order", "customer"]) | json_values,
            "data": json_values,
            "diff": json_values,
        },
    )
)
def test_arbitrary_delivery_shaped_json_only_ever_raises_a_payload_error(document: dict[str, Any]) -> None:
    try:
        delivery = parse_delivery(json.dumps(document).encode(), GOOD_HEADERS)
    except WebhookPayloadError as error:
        assert error.reason
        return
    assert delivery.operation in ("INSERT", "UPDATE", "DELETE")
