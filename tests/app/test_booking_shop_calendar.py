"""Our bookings and the shop's CRM calendar merged into the busy time the availability rule counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadorch.app.booking.shop_calendar import busy_time, local_days
from leadorch.domain.availability import Busy
from leadorch.ports.crm import CalendarEntry

NINE = datetime(2026, 11, 27, 17, tzinfo=UTC)
HOUR = timedelta(hours=1)


def entry(
    ident: str, start: datetime, *, our_id: str | None = None, technicians: tuple[str, ...] = ()
) -> CalendarEntry:
    return CalendarEntry(id=ident, start=start, end=start + HOUR, our_id=our_id, technician_ids=technicians)


def test_our_synced_booking_is_counted_once() -> None:
    busy = busy_time([Busy(NINE, NINE + HOUR)], [entry("crm-1", NINE, our_id="ours-1")])

    assert busy == [Busy(NINE, NINE + HOUR)]


def test_our_booking_staff_reassigned_in_the_crm_keeps_both_technicians_busy() -> None:
    reassigned = entry("crm-1", NINE, our_id="ours-1", technicians=("gus",))

    busy = busy_time([Busy(NINE, NINE + HOUR, frozenset({"mina"}))], [reassigned])

    assert busy == [Busy(NINE, NINE + HOUR, frozenset({"mina", "gus"}))]


def test_our_booking_staff_moved_in_the_crm_holds_both_times_until_they_agree() -> None:
    moved = entry("crm-1", NINE + 3 * HOUR, our_id="ours-1")

    busy = busy_time([Busy(NINE, NINE + HOUR)], [moved])

    assert [(b.start, b.end) for b in busy] == [(NINE, NINE + HOUR), (NINE + 3 * HOUR, NINE + 4 * HOUR)]


def test_the_appointment_being_moved_does_not_block_its_own_new_time() -> None:
    busy = busy_time([], [entry("crm-1", NINE, our_id="ours-1")], moving="ours-1")

    assert busy == []


def test_staff_entries_keep_their_technicians() -> None:
    busy = busy_time([], [entry("lunch", NINE, technicians=("mina", "gus"))])

    assert busy == [Busy(NINE, NINE + HOUR, frozenset({"mina", "gus"}))]


def test_the_crm_is_read_for_whole_local_days() -> None:
    low, high = local_days("America/Los_Angeles", NINE, NINE + HOUR)

    assert (low.isoformat(), high.isoformat()) == ("2026-11-27T00:00:00-08:00", "2026-11-28T00:00:00-08:00")
