"""The Lead's business rules: statuses, consent per channel, and transitions refused with a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from leadorch.domain.errors import IllegalTransition, InvalidValue
from leadorch.domain.ids import lead_id
from leadorch.domain.lead import Lead
from leadorch.domain.values import Channel, Contact, LeadStatus, Vehicle
from tests.domain.event_replay import rebuilt, state_of
from tests.support.leads import a_lead

AT = datetime(2025, 6, 10, 17, 0, tzinfo=UTC)
LATER = AT + timedelta(hours=1)


def new_lead(*, email: str | None = "ada@example.com", phone: str | None = "+15551234567") -> Lead:
    return a_lead(
        location_id="loc-1",
        order="order-1",
        customer="cust-1",
        vehicle_id="veh-1",
        first_name="Ada",
        last_name="Lovelace",
        email=email,
        phone=phone,
        vehicle=Vehicle(2021, "Toyota", "Camry"),
        services=("Full tint",),
        at=AT,
    ).registered()


def test_a_registered_lead_is_new_and_reachable_on_both_channels() -> None:
    lead = new_lead()
    assert lead.id == lead_id("tint-co", "order-1")
    assert lead.status is LeadStatus.NEW
    assert lead.can_contact(Channel.EMAIL) and lead.can_contact("sms")
    assert not lead.is_responsive and not lead.stops_cadence
    assert [type(e).__name__ for e in lead.pending_events] == ["Registered"]
    assert lead.pending_events[0].tenant_id == "tint-co"  # type: ignore[attr-defined]


def test_without_a_phone_number_sms_is_not_possible_whatever_the_consent() -> None:
    assert not new_lead(phone=None).can_contact(Channel.SMS)


def test_the_first_touch_makes_the_lead_contacting_once() -> None:
    lead = new_lead()
    lead.record_contacted(at=LATER)
    lead.record_contacted(at=LATER + timedelta(days=1))
    assert lead.status is LeadStatus.CONTACTING
    assert [type(e).__name__ for e in lead.pending_events] == ["Registered", "Contacted"]


def test_a_reply_engages_the_lead_and_stops_the_cadence() -> None:
    lead = new_lead()
    lead.record_contacted(at=LATER)
    lead.record_reply(channel=Channel.SMS, text="How much for a sedan?", at=LATER)
    assert lead.status is LeadStatus.ENGAGED
    assert lead.is_responsive and lead.stops_cadence


def test_opening_the_chat_link_is_not_a_response_but_chatting_is() -> None:
    lead = new_lead()
    lead.record_chat_link_opened(at=LATER)
    assert not lead.is_responsive
    lead.record_chat_started(session_id="s-1", at=LATER)
    lead.record_chat_started(session_id="s-1", at=LATER)
    assert lead.status is LeadStatus.ENGAGED
    assert lead.chat_sessions == ("s-1",)


def test_booking_and_cancelling() -> None:
    lead = new_lead()
    appointment = uuid4()
    lead.record_booking(appointment_id=appointment, at=LATER)
    assert lead.status is LeadStatus.BOOKED and lead.appointment_id == str(appointment)
    lead.record_booking(appointment_id=appointment, at=LATER)  # a redelivered booking changes nothing
    with pytest.raises(IllegalTransition, match="already booked appointment"):
        lead.record_booking(appointment_id=uuid4(), at=LATER)
    lead.record_reply(channel="email", text="see you then", at=LATER)
    assert lead.status is LeadStatus.BOOKED, "a booked lead stays booked when it replies"
    lead.record_booking_cancelled(appointment_id=appointment, at=LATER)
    assert lead.status is LeadStatus.ENGAGED and lead.appointment_id is None
    with pytest.raises(
        IllegalTransition, match=r"cannot cancel booking .*: lead is engaged without an appointment"
    ):
        lead.record_booking_cancelled(appointment_id=appointment, at=LATER)


def test_stop_on_sms_keeps_email_going() -> None:
    lead = new_lead()
    lead.opt_out(channel=Channel.SMS, reason="STOP", at=LATER)
    assert not lead.can_contact(Channel.SMS)
    assert lead.can_contact(Channel.EMAIL)
    assert not lead.stops_cadence
    lead.opt_out(channel=Channel.EMAIL, reason="unsubscribe", at=LATER)
    assert lead.stops_cadence, "with no channel left the cadence must stop"
    lead.opt_in(channel=Channel.SMS, at=LATER)
    assert lead.can_contact(Channel.SMS)


def test_opting_out_twice_records_once() -> None:
    lead = new_lead()
    lead.opt_out(channel="sms", reason="STOP", at=LATER)
    lead.opt_out(channel="sms", reason="STOP", at=LATER)
    assert [type(e).__name__ for e in lead.pending_events].count("OptedOut") == 1


def test_lost_only_without_any_response() -> None:
    silent = new_lead()
    silent.record_contacted(at=LATER)
    silent.mark_lost(reason="cadence ran out", at=LATER)
    assert silent.status is LeadStatus.LOST and silent.outcome_reason == "cadence ran out"
    talked = new_lead()
    talked.record_reply(channel="sms", text="maybe", at=LATER)
    with pytest.raises(IllegalTransition, match="cannot mark lost: the customer responded"):
        talked.mark_lost(reason="cadence ran out", at=LATER)


def test_a_lost_lead_that_answers_is_engaged_again() -> None:
    lead = new_lead()
    lead.mark_lost(reason="cadence ran out", at=LATER)
    lead.record_reply(channel="email", text="sorry, was away", at=LATER)
    assert lead.status is LeadStatus.ENGAGED


def test_once_the_shop_handles_a_lead_the_automation_refuses_to_act_on_it() -> None:
    lead = new_lead()
    lead.hand_to_shop(reason="staff messaged the customer", at=LATER)
    assert lead.status is LeadStatus.HANDLED_BY_SHOP and lead.stops_cadence
    with pytest.raises(IllegalTransition, match="cannot record a reply: the shop handles this lead"):
        lead.record_reply(channel="sms", text="hi", at=LATER)
    with pytest.raises(IllegalTransition, match="cannot record a booking: the shop handles this lead"):
        lead.record_booking(appointment_id=uuid4(), at=LATER)
    with pytest.raises(IllegalTransition, match="cannot mark lost: the shop handles this lead"):
        lead.mark_lost(reason="cadence ran out", at=LATER)
    lead.hand_to_shop(reason="again", at=LATER)  # idempotent


def test_a_lead_booked_through_the_assistant_is_not_handed_to_the_shop() -> None:
    lead = new_lead()
    lead.record_booking(appointment_id=uuid4(), at=LATER)
    with pytest.raises(IllegalTransition, match="cannot hand to shop: lead already booked"):
        lead.hand_to_shop(reason="appointment set", at=LATER)


def test_pausing_and_resuming_the_automation() -> None:
    lead = new_lead()
    lead.pause_automation(by="staff:jo", reason="calling the customer", at=LATER)
    assert lead.automation_paused and lead.paused_by == "staff:jo"
    with pytest.raises(IllegalTransition, match="already paused by staff:jo"):
        lead.pause_automation(by="staff:al", reason="", at=LATER)
    lead.resume_automation(by="staff:jo", at=LATER)
    with pytest.raises(IllegalTransition, match="cannot resume automation: it is not paused"):
        lead.resume_automation(by="staff:jo", at=LATER)


def test_details_updates_record_only_what_changed() -> None:
    lead = new_lead()
    lead.update_details(at=LATER, contact=Contact("Ada", "Lovelace", "ada@example.com", "+15557654321"))
    lead.update_details(at=LATER, services=["Full tint"])
    events = lead.pending_events
    assert [type(e).__name__ for e in events] == ["Registered", "DetailsUpdated"]
    assert events[1].changes == {"phone": "+15557654321"}  # type: ignore[attr-defined]
    assert lead.contact.phone == "+15557654321"


def test_staff_flags_accumulate() -> None:
    lead = new_lead()
    lead.flag_for_staff(reason="asked for a price match", at=LATER)
    assert lead.staff_flags == ("asked for a price match",)


def test_bad_input_is_named() -> None:
    with pytest.raises(InvalidValue, match="naive datetime"):
        new_lead().record_contacted(at=datetime(2025, 6, 10, 12))
    with pytest.raises(InvalidValue, match="'carrier pigeon'"):
        new_lead().record_reply(channel="carrier pigeon", text="coo", at=LATER)
    with pytest.raises(InvalidValue, match="location_id"):
        Lead.register(
            tenant_id="t",
            location_id="",
            crm_order_id="o",
            crm_customer_id="c",
            crm_vehicle_id=None,
            contact=Contact("A", "B"),
            vehicle=None,
            services=[],
            email_consent=False,
            sms_consent=False,
            at=AT,
        )


def test_a_lead_rebuilt_from_its_stored_events_is_the_same_lead() -> None:
    lead = new_lead()
    lead.record_contacted(at=LATER)
    lead.opt_out(channel="sms", reason="STOP", at=LATER)
    lead.update_details(at=LATER, vehicle=Vehicle(2022, "Honda", "Civic"))
    lead.record_chat_started(session_id="s-9", at=LATER)
    lead.record_booking(appointment_id=uuid4(), at=LATER)
    assert state_of(rebuilt(lead.pending_events, Lead)) == state_of(lead)
