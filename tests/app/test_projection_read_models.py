"""What the API and the actors read: leads, due touches, appointments, funnel, ingest log and
conversations, always scoped to one tenant (the touch engine's work list excepted), and refusing bad
arguments by name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest
from tests.support.leads import a_lead

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.projections.wiring import catch_up
from leadorch.app.readmodels.appointments import appointments_for_location, appointments_of_lead
from leadorch.app.readmodels.conversations import conversation
from leadorch.app.readmodels.due_touches import due_touches
from leadorch.app.readmodels.errors import InvalidQuery
from leadorch.app.readmodels.funnel import funnel, percentile
from leadorch.app.readmodels.ingest_log import ingest_log
from leadorch.app.readmodels.leads import get_lead, list_leads
from leadorch.app.settings import load_settings
from leadorch.domain.appointment import Appointment
from leadorch.domain.availability import ServiceLine
from leadorch.domain.conversation import Conversation
from leadorch.domain.intake import OrderIntake, OrderVersion
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.values import Vehicle

MONDAY = datetime(2025, 6, 2, 17, 0, tzinfo=UTC)  # 10:00 in San Diego
TINT = ServiceLine("svc-tint", "Premium Tint", 120, 30000)


@pytest.fixture
def container(database_url: str) -> Iterator[Container]:
    built = bootstrap(load_settings({}, database_url=database_url), clock=AdjustableClock(MONDAY))
    yield built
    built.close()


def arrive(
    container: Container,
    order: str,
    *,
    at: datetime = MONDAY,
    tenant: str = "tint-co",
    location: str = "san-diego",
    name: tuple[str, str] = ("Maria", "Lopez"),
    vehicle: Vehicle | None = None,
) -> tuple[Lead, TouchPointSchedule]:
    lead, schedule = a_lead(
        tenant_id=tenant,
        location_id=location,
        order=order,
        first_name=name[0],
        last_name=name[1],
        email=f"{name[0].lower()}.{order}@example.com",
        vehicle=vehicle,
        at=at,
    ).arrived()
    container.store.save(lead, schedule)
    return lead, schedule


def send_first_touch(
    container: Container, lead: Lead, schedule: TouchPointSchedule, after: timedelta
) -> None:
    assert schedule.next_due_at is not None
    sent_at = schedule.next_due_at + after
    claimed = schedule.claim_next_touch(now=sent_at, claim_id="c1")
    assert claimed is not None
    for channel in sorted(claimed.channels):
        schedule.record_sent(touch_number=1, channel=channel, provider_message_id=f"m-{channel}", now=sent_at)
    lead.record_contacted(at=sent_at)
    container.store.save(lead, schedule)


def test_the_lead_list_filters_searches_and_pages_newest_first_within_one_tenant(
    container: Container,
) -> None:
    maria, _ = arrive(container, "o1", vehicle=Vehicle(2021, "Toyota", "Camry"))
    james, _ = arrive(
        container, "o2", at=MONDAY + timedelta(hours=1), name=("James", "Smith"), location="brooklyn"
    )
    aiko, _ = arrive(container, "o3", at=MONDAY + timedelta(hours=2), name=("Aiko", "Tanaka"))
    arrive(container, "o1", tenant="other-co", name=("Maria", "Lopez"))
    aiko.record_reply(channel="sms", text="How much?", at=MONDAY + timedelta(hours=3))
    container.store.save(aiko)
    catch_up(container)
    db = container.db

    assert [lead.first_name for lead in list_leads(db, "tint-co")] == ["Aiko", "James", "Maria"]
    assert [lead.first_name for lead in list_leads(db, "tint-co", location_id="brooklyn")] == ["James"]
    assert [lead.first_name for lead in list_leads(db, "tint-co", status="engaged")] == ["Aiko"]
    assert [lead.lead_id for lead in list_leads(db, "tint-co", search="LOPEZ camry")] == [str(maria.id)]
    assert [lead.first_name for lead in list_leads(db, "tint-co", limit=1, offset=1)] == ["James"]
    assert [lead.first_name for lead in list_leads(db, "other-co")] == ["Maria"]
    shown = get_lead(db, "tint-co", str(james.id))
    assert shown is not None
    assert (shown.status, shown.location_id, shown.services, shown.email_consent) == (
        "new",
        "brooklyn",
        ["Premium Tint"],
        True,
    )
    assert shown.received_at == MONDAY + timedelta(hours=1)
    assert get_lead(db, "other-co", str(james.id)) is None


def test_a_lead_shows_when_it_was_last_contacted_and_when_its_next_touch_is_due(container: Container) -> None:
    lead, schedule = arrive(container, "o1")
    send_first_touch(container, lead, schedule, after=timedelta(seconds=42))
    catch_up(container)

    shown = get_lead(container.db, "tint-co", str(lead.id))

    assert shown is not None
    assert shown.status == "contacting"
    assert shown.touches_sent == 2
    assert shown.last_contact_at == MONDAY + timedelta(seconds=42)
    assert shown.next_touch_due_at == schedule.next_due_at
    assert shown.cadence == "active"


def test_due_touches_lists_claimable_touches_across_tenants_earliest_first(container: Container) -> None:
    late, late_schedule = arrive(container, "o1", at=MONDAY + timedelta(minutes=30))
    early, early_schedule = arrive(container, "o2", tenant="other-co")
    catch_up(container)

    due = due_touches(container.db, MONDAY + timedelta(hours=1), limit=10)

    assert [(touch.tenant_id, touch.lead_id, touch.touch_number) for touch in due] == [
        ("other-co", str(early.id), 1),
        ("tint-co", str(late.id), 1),
    ]
    assert due_touches(container.db, MONDAY + timedelta(minutes=10), limit=10)[0].due_at == MONDAY
    assert len(due_touches(container.db, MONDAY + timedelta(hours=1), limit=1)) == 1

    early_schedule.claim_next_touch(now=MONDAY + timedelta(hours=1), claim_id="c1")
    late_schedule.stop(reason="the customer replied", now=MONDAY + timedelta(hours=1))
    container.store.save(early_schedule, late_schedule)
    catch_up(container)

    assert due_touches(container.db, MONDAY + timedelta(days=60), limit=10) == []


def test_a_location_calendar_shows_overlapping_appointments_and_their_crm_sync(container: Container) -> None:
    lead, _ = arrive(container, "o1")
    start = datetime(2025, 6, 5, 16, tzinfo=UTC)
    first = Appointment.book(
        appointment_id=UUID(int=1),
        tenant_id="tint-co",
        lead_id=str(lead.id),
        location_id="san-diego",
        services=[TINT],
        start=start,
        at=MONDAY,
    )
    second = Appointment.book(
        appointment_id=UUID(int=2),
        tenant_id="tint-co",
        lead_id=str(lead.id),
        location_id="san-diego",
        services=[TINT],
        start=start + timedelta(days=1),
        at=MONDAY,
    )
    first.record_crm_sync_failed(reason="CRM timed out", permanent=False, at=MONDAY + timedelta(seconds=5))
    second.record_crm_synced(crm_appointment_id="crm-2", at=MONDAY + timedelta(seconds=5))
    second.cancel(reason="the customer cancelled", at=MONDAY + timedelta(hours=1))
    container.store.save(first, second)
    catch_up(container)
    db = container.db

    day = appointments_for_location(
        db, "tint-co", "san-diego", start + timedelta(hours=1), start + timedelta(hours=3)
    )
    assert [(a.appointment_id, a.status, a.crm_sync, a.crm_sync_error) for a in day] == [
        (str(UUID(int=1)), "confirmed", "pending", "CRM timed out")
    ]
    assert day[0].end_at == start + timedelta(hours=2)
    assert day[0].services[0].name == "Premium Tint"
    week = appointments_for_location(
        db, "tint-co", "san-diego", start - timedelta(days=1), start + timedelta(days=7)
    )
    assert [(a.status, a.crm_sync) for a in week] == [("confirmed", "pending"), ("cancelled", "pending")]
    assert [
        a.status
        for a in appointments_for_location(
            db, "tint-co", "san-diego", start, start + timedelta(days=7), status="cancelled"
        )
    ] == ["cancelled"]
    assert appointments_for_location(db, "other-co", "san-diego", start, start + timedelta(days=7)) == []
    assert len(appointments_of_lead(db, "tint-co", str(lead.id))) == 2


def test_the_funnel_counts_each_lead_once_per_stage_and_gives_speed_to_lead_percentiles(
    container: Container,
) -> None:
    quick, quick_schedule = arrive(container, "o1")
    slow, slow_schedule = arrive(container, "o2", at=MONDAY + timedelta(minutes=5))
    silent, _ = arrive(container, "o3", at=MONDAY + timedelta(minutes=9))
    arrive(container, "o4", at=MONDAY + timedelta(days=1))
    send_first_touch(container, quick, quick_schedule, after=timedelta(seconds=9))
    send_first_touch(container, slow, slow_schedule, after=timedelta(seconds=60))
    for hours in (1, 3):  # booked, cancelled, booked again: still one booked lead
        quick.record_booking(appointment_id=UUID(int=hours), at=MONDAY + timedelta(hours=hours))
        if hours == 1:
            quick.record_booking_cancelled(appointment_id=UUID(int=1), at=MONDAY + timedelta(hours=2))
    silent.opt_out(channel="sms", reason="STOP", at=MONDAY + timedelta(hours=1))
    silent.opt_out(channel="email", reason="unsubscribe", at=MONDAY + timedelta(hours=1))
    container.store.save(quick, silent)
    catch_up(container)

    days = funnel(container.db, "tint-co", "san-diego", date(2025, 6, 1), date(2025, 6, 30))

    assert [(d.day, d.received, d.contacted, d.engaged, d.booked, d.opted_out, d.lost) for d in days] == [
        (date(2025, 6, 2), 3, 2, 1, 1, 1, 0),
        (date(2025, 6, 3), 1, 0, 0, 0, 0, 0),
    ]
    assert (days[0].speed_to_lead_p50_ms, days[0].speed_to_lead_p95_ms) == (9_000, 60_000)
    assert (days[1].speed_to_lead_p50_ms, days[1].speed_to_lead_p95_ms) == (None, None)
    assert funnel(container.db, "tint-co", "brooklyn", date(2025, 6, 1), date(2025, 6, 30)) == []
    assert funnel(container.db, "other-co", None, date(2025, 6, 1), date(2025, 6, 30)) == []


def test_percentiles_use_the_nearest_rank() -> None:
    values = list(range(1, 101))

    assert (percentile(values, 50), percentile(values, 95), percentile([7], 95), percentile([], 50)) == (
        50,
        95,
        7,
        None,
    )


def test_the_ingest_log_shows_every_order_version_with_its_reasons_newest_first(container: Container) -> None:
    rejected = OrderIntake.open(tenant_id="tint-co", order_id="o9", at=MONDAY)
    rejected.record_rejected(
        OrderVersion("o9", "crm-sd", MONDAY - timedelta(minutes=1), "webhook"),
        reasons=["status is not Estimate", "order is authorized"],
        at=MONDAY,
    )
    accepted = OrderIntake.open(tenant_id="tint-co", order_id="o1", at=MONDAY)
    accepted.record_lead_created(
        OrderVersion("o1", "crm-sd", MONDAY, "poll"), lead_id=UUID(int=5), at=MONDAY + timedelta(minutes=1)
    )
    elsewhere = OrderIntake.open(tenant_id="other-co", order_id="o1", at=MONDAY)
    elsewhere.record_rejected(
        OrderVersion("o1", "crm-x", MONDAY, "poll"), reasons=["unknown location"], at=MONDAY
    )
    container.store.save(rejected, accepted, elsewhere)
    catch_up(container)

    log = ingest_log(container.db, "tint-co", 10)

    assert [(e.order_id, e.accepted, e.outcome, e.reasons, e.lead_id) for e in log] == [
        ("o1", True, "lead_created", [], str(UUID(int=5))),
        ("o9", False, "rejected", ["status is not Estimate", "order is authorized"], None),
    ]
    assert log[1].updated_date == MONDAY - timedelta(minutes=1)
    assert [e.order_id for e in ingest_log(container.db, "tint-co", 10, accepted=False)] == ["o9"]
    assert [e.order_id for e in ingest_log(container.db, "tint-co", 10, order_id="o1")] == ["o1"]


def test_a_conversation_shows_chat_turns_and_sms_or_email_replies_in_one_timeline(
    container: Container,
) -> None:
    lead, _ = arrive(container, "o1")
    lead.record_reply(channel="sms", text="Price for a Camry?", at=MONDAY + timedelta(minutes=5))
    chat = Conversation.open(
        tenant_id="tint-co", lead_id=lead.id, location_id="san-diego", at=MONDAY + timedelta(hours=1)
    )
    chat.receive_customer_message(text="Can I come Thursday?", at=MONDAY + timedelta(hours=1, seconds=1))
    chat.record_tool_call(
        name="check_availability",
        tool_input={"date": "2025-06-05"},
        result={"slots": ["2025-06-05T16:00:00+00:00"]},
        tool_use_id="toolu_1",
        step=0,
        is_error=False,
        at=MONDAY + timedelta(hours=1, seconds=2),
    )
    chat.record_reply(
        text="Thursday 9:00 works.",
        slots=[{"start": "2025-06-05T16:00:00+00:00"}],
        appointment=None,
        at=MONDAY + timedelta(hours=1, seconds=3),
    )
    chat.record_link_opened(at=MONDAY + timedelta(hours=2))
    container.store.save(lead, chat)
    catch_up(container)

    shown = conversation(container.db, "tint-co", str(lead.id))

    assert shown is not None
    assert [(m.channel, m.author, m.text) for m in shown.messages] == [
        ("sms", "customer", "Price for a Camry?"),
        ("chat", "customer", "Can I come Thursday?"),
        ("chat", "tool", "check_availability"),
        ("chat", "assistant", "Thursday 9:00 works."),
    ]
    assert shown.messages[2].detail == {
        "input": {"date": "2025-06-05"},
        "result": {"slots": ["2025-06-05T16:00:00+00:00"]},
        "is_error": False,
        "step": 0,
    }
    assert shown.messages[3].detail == {
        "slots": [{"start": "2025-06-05T16:00:00+00:00"}],
        "appointment": None,
    }
    assert (shown.conversation_id, shown.opened_at) == (str(chat.id), MONDAY + timedelta(hours=1))
    assert (shown.sms_replies, shown.customer_messages, shown.tool_calls, shown.link_opens) == (1, 1, 1, 1)
    assert conversation(container.db, "other-co", str(lead.id)) is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda db: list_leads(db, "tint-co", status="sleeping"), "status must be one of new, contacting"),
        (lambda db: list_leads(db, "tint-co", limit=0), "limit must be a whole number from 1 to 500"),
        (lambda db: list_leads(db, "tint-co", offset=-1), "offset must be a whole number"),
        (lambda db: list_leads(db, ""), "tenant_id must be non-empty text"),
        (lambda db: due_touches(db, datetime(2025, 1, 1), 5), "now must be a timezone-aware datetime"),
        (
            lambda db: funnel(db, "t", None, date(2025, 2, 1), date(2025, 1, 1)),
            "day_to .* is before day_from",
        ),
        (
            lambda db: appointments_for_location(db, "t", "l", MONDAY, MONDAY),
            "end .* must be after start",
        ),
        (lambda db: ingest_log(db, "t", 1000), "limit must be a whole number from 1 to 500"),
    ],
)
def test_bad_query_arguments_are_refused_naming_what_is_wrong_before_any_query(
    call: object, message: str
) -> None:
    with pytest.raises(InvalidQuery, match=message):
        call(_UntouchableDatabase())  # type: ignore[operator]


class _UntouchableDatabase:
    dialect = "sqlite"

    def transaction(self) -> object:
        raise AssertionError("the query reached the database before checking its arguments")
