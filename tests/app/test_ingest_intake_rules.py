"""The order-intake record: each order version is decided once, older versions never act, and the
consent rule for a new lead's channels. Pure domain rules (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from eventsourcing.persistence import Mapper

from leadorch.app.eventstore.codec import MsgspecTranscoder
from leadorch.domain.errors import IllegalTransition, InvalidValue
from leadorch.domain.intake import (
    IntakeOutcome,
    IntakeSource,
    OrderIntake,
    OrderVersion,
    contact_consent,
    intake_id,
)

AT = datetime(2026, 11, 20, 17, 45, tzinfo=UTC)
V1 = datetime(2026, 11, 20, 17, 42, 5, 118000, tzinfo=UTC)
V2 = V1 + timedelta(minutes=20)


def version(updated: datetime, source: IntakeSource = IntakeSource.WEBHOOK) -> OrderVersion:
    return OrderVersion(order_id="o-1", location_id="loc-crm", updated_date=updated, source=source)


def fresh() -> OrderIntake:
    return OrderIntake.open(tenant_id="tint", order_id="o-1", at=AT)


def test_the_intake_id_is_deterministic_per_tenant_and_order() -> None:
    assert intake_id("tint", "o-1") == intake_id("tint", "o-1")
    assert intake_id("tint", "o-1") != intake_id("other", "o-1")
    assert intake_id("a:b", "c") != intake_id("a", "b:c")
    with pytest.raises(InvalidValue, match="crm_order_id"):
        intake_id("tint", " ")


def test_a_version_is_decided_once() -> None:
    intake = fresh()
    intake.record_rejected(version(V1), reasons=["status is 'RepairOrder', not 'Estimate'"], at=AT)
    assert intake.has_seen(V1)
    assert intake.outcome_of(V1) is IntakeOutcome.REJECTED
    with pytest.raises(IllegalTransition, match="already rejected"):
        intake.record_rejected(version(V1, IntakeSource.POLL), reasons=["again"], at=AT)


def test_an_older_version_is_superseded_by_a_newer_one() -> None:
    intake = fresh()
    intake.record_lead_created(version(V2), lead_id="lead-1", at=AT)
    assert intake.is_superseded(V1)
    assert not intake.is_superseded(V2)
    intake.record_superseded(version(V1), by=V2, at=AT)
    assert intake.outcome_of(V1) is IntakeOutcome.SUPERSEDED
    assert intake.latest_updated_date == V2  # noting an old version never moves the latest back


def test_only_an_order_that_made_a_lead_can_hand_it_over_or_update_it() -> None:
    intake = fresh()
    with pytest.raises(IllegalTransition, match="never made a lead"):
        intake.record_handed_to_shop(version(V1), reason="staff messaged", at=AT)
    intake.record_lead_created(version(V1), lead_id="lead-1", at=AT)
    with pytest.raises(IllegalTransition, match="already made lead lead-1"):
        intake.record_lead_created(version(V2), lead_id="lead-2", at=AT)
    intake.record_handed_to_shop(version(V2), reason="staff messaged the customer", at=AT)
    assert intake.lead_id == "lead-1"
    assert intake.outcome_of(V2) is IntakeOutcome.HANDED_TO_SHOP


def test_a_rejection_needs_its_reasons() -> None:
    with pytest.raises(InvalidValue, match="at least one reason"):
        fresh().record_rejected(version(V1), reasons=[], at=AT)


def test_a_deletion_is_recorded_once_even_for_a_seen_version() -> None:
    intake = fresh()
    intake.record_lead_created(version(V1), lead_id="lead-1", at=AT)
    intake.record_deleted(version(V1), reason="the order was deleted in the CRM", at=AT)
    assert intake.deleted
    with pytest.raises(IllegalTransition, match="deleted again"):
        intake.record_deleted(version(V1), reason="the order was deleted in the CRM", at=AT)


def test_every_decision_survives_the_store_codec_and_replays_to_the_same_state() -> None:
    intake = fresh()
    intake.record_rejected(version(V1), reasons=["the order is paid"], at=AT)
    intake.record_lead_created(version(V2, IntakeSource.FETCH), lead_id="lead-1", at=AT)
    events = intake.collect_events()
    mapper: Mapper = Mapper(transcoder=MsgspecTranscoder())
    replayed = None
    for event in events:
        round_tripped = mapper.to_domain_event(mapper.to_stored_event(event))
        assert round_tripped == event
        replayed = round_tripped.mutate(replayed)
    assert isinstance(replayed, OrderIntake)
    assert replayed.versions == intake.versions
    assert replayed.lead_id == "lead-1"
    seen = events[-1]
    assert type(seen).__qualname__ == "OrderIntake.OrderVersionSeen"
    assert (seen.source, seen.accepted, seen.outcome) == ("fetch", True, "lead_created")


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({}, (True, True)),
        ({"email_subscribed": False}, (False, True)),
        ({"sms_subscribed": False}, (True, False)),
        ({"phone": None}, (True, False)),
        ({"preferred_contact_method": "Email"}, (True, False)),
        ({"preferred_contact_method": "SMS"}, (True, True)),
        ({"marketing_opt_in": False}, (False, False)),
        ({"marketing_opt_in": None}, (True, True)),
    ],
)
def test_consent_needs_an_address_its_subscription_and_no_opt_out(
    flags: dict[str, object], expected: tuple[bool, bool]
) -> None:
    given: dict[str, object] = {
        "email": "maya@example.com",
        "email_subscribed": True,
        "phone": "+16195550142",
        "sms_subscribed": True,
        "preferred_contact_method": None,
        "marketing_opt_in": True,
    }
    consent = contact_consent(**{**given, **flags})  # type: ignore[arg-type]
    assert (consent.email, consent.sms) == expected
