"""Customers racing for the last free slot, with real concurrency on PostgreSQL: exactly one wins.

Threads start together at a barrier and book through separate database connections; the per-location
advisory lock serialises the check-and-claim, so the losers are told the time was taken and offered
fresh times instead.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.support.chat_world import LOCATION, PREMIUM, ChatWorld
from tests.support.services import create_database, drop_database

from leadorch.adapters.offline_assistant import OfflineAssistant
from leadorch.app.booking.service import SlotTaken
from leadorch.app.readmodels.appointments import appointments_for_location
from leadorch.domain.availability import ServiceLine
from leadorch.domain.values import LeadStatus

FRIDAY_10AM = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
PREMIUM_LINE = ServiceLine(
    service_id=PREMIUM, name="Premium Tint Package", duration_minutes=120, price_cents=30000
)


@pytest.fixture(scope="module")
def shared_database_url(pg_admin_url: str) -> Iterator[str]:
    url = create_database(pg_admin_url)
    try:
        yield url
    finally:
        drop_database(pg_admin_url, url)


def race(*attempts: Callable[[], Any]) -> list[Any]:
    """Run the attempts on threads released together; each one's result or exception."""
    barrier = threading.Barrier(len(attempts))
    results: list[Any] = [None] * len(attempts)

    def run(index: int, attempt: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = attempt()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_of_many_bookings_for_the_last_bay_exactly_one_wins(chat_world: ChatWorld) -> None:
    location = chat_world.container.config.location(chat_world.tenant_id, LOCATION)
    service = chat_world.container.booking
    for round_number in range(3):
        start = FRIDAY_10AM + timedelta(hours=2 * round_number)
        early = chat_world.new_lead(first_name="Early")
        service.book(
            tenant_id=chat_world.tenant_id,
            lead_id=early,
            location=location,
            services=[PREMIUM_LINE],
            start=start,
        )
        racers = [chat_world.new_lead(first_name=f"Racer{i}") for i in range(4)]

        outcomes = race(
            *[
                (lambda lead=lead, start=start: service.book(
                    tenant_id=chat_world.tenant_id, lead_id=lead, location=location, services=[PREMIUM_LINE], start=start
                ))
                for lead in racers
            ]
        )  # fmt: skip

        winners = [o for o in outcomes if not isinstance(o, Exception)]
        assert len(winners) == 1, outcomes
        assert all(isinstance(o, SlotTaken) for o in outcomes if isinstance(o, Exception)), outcomes
        assert sum(chat_world.lead(lead).status is LeadStatus.BOOKED for lead in racers) == 1
    chat_world.catch_up()
    calendar = appointments_for_location(
        chat_world.container.db, chat_world.tenant_id, LOCATION, FRIDAY_10AM, FRIDAY_10AM + timedelta(hours=6)
    )
    assert len(calendar) == 6  # two bays, three rounds


def test_two_chats_racing_for_the_last_slot_one_books_the_other_gets_fresh_times(
    chat_world: ChatWorld,
) -> None:
    chat_world.container.assistant = OfflineAssistant()
    location = chat_world.container.config.location(chat_world.tenant_id, LOCATION)
    chat_world.container.booking.book(
        tenant_id=chat_world.tenant_id,
        lead_id=chat_world.new_lead(first_name="Early"),
        location=location,
        services=[PREMIUM_LINE],
        start=FRIDAY_10AM,
    )
    ana, ben = chat_world.new_lead(first_name="Ana"), chat_world.new_lead(first_name="Ben")
    sessions = [chat_world.open(lead)["session_id"] for lead in (ana, ben)]
    chat = chat_world.container.chat
    wanted = "Book the premium package Fri Nov 27, 10:00 AM (2026-11-27T10:00:00-08:00)"

    replies = race(*[(lambda s=session: chat.post_message(s, wanted)) for session in sessions])

    assert not any(isinstance(reply, Exception) for reply in replies), replies
    booked = [reply for reply in replies if reply.appointment is not None]
    refused = [reply for reply in replies if reply.appointment is None]
    assert len(booked) == 1 and len(refused) == 1
    assert booked[0].appointment.label == "Fri Nov 27, 10:00 AM PST"
    assert "already taken" in refused[0].text
    fresh = [slot.label for slot in refused[0].slots or []]
    assert fresh and "Fri Nov 27, 10:00 AM" not in fresh
    assert sorted(chat_world.lead(lead).status for lead in (ana, ben)) == [
        LeadStatus.BOOKED,
        LeadStatus.ENGAGED,
    ]
