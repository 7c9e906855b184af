"""The website-lead rule: nine criteria, each able to reject an order on its own, all reported together."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from leadorch.domain.errors import InvalidValue
from leadorch.domain.website_lead import (
    Criterion,
    OrderSnapshot,
    WebsiteLeadCriteria,
    evaluate,
    shop_takeover_reason,
)

CRITERIA = WebsiteLeadCriteria(
    workflow_status_ids=frozenset({"wf-website"}), location_ids=frozenset({"loc-1"})
)

QUOTE = OrderSnapshot(
    order_id="order-1",
    location_id="loc-1",
    workflow_status_id="wf-website",
    status="Estimate",
    authorized=False,
    message_count=0,
    name="New Quote Request - 2021 Camry",
    appointment_dates=(),
    invoiced=False,
    paid=False,
)

ONE_FAILURE_EACH: list[tuple[Criterion, dict[str, Any], str]] = [
    (Criterion.WORKFLOW_STATUS, {"workflow_status_id": "wf-walk-in"}, "workflow status 'wf-walk-in'"),
    (Criterion.ESTIMATE, {"status": "RepairOrder"}, "status is 'RepairOrder', not 'Estimate'"),
    (Criterion.NOT_AUTHORIZED, {"authorized": True}, "already authorized"),
    (Criterion.NO_MESSAGES, {"message_count": 2}, "exchanged 2 message"),
    (Criterion.QUOTE_NAME, {"name": "Tint for Bob"}, "'Tint for Bob' does not start with 'New Quote'"),
    (
        Criterion.NO_APPOINTMENT,
        {"appointment_dates": (datetime(2025, 7, 1, tzinfo=UTC),)},
        "has an appointment",
    ),
    (Criterion.NOT_INVOICED, {"invoiced": True}, "invoiced"),
    (Criterion.NOT_PAID, {"paid": True}, "paid"),
    (Criterion.KNOWN_LOCATION, {"location_id": "loc-9"}, "location 'loc-9' is not a configured location"),
]


def test_a_fresh_website_quote_is_accepted() -> None:
    verdict = evaluate(QUOTE, CRITERIA)
    assert verdict.accepted and verdict.reasons == () and verdict.failed == ()


@pytest.mark.parametrize(
    ("criterion", "change", "reason"), ONE_FAILURE_EACH, ids=[c for c, _, _ in ONE_FAILURE_EACH]
)
def test_each_criterion_rejects_on_its_own(criterion: Criterion, change: dict[str, Any], reason: str) -> None:
    verdict = evaluate(replace(QUOTE, **change), CRITERIA)
    assert not verdict.accepted
    assert verdict.failed == (criterion,)
    assert len(verdict.reasons) == 1 and reason in verdict.reasons[0]


def test_every_failing_reason_is_reported_together() -> None:
    everything_wrong = QUOTE
    for _, change, _ in ONE_FAILURE_EACH:
        everything_wrong = replace(everything_wrong, **change)
    verdict = evaluate(everything_wrong, CRITERIA)
    assert not verdict.accepted
    assert verdict.failed == tuple(c for c, _, _ in ONE_FAILURE_EACH)
    assert len(verdict.reasons) == 9


def test_the_quote_name_is_matched_ignoring_case_and_leading_spaces() -> None:
    assert evaluate(replace(QUOTE, name="  new quote request"), CRITERIA).accepted


def test_the_workflow_statuses_and_locations_come_from_the_tenants_configuration() -> None:
    other_tenant = WebsiteLeadCriteria(workflow_status_ids={"wf-web-2"}, location_ids={"loc-1"})  # type: ignore[arg-type]
    assert evaluate(replace(QUOTE, workflow_status_id="wf-web-2"), other_tenant).accepted
    assert not evaluate(QUOTE, other_tenant).accepted
    with pytest.raises(InvalidValue, match="not the single string 'loc-1'"):
        WebsiteLeadCriteria(workflow_status_ids=frozenset(), location_ids="loc-1")  # type: ignore[arg-type]


def test_a_missing_workflow_status_is_not_a_website_lead() -> None:
    assert evaluate(replace(QUOTE, workflow_status_id=None), CRITERIA).failed == (Criterion.WORKFLOW_STATUS,)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"message_count": 1}, "shop staff messaged the customer"),
        ({"appointment_dates": (datetime(2025, 7, 1, tzinfo=UTC),)}, "appointment was set"),
        ({"authorized": True}, "authorized"),
        ({"invoiced": True}, "invoiced"),
        ({"paid": True}, "paid"),
    ],
)
def test_shop_takeover_is_detected_from_staff_activity(change: dict[str, Any], reason: str) -> None:
    found = shop_takeover_reason(replace(QUOTE, **change))
    assert found is not None and reason in found


def test_an_untouched_order_is_not_taken_over() -> None:
    assert shop_takeover_reason(QUOTE) is None
    assert shop_takeover_reason(replace(QUOTE, name="Renamed", status="Estimate")) is None


def test_malformed_snapshots_are_refused() -> None:
    with pytest.raises(InvalidValue, match="message_count must be a count"):
        replace(QUOTE, message_count=-1)
    with pytest.raises(InvalidValue, match="appointment_dates must be a sequence"):
        replace(QUOTE, appointment_dates="2025-07-01")
    assert replace(QUOTE, appointment_dates=[]).appointment_dates == ()  # type: ignore[arg-type]
