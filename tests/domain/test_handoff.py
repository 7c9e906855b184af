"""Handing a lead to the shop: the lead is the shop's and its cadence stops, in one command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from leadorch.domain.errors import IllegalTransition
from leadorch.domain.handoff import hand_to_shop
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.values import LeadStatus
from tests.support.leads import a_lead

AT = datetime(2025, 6, 10, 17, 0, tzinfo=UTC)
LATER = AT + timedelta(hours=1)


def a_lead_and_its_schedule() -> tuple[Lead, TouchPointSchedule]:
    builder = a_lead(order="order-1", location_id="loc-1", at=AT)
    lead = builder.registered()
    return lead, builder.schedule_of(lead)


def test_the_lead_becomes_the_shops_and_its_cadence_stops_with_the_reason() -> None:
    lead, schedule = a_lead_and_its_schedule()

    handed = hand_to_shop(lead, schedule, reason="staff messaged the customer", at=LATER)

    assert handed is True
    assert lead.status is LeadStatus.HANDLED_BY_SHOP
    assert schedule.is_stopped and schedule.next_due_at is None
    assert schedule.stop_reason == "handed to the shop: staff messaged the customer"


def test_a_lead_without_a_schedule_is_handed_over_all_the_same() -> None:
    lead, _ = a_lead_and_its_schedule()

    assert hand_to_shop(lead, None, reason="the order was deleted in the CRM", at=LATER) is True
    assert lead.status is LeadStatus.HANDLED_BY_SHOP


def test_handing_over_again_changes_nothing_and_says_so() -> None:
    lead, schedule = a_lead_and_its_schedule()
    hand_to_shop(lead, schedule, reason="staff messaged the customer", at=LATER)
    lead.collect_events()
    schedule.collect_events()

    assert hand_to_shop(lead, schedule, reason="again", at=LATER) is False
    assert lead.collect_events() == [] and schedule.collect_events() == []
    assert schedule.stop_reason == "handed to the shop: staff messaged the customer"


def test_a_lead_booked_through_the_assistant_is_refused_and_its_cadence_left_alone() -> None:
    lead, schedule = a_lead_and_its_schedule()
    lead.record_booking(appointment_id=uuid4(), at=AT)
    running = schedule.is_stopped

    with pytest.raises(IllegalTransition, match="booked through the assistant"):
        hand_to_shop(lead, schedule, reason="appointment set in the CRM", at=LATER)

    assert lead.status is LeadStatus.BOOKED
    assert schedule.is_stopped is running
