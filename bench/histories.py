"""Realistic random lead histories, driven through the real domain commands.

Each lead lives its life as a generator: the CRM order arrives (and is rejected with reasons, or makes
a lead and a touch schedule), touches go out at their due times with the outcomes providers give
(sent, failed, suppressed, uncertain), and the customer sometimes replies, chats, books (then the
appointment syncs to the CRM, moves, is cancelled, done or missed), opts out, is paused by staff or
taken over by the shop; a lead nobody answered is marked lost. Every step yields the time of the
next one, so many leads can be interleaved in time order (`interleaved`) or each run to its end and
saved in bulk (`write_bulk`, for benchmarks).

Used by the replay benchmark and by the projection tests (which draw each lead's arrival, time zone,
sending window and plan from the domain's hypothesis strategies).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from leadorch.domain.appointment import Appointment
from leadorch.domain.availability import ServiceLine
from leadorch.domain.cadence import DEFAULT_PLAN, DEFAULT_WINDOW, SendingWindow, TouchPlan
from leadorch.domain.conversation import Conversation
from leadorch.domain.intake import OrderIntake, OrderVersion
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.values import Channel, Contact, LeadStatus, Vehicle

SERVICES = (
    ServiceLine("svc-ultimate", "Ultimate Ceramic Tint", 180, 60000),
    ServiceLine("svc-premium", "Premium Tint", 120, 30000),
    ServiceLine("svc-windshield", "Windshield Ceramic", 90, 24900),
    ServiceLine("svc-front-two", "Front Two Windows", 60, 10900),
)
FIRST_NAMES = ("Maria", "James", "Aiko", "Diego", "Priya", "Sam", "Olu", "Chen", "Fatima", "Liam")
LAST_NAMES = ("Lopez", "Smith", "Tanaka", "Garcia", "Patel", "Okafor", "Nguyen", "Brown", "Haddad")
VEHICLES = (("Toyota", "Camry"), ("Tesla", "Model 3"), ("Ford", "F-150"), ("Honda", "Civic"), ("BMW", "X5"))
REJECTIONS = (
    "workflow status is not a website lead status",
    "status is not Estimate",
    "order is authorized",
    "staff already messaged the customer",
    "name does not start with New Quote",
    "an appointment is already set",
)
REPLIES = (
    "How much for my Camry?",
    "Can I come Saturday?",
    "Is ceramic worth it?",
    "Call me at +16195550142",
)


@dataclass(frozen=True)
class LeadSetup:
    """Who arrives when, and the location's cadence settings."""

    serial: int
    arrival: datetime
    tenant_id: str = "tint-co"
    location_id: str = "san-diego"
    time_zone: str = "America/Los_Angeles"
    window: SendingWindow = DEFAULT_WINDOW
    plan: TouchPlan = DEFAULT_PLAN
    email: bool = True
    sms: bool = True


@dataclass
class LeadRecord:
    """The aggregates one life produced (for tests that compare read models with them)."""

    intake: OrderIntake
    lead: Lead | None = None
    schedule: TouchPointSchedule | None = None
    conversation: Conversation | None = None
    appointments: list[Appointment] = field(default_factory=list)

    def aggregates(self) -> list[Aggregate]:
        found: list[Aggregate | None] = [
            self.intake,
            self.lead,
            self.schedule,
            self.conversation,
            *self.appointments,
        ]
        return [aggregate for aggregate in found if aggregate is not None]


Step = tuple[datetime | None, list[Aggregate]]  # (when the next step happens, None: life over; changed)


def lead_life(setup: LeadSetup, rng: random.Random, record: LeadRecord | None = None) -> Iterator[Step]:
    """The steps of one lead's life; the first yield only announces the arrival time."""
    life = _Life(setup, rng, record)
    return life.run()


class _Life:
    def __init__(self, setup: LeadSetup, rng: random.Random, record: LeadRecord | None) -> None:
        self.setup = setup
        self.rng = rng
        order_id = f"order-{setup.serial}"
        self.version = OrderVersion(
            order_id, "crm-" + setup.location_id, setup.arrival - timedelta(seconds=30), "webhook"
        )
        self.intake = OrderIntake.open(tenant_id=setup.tenant_id, order_id=order_id, at=setup.arrival)
        self.record = record if record is not None else LeadRecord(self.intake)
        self.record.intake = self.intake

    def run(self) -> Iterator[Step]:
        setup, rng = self.setup, self.rng
        at = setup.arrival
        yield at, []
        if rng.random() < 0.12:
            reasons = rng.sample(REJECTIONS, rng.randint(1, 3))
            self.intake.record_rejected(self.version, reasons=reasons, at=at)
            yield None, [self.intake]
            return
        lead = self.lead = self._register(at)
        self.intake.record_lead_created(self.version, lead_id=lead.id, at=at)
        schedule = self.schedule = TouchPointSchedule.start(
            tenant_id=setup.tenant_id,
            lead_id=str(lead.id),
            location_id=setup.location_id,
            plan=setup.plan,
            window=setup.window,
            time_zone=setup.time_zone,
            email_ok=lead.can_contact(Channel.EMAIL),
            sms_ok=lead.can_contact(Channel.SMS),
            at=at + timedelta(milliseconds=rng.randint(50, 900)),
            anchor=at,
        )
        self.record.lead, self.record.schedule = lead, schedule
        yield self._next_time(at), [self.intake, lead, schedule]
        yield from self._cadence()

    def _register(self, at: datetime) -> Lead:
        setup, rng = self.setup, self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        make, model = rng.choice(VEHICLES)
        return Lead.register(
            tenant_id=setup.tenant_id,
            location_id=setup.location_id,
            crm_order_id=self.version.order_id,
            crm_customer_id=f"cust-{setup.serial}",
            crm_vehicle_id=f"veh-{setup.serial}" if rng.random() < 0.8 else None,
            contact=Contact(
                first,
                last,
                f"{first.lower()}.{setup.serial}@example.com" if setup.email else None,
                f"+1619555{setup.serial % 10000:04d}" if setup.sms else None,
            ),
            vehicle=Vehicle(rng.randint(2005, 2025), make, model) if rng.random() < 0.9 else None,
            services=[service.name for service in rng.sample(SERVICES, rng.randint(1, 2))],
            email_consent=setup.email,
            sms_consent=setup.sms,
            at=at,
        )

    def _next_time(self, now: datetime) -> datetime:
        due = self.schedule.next_due_at
        return (
            due + timedelta(seconds=self.rng.randint(1, 90)) if due is not None else now + timedelta(hours=1)
        )

    # ------------------------------------------------------------------------------------- cadence
    # Protocol: before acting at time t a life yields (t, []) so the driver can interleave lives in
    # time order; after acting it yields (t, changed aggregates) so the driver saves them.

    def _cadence(self) -> Iterator[Step]:
        lead, schedule, rng = self.lead, self.schedule, self.rng
        previous = self.setup.arrival
        claims = 0
        while schedule.is_active:
            due = schedule.next_due_at
            if due is None:
                return
            touch_at = max(due, previous) + timedelta(seconds=rng.randint(1, 90))
            if not lead.is_responsive and rng.random() < 0.06:
                previous = previous + (touch_at - previous) * rng.random()
                yield from self._customer_acts(previous)
                if schedule.is_paused:
                    previous = yield from self._paused(previous)
                continue
            yield touch_at, []
            claims += 1
            claimed = schedule.claim_next_touch(now=touch_at, claim_id=f"claim-{claims}")
            previous = touch_at
            if claimed is None:  # skipped (no channel left) or moved into the sending window
                yield touch_at, [schedule]
                continue
            sent_at = touch_at + timedelta(seconds=rng.randint(1, 20))
            if rng.random() < 0.02:
                schedule.mark_uncertain(touch_number=claimed.touch_number, now=sent_at)
                if rng.random() < 0.6:
                    schedule.resolve_uncertain(
                        touch_number=claimed.touch_number,
                        outcome=rng.choice(["sent", "not_sent"]),
                        by="ops",
                        now=sent_at + timedelta(minutes=30),
                    )
            else:
                for channel in sorted(claimed.channels):
                    self._outcome(claimed.touch_number, channel, sent_at)
            changed: list[Aggregate] = [schedule]
            if schedule.sent_count and lead.status is LeadStatus.NEW:
                lead.record_contacted(at=sent_at)
                changed.append(lead)
            previous = sent_at + timedelta(minutes=30)
            yield sent_at, changed
        if schedule.is_finished and not schedule.is_stopped and not lead.is_responsive:
            lost_at = (schedule.finished_at or previous) + timedelta(hours=24, minutes=rng.randint(0, 120))
            yield lost_at, []
            lead.mark_lost(reason="the cadence ended without a response", at=lost_at)
            yield None, [lead]

    def _outcome(self, touch: int, channel: Channel, at: datetime) -> None:
        roll = self.rng.random()
        if roll < 0.9:
            self.schedule.record_sent(
                touch_number=touch, channel=channel, provider_message_id=f"m-{touch}-{channel}", now=at
            )
        elif roll < 0.95:
            retriable = self.rng.random() < 0.5
            reason = "provider outage" if retriable else "mailbox does not exist"
            self.schedule.record_failed(
                touch_number=touch, channel=channel, reason=reason, retriable=retriable, now=at
            )
        else:
            self.schedule.record_suppressed(touch_number=touch, channel=channel, reason="demo mode", now=at)

    # -------------------------------------------------------------------------------- the customer

    def _customer_acts(self, at: datetime) -> Iterator[Step]:
        lead, schedule, rng = self.lead, self.schedule, self.rng
        yield at, []
        choice = rng.random()
        reachable = [c for c in Channel if lead.can_contact(c)]
        if choice < 0.3 and reachable:
            lead.record_reply(channel=rng.choice(reachable), text=rng.choice(REPLIES), at=at)
            schedule.stop(reason="the customer replied", now=at)
            yield at, [lead, schedule]
            if rng.random() < 0.5:
                yield from self._book(at + timedelta(hours=rng.randint(1, 30)))
        elif choice < 0.5:
            chat = self._chat(at)
            lead.record_chat_link_opened(at=at)
            lead.record_chat_started(session_id=str(chat.id), at=at + timedelta(minutes=1))
            schedule.stop(reason="the customer chatted", now=at + timedelta(minutes=1))
            yield at, [lead, schedule, chat]
            if rng.random() < 0.6:
                yield from self._book(at + timedelta(minutes=rng.randint(3, 20)))
        elif choice < 0.65 and reachable:
            channel = rng.choice(reachable)
            lead.opt_out(channel=channel, reason="STOP" if channel is Channel.SMS else "unsubscribe", at=at)
            schedule.disable_channel(channel=channel, reason="the customer opted out", now=at)
            yield at, [lead, schedule]
        elif choice < 0.75:
            lead.pause_automation(by="staff", reason="calling the customer", at=at)
            schedule.pause(by="staff", now=at)
            yield at, [lead, schedule]
        elif choice < 0.85:
            reason = "staff messaged the customer in the CRM"
            lead.hand_to_shop(reason=reason, at=at)
            schedule.stop(reason=reason, now=at)
            later = OrderVersion(
                self.version.order_id, self.version.location_id, at - timedelta(seconds=5), "poll"
            )
            self.intake.record_handed_to_shop(later, reason=reason, at=at)
            yield at, [lead, schedule, self.intake]
        elif choice < 0.93:
            contact = lead.contact
            new_email = f"{contact.first_name.lower()}.{self.setup.serial}@mail.example.org"
            lead.update_details(
                contact=Contact(contact.first_name, contact.last_name, new_email, contact.phone), at=at
            )
            later = OrderVersion(
                self.version.order_id, self.version.location_id, at - timedelta(seconds=5), "webhook"
            )
            self.intake.record_lead_updated(later, changed=["email"], at=at)
            yield at, [lead, self.intake]
        else:
            lead.flag_for_staff(reason="the customer asked for a person", at=at)
            yield at, [lead]

    def _chat(self, at: datetime) -> Conversation:
        """The customer opens the chat link, asks, the assistant looks up times and answers."""
        rng = self.rng
        chat = Conversation.open(
            tenant_id=self.setup.tenant_id, lead_id=self.lead.id, location_id=self.setup.location_id, at=at
        )
        self.record.conversation = chat
        asked = at + timedelta(minutes=1)
        chat.receive_customer_message(text=rng.choice(REPLIES), at=asked)
        slot = (asked + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
        chat.record_tool_call(
            name="check_availability",
            tool_input={"date": slot.date().isoformat()},
            result={"slots": [slot.isoformat()]},
            tool_use_id=f"toolu_{self.setup.serial}",
            step=0,
            is_error=False,
            at=asked + timedelta(seconds=2),
        )
        chat.record_reply(
            text="We can do that. Would this time work?",
            slots=[{"start": slot.isoformat()}],
            appointment=None,
            at=asked + timedelta(seconds=4),
        )
        if rng.random() < 0.2:
            chat.record_link_opened(at=asked + timedelta(hours=2))
            chat.hand_to_human(question="Can you match a competitor's price?", at=asked + timedelta(hours=2))
        return chat

    def _paused(self, at: datetime) -> Iterator[Step]:
        resume_at = at + timedelta(hours=self.rng.randint(2, 72))
        yield resume_at, []
        self.lead.resume_automation(by="staff", at=resume_at)
        self.schedule.resume(by="staff", now=resume_at)
        yield resume_at, [self.lead, self.schedule]
        return resume_at

    def _book(self, at: datetime) -> Iterator[Step]:
        lead, rng = self.lead, self.rng
        yield at, []
        if lead.status is LeadStatus.HANDLED_BY_SHOP:
            return
        start = (at + timedelta(days=rng.randint(1, 10))).replace(minute=0, second=0, microsecond=0)
        appointment = Appointment.book(
            appointment_id=UUID(int=rng.getrandbits(128)),
            tenant_id=self.setup.tenant_id,
            lead_id=str(lead.id),
            location_id=self.setup.location_id,
            services=rng.sample(SERVICES, rng.randint(1, 2)),
            start=start,
            at=at,
        )
        self.record.appointments.append(appointment)
        lead.record_booking(appointment_id=appointment.id, at=at)
        yield at, [lead, appointment]
        sync_at = at + timedelta(seconds=rng.randint(1, 30))
        yield sync_at, []
        if rng.random() < 0.15:
            appointment.record_crm_sync_failed(reason="CRM timed out", permanent=False, at=sync_at)
            sync_at += timedelta(minutes=5)
        if rng.random() < 0.05:
            appointment.record_crm_sync_failed(
                reason="CRM refused the appointment", permanent=True, at=sync_at
            )
        else:
            appointment.record_crm_synced(crm_appointment_id=f"crm-appt-{self.setup.serial}", at=sync_at)
        yield sync_at, [appointment]
        roll = rng.random()
        if roll < 0.1:
            moved_at = sync_at + timedelta(hours=rng.randint(1, 20))
            yield moved_at, []
            appointment.reschedule(start=appointment.start + timedelta(days=1), at=moved_at)
            yield moved_at, [appointment]
        elif roll < 0.2:
            cancel_at = sync_at + timedelta(hours=rng.randint(1, 20))
            yield cancel_at, []
            appointment.cancel(reason="the customer cancelled", at=cancel_at)
            lead.record_booking_cancelled(appointment_id=appointment.id, at=cancel_at)
            yield cancel_at, [appointment, lead]
            return
        visit_end = appointment.end + timedelta(minutes=rng.randint(0, 60))
        yield visit_end, []
        if rng.random() < 0.85:
            appointment.complete(at=visit_end)
        else:
            appointment.mark_no_show(at=visit_end)
        yield visit_end, [appointment]


# ------------------------------------------------------------------------------------------ drivers


def interleaved(
    setups: Iterable[LeadSetup],
    rng: random.Random,
    save: Callable[[list[Aggregate]], Any],
    records: list[LeadRecord] | None = None,
) -> int:
    """Run every life in global time order, saving each step's aggregates as it happens; returns saves."""
    heap: list[tuple[datetime, int, Iterator[Step]]] = []
    for index, setup in enumerate(setups):
        record = LeadRecord(intake=None)  # type: ignore[arg-type]
        if records is not None:
            records.append(record)
        life = lead_life(setup, random.Random(rng.getrandbits(64)), record)
        first, _ = next(life)
        assert first is not None
        heapq.heappush(heap, (first, index, life))
    saves = 0
    while heap:
        _, index, life = heapq.heappop(heap)
        try:
            upcoming, changed = next(life)
        except StopIteration:
            continue
        if changed:
            save(changed)
            saves += 1
        if upcoming is not None:
            heapq.heappush(heap, (upcoming, index, life))
    return saves


def whole_life(setup: LeadSetup, rng: random.Random) -> LeadRecord:
    """Run one life to its end without saving (its aggregates hold every event, pending)."""
    record = LeadRecord(intake=None)  # type: ignore[arg-type]
    for _ in lead_life(setup, rng, record):
        pass
    return record


def default_setups(count: int, rng: random.Random, *, start: datetime | None = None) -> Iterator[LeadSetup]:
    """`count` leads arriving a few minutes apart at a handful of locations, most reachable both ways."""
    moment = start or datetime(2025, 1, 6, 16, 0, tzinfo=UTC)
    zones = {"san-diego": "America/Los_Angeles", "brooklyn": "America/New_York", "austin": "America/Chicago"}
    for serial in range(1, count + 1):
        moment += timedelta(minutes=rng.randint(1, 30))
        location = rng.choice(list(zones))
        reach = rng.random()
        yield LeadSetup(
            serial=serial,
            arrival=moment,
            location_id=location,
            time_zone=zones[location],
            email=reach < 0.9,
            sms=reach > 0.2,
        )


def save_whole_lives(store: Any, leads: int, *, seed: int = 1, start: datetime | None = None) -> int:
    """Save `leads` whole lives with `default_setups` (one transaction per lead); returns the log's head."""
    rng = random.Random(seed)
    for setup in default_setups(leads, rng, start=start):
        store.save(*whole_life(setup, random.Random(rng.getrandbits(64))).aggregates())
    return int(store.recorder.max_notification_id() or 0)
