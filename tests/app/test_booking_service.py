"""Booking through the Appointment aggregate: slots, bays, the lead's status and its cadence.

Runs on the embedded SQLite store and on PostgreSQL. The shop has two bays (capacity 2), opens
Mon–Fri 09:00–18:00 and Sat 10:00–16:00, and books from two hours ahead on a 30-minute grid.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tests.support.chat_world import LOCATION, PREMIUM, ChatWorld

from leadorch.app.booking.service import BookingRefused, SlotTaken
from leadorch.app.readmodels.appointments import appointments_for_location
from leadorch.domain.availability import ServiceLine
from leadorch.domain.values import LeadStatus

FRIDAY_10AM = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # 10:00 in San Diego
PREMIUM_LINE = ServiceLine(
    service_id=PREMIUM, name="Premium Tint Package", duration_minutes=120, price_cents=30000
)


def book(world: ChatWorld, lead_id: str, start: datetime = FRIDAY_10AM) -> str:
    location = world.container.config.location(world.tenant_id, LOCATION)
    appointment = world.container.booking.book(
        tenant_id=world.tenant_id, lead_id=lead_id, location=location, services=[PREMIUM_LINE], start=start
    )
    return str(appointment.id)


def open_starts(world: ChatWorld, day_start: datetime) -> list[datetime]:
    location = world.container.config.location(world.tenant_id, LOCATION)
    return world.container.booking.open_slots(
        world.tenant_id, location, timedelta(hours=2), day_start, day_start + timedelta(hours=12)
    )


def test_a_booking_is_an_appointment_the_lead_booked_and_the_cadence_stopped(chat_world: ChatWorld) -> None:
    appointment_id = book(chat_world, chat_world.lead_id)

    appointment = chat_world.appointment(appointment_id)
    assert (appointment.start, appointment.end) == (FRIDAY_10AM, FRIDAY_10AM + timedelta(hours=2))
    assert appointment.price_cents == 30000 and appointment.is_confirmed
    lead = chat_world.lead()
    assert lead.status is LeadStatus.BOOKED and lead.appointment_id == appointment_id
    assert chat_world.schedule().is_stopped
    chat_world.catch_up()
    calendar = appointments_for_location(
        chat_world.container.db,
        chat_world.tenant_id,
        LOCATION,
        FRIDAY_10AM - timedelta(hours=1),
        FRIDAY_10AM + timedelta(hours=3),
    )
    assert [(a.appointment_id, a.status, a.price_cents) for a in calendar] == [
        (appointment_id, "confirmed", 30000)
    ]


def test_two_bays_take_two_bookings_at_once_and_refuse_a_third(chat_world: ChatWorld) -> None:
    leads = [chat_world.new_lead(first_name=name) for name in ("Ana", "Ben", "Cy")]
    book(chat_world, leads[0])
    book(chat_world, leads[1])

    with pytest.raises(SlotTaken, match="Fri Nov 27, 10:00 AM is already taken"):
        book(chat_world, leads[2])
    with pytest.raises(SlotTaken, match="already taken"):  # overlapping, not only the same start
        book(chat_world, leads[2], FRIDAY_10AM + timedelta(hours=1))
    assert chat_world.lead(leads[2]).status is LeadStatus.NEW
    assert FRIDAY_10AM not in open_starts(chat_world, FRIDAY_10AM - timedelta(hours=1))


def test_slots_taken_before_the_read_model_catches_up_are_still_taken(chat_world: ChatWorld) -> None:
    first, second, third = (chat_world.new_lead(first_name=name) for name in ("Ana", "Ben", "Cy"))
    book(chat_world, first)
    book(chat_world, second)  # no catch_up: the appointments read model knows neither yet

    starts = open_starts(chat_world, FRIDAY_10AM - timedelta(hours=1))

    assert FRIDAY_10AM not in starts
    with pytest.raises(SlotTaken):
        book(chat_world, third)


def test_cancelling_frees_the_slot_and_the_lead_is_engaged_again(chat_world: ChatWorld) -> None:
    others = [chat_world.new_lead(first_name=name) for name in ("Ana", "Ben")]
    book(chat_world, chat_world.lead_id)
    book(chat_world, others[0])

    cancelled = chat_world.container.booking.cancel(
        tenant_id=chat_world.tenant_id, lead_id=chat_world.lead_id, reason="plans changed"
    )
    book(chat_world, others[1])

    assert cancelled.status_reason == "plans changed"
    assert chat_world.lead().status is LeadStatus.ENGAGED and chat_world.lead().appointment_id is None
    assert chat_world.lead(others[1]).status is LeadStatus.BOOKED


def test_rescheduling_moves_the_claim_and_frees_the_old_time(chat_world: ChatWorld) -> None:
    ana, ben, cy = (chat_world.new_lead(first_name=name) for name in ("Ana", "Ben", "Cy"))
    book(chat_world, ana)
    book(chat_world, ben)
    location = chat_world.container.config.location(chat_world.tenant_id, LOCATION)

    moved = chat_world.container.booking.reschedule(
        tenant_id=chat_world.tenant_id, lead_id=ben, location=location, start=FRIDAY_10AM + timedelta(hours=4)
    )
    book(chat_world, cy)  # the 10:00 bay Ben left

    assert moved.start == FRIDAY_10AM + timedelta(hours=4)
    assert moved.end == FRIDAY_10AM + timedelta(hours=6)
    chat_world.catch_up()
    calendar = appointments_for_location(
        chat_world.container.db, chat_world.tenant_id, LOCATION, FRIDAY_10AM, FRIDAY_10AM + timedelta(hours=8)
    )
    assert sorted(a.start_at for a in calendar) == [
        FRIDAY_10AM,
        FRIDAY_10AM,
        FRIDAY_10AM + timedelta(hours=4),
    ]


def test_a_lead_books_once_and_a_shops_lead_not_at_all(chat_world: ChatWorld) -> None:
    book(chat_world, chat_world.lead_id)
    with pytest.raises(BookingRefused, match="already an appointment booked for Fri Nov 27, 10:00 AM"):
        book(chat_world, chat_world.lead_id, FRIDAY_10AM + timedelta(days=1))

    from leadorch.app.leads.use_cases import hand_to_shop

    other = chat_world.new_lead(first_name="Dee")
    hand_to_shop(chat_world.container, chat_world.tenant_id, other, "staff called the customer")
    with pytest.raises(BookingRefused, match="the shop's team is handling this request"):
        book(chat_world, other)
