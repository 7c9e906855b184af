"""Random booking days at a shop: offered slots are always bookable, and capacity is never exceeded.

The machine offers slots with `free_slots`, books some, books arbitrary grid times only when
`is_slot_free` allows (as the app does atomically), reschedules, cancels, completes and marks
no-shows, with time moving across US DST changes. After every step: no instant has more confirmed
appointments than the shop's capacity, every offered slot was inside opening hours, after the
minimum lead time and free, and every appointment rebuilt from its stored events equals the original.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from leadorch.domain.appointment import Appointment
from leadorch.domain.availability import ServiceLine, free_slots, is_slot_free
from leadorch.domain.errors import IllegalTransition
from leadorch.domain.location import BusinessHours
from tests.domain.event_replay import Replica, state_of
from tests.domain.strategies import instants_around_dst, zone_names

SERVICES = [
    ServiceLine("tint-front", "Front windows", 45, 9900),
    ServiceLine("tint-full", "Full tint", 120, 29900),
    ServiceLine("strip", "Old tint removal", 60, 7500),
    ServiceLine("windshield", "Windshield strip", 30, 4900),
]

HOURS_CHOICES = [
    # Weekdays with a lunch break, Saturday mornings.
    BusinessHours(
        weekly={
            **{d: ((time(8), time(12)), (time(13), time(17, 30))) for d in range(1, 6)},
            6: ((time(9), time(13)),),
        }
    ),
    # Every day, long hours.
    BusinessHours(weekly={d: ((time(7), time(19)),) for d in range(7)}),
    # A night shop open across the DST change hours on Sundays.
    BusinessHours(weekly={0: ((time(0), time(6)),), 3: ((time(10), time(16)),)}),
]


class BookingDay(RuleBasedStateMachine):
    @initialize(
        now=instants_around_dst(days_before=10, days_after=3),
        tz_name=zone_names(),
        hours=st.sampled_from(HOURS_CHOICES),
        capacity=st.integers(1, 3),
        granularity=st.sampled_from([15, 30, 60]),
        min_lead_hours=st.integers(0, 24),
    )
    def open_shop(
        self,
        now: datetime,
        tz_name: str,
        hours: BusinessHours,
        capacity: int,
        granularity: int,
        min_lead_hours: int,
    ) -> None:
        self.now, self.tz_name, self.hours = now, tz_name, hours
        self.tz = ZoneInfo(tz_name)
        self.capacity, self.granularity = capacity, granularity
        self.min_lead = timedelta(hours=min_lead_hours)
        self.appointments: list[Appointment] = []
        self.replicas: dict[Any, Replica] = {}

    def rule_args(self, duration: timedelta, exclude: Appointment | None = None) -> dict[str, Any]:
        return {
            "hours": self.hours,
            "time_zone": self.tz_name,
            "capacity": self.capacity,
            "min_lead": self.min_lead,
            "granularity_minutes": self.granularity,
            "duration": duration,
            "booked": [a.interval for a in self.appointments if a.is_confirmed and a is not exclude],
            "now": self.now,
        }

    def book_at(self, slot: datetime, services: list[ServiceLine]) -> None:
        appointment = Appointment.book(
            appointment_id=uuid4(),
            tenant_id="tint-co",
            lead_id=f"lead-{len(self.appointments)}",
            location_id="loc-1",
            services=services,
            start=slot,
            at=self.now,
        )
        self.appointments.append(appointment)
        self.replicas[appointment.id] = Replica()

    @staticmethod
    def pick(data: st.DataObject, appointments: list[Appointment]) -> Appointment:
        # Aggregates are unhashable, so draw a position rather than the aggregate itself.
        return appointments[data.draw(st.integers(0, len(appointments) - 1))]

    @rule(minutes=st.integers(1, 3 * 24 * 60))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule(services=st.lists(st.sampled_from(SERVICES), min_size=1, max_size=3, unique=True), data=st.data())
    def customer_picks_an_offered_slot(self, services: list[ServiceLine], data: st.DataObject) -> None:
        duration = sum((s.duration for s in services), timedelta(0))
        args = self.rule_args(duration)
        slots = free_slots(start=self.now, end=self.now + timedelta(days=3), **args)
        for slot in slots:
            self.assert_bookable_shape(slot, duration)
        if not slots:
            event("no slot offered")
            return
        # The booking check agrees with the offer (checked on a sample: each check re-reads the bookings).
        for position in data.draw(st.lists(st.integers(0, len(slots) - 1), min_size=1, max_size=5)):
            assert is_slot_free(slot=slots[position], **args), "an offered slot must pass the booking check"
        event("slot booked")
        self.book_at(slots[data.draw(st.integers(0, len(slots) - 1))], services)

    def assert_bookable_shape(self, slot: datetime, duration: timedelta) -> None:
        """An offered slot is on the grid, after the lead time, and the visit fits one opening interval."""
        assert slot >= self.now + self.min_lead
        start, end = slot.astimezone(self.tz), (slot + duration).astimezone(self.tz)
        assert (start.hour * 60 + start.minute) % self.granularity == 0 and start.second == 0
        intervals = self.hours.intervals_on(start.date())
        assert any(
            opens <= start.time() and end.date() == start.date() and end.time() <= closes
            for opens, closes in intervals
        ), (start, end, intervals)

    @rule(
        services=st.lists(st.sampled_from(SERVICES), min_size=1, max_size=2, unique=True),
        hours_ahead=st.integers(0, 96),
        minute=st.sampled_from([0, 15, 30, 45]),
    )
    def customer_asks_for_a_time(self, services: list[ServiceLine], hours_ahead: int, minute: int) -> None:
        duration = sum((s.duration for s in services), timedelta(0))
        wanted = (self.now + timedelta(hours=hours_ahead)).replace(minute=minute, second=0, microsecond=0)
        if is_slot_free(slot=wanted, **self.rule_args(duration)):
            event("requested time booked")
            self.book_at(wanted, services)

    @precondition(lambda self: any(a.is_confirmed for a in self.appointments))
    @rule(data=st.data())
    def customer_reschedules(self, data: st.DataObject) -> None:
        appointment = self.pick(data, [a for a in self.appointments if a.is_confirmed])
        args = self.rule_args(appointment.duration, exclude=appointment)
        slots = free_slots(start=self.now, end=self.now + timedelta(days=3), **args)
        if appointment.start < self.now:
            return
        if slots:
            appointment.reschedule(start=slots[data.draw(st.integers(0, len(slots) - 1))], at=self.now)

    @precondition(lambda self: any(a.is_confirmed for a in self.appointments))
    @rule(data=st.data(), action=st.sampled_from(["cancel", "complete", "no_show"]))
    def the_day_goes_by(self, data: st.DataObject, action: str) -> None:
        appointment = self.pick(data, [a for a in self.appointments if a.is_confirmed])
        if action == "cancel":
            appointment.cancel(reason="customer cancelled", at=self.now)
            return
        command = appointment.complete if action == "complete" else appointment.mark_no_show
        if self.now < appointment.start:
            try:
                command(at=self.now)
            except IllegalTransition:
                return
            raise AssertionError("an appointment cannot be completed or missed before it starts")
        command(at=self.now)

    @precondition(lambda self: bool(self.appointments))
    @rule(data=st.data(), permanent=st.booleans(), ok=st.booleans())
    def crm_sync_runs(self, data: st.DataObject, permanent: bool, ok: bool) -> None:
        appointment = self.pick(data, self.appointments)
        if ok:
            appointment.record_crm_synced(crm_appointment_id=f"sm-{appointment.id}", at=self.now)
            assert not appointment.needs_crm_sync
        else:
            appointment.record_crm_sync_failed(reason="CRM timeout", permanent=permanent, at=self.now)

    @invariant()
    def capacity_is_never_exceeded(self) -> None:
        changes = sorted(
            (instant, change)
            for a in self.appointments
            if a.is_confirmed
            for instant, change in ((a.start, 1), (a.end, -1))
        )
        overlapping = 0
        for _, change in changes:
            overlapping += change
            assert overlapping <= self.capacity

    @invariant()
    def replaying_the_events_rebuilds_the_same_appointments(self) -> None:
        for appointment in self.appointments:
            replica = self.replicas[appointment.id].catch_up(appointment)
            assert state_of(replica) == state_of(appointment)


TestBookingDay = BookingDay.TestCase
