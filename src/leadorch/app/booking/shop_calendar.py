"""The shop's own calendar (its CRM's, through the `Crm` port) as busy time for the availability rule.

Staff book by phone, take walk-ins and block lunch or office time in the CRM; a slot is only free when
the CRM's calendar agrees. The CRM is read for whole local days of the location (the unit the CRM's
calendar reads, and the unit a chat turn asks about). Our own bookings are in the CRM too once synced:
an entry carrying our id at the time one of our bookings holds is that booking, counted once.

Days are read through the container's `CalendarCache` (one CRM read per location-day serves a chat
turn); `fresh=True` reads the CRM whatever the cache holds, as a booking does right before its claim.

A CRM that cannot be read leaves no slot verified: `CalendarUnavailable`, and the caller offers none.
A tenant without a CRM configured has no shop calendar to consult: only our own bookings count.
"""

from __future__ import annotations

import concurrent.futures
import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from leadorch.app.booking.calendar_cache import CalendarCache
from leadorch.app.config.models import LocationConfig
from leadorch.app.crm import CrmNotConfigured, crm_for
from leadorch.domain.availability import Busy
from leadorch.domain.instants import first_instant_at_or_after, wall_clock, zone
from leadorch.ports.crm import CalendarEntry, CrmError

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

# A chat turn waits this long for the calendar at most (the adapter's own retries would take longer).
READ_TIMEOUT_SECONDS = 5.0


class CalendarUnavailable(Exception):
    """The shop's calendar could not be read, so no slot can be verified; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ShopCalendar:
    """Reads a location's CRM calendar for the local days around a range."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self.cache: CalendarCache = container.calendar_cache

    def entries(
        self, tenant_id: str, location: LocationConfig, start: datetime, end: datetime, *, fresh: bool = False
    ) -> list[CalendarEntry]:
        """Everything on the location's CRM calendar on the local days [start, end) touches, each once."""
        low, high = local_days(location.time_zone, start, end)
        tz = zone(location.time_zone)
        days = [low.date() + timedelta(days=n) for n in range((high.date() - low.date()).days)]
        held = {day: None if fresh else self.cache.get(tenant_id, location.location_id, day) for day in days}
        missing = [day for day, entries in held.items() if entries is None]
        if missing:
            generation = self.cache.generation(tenant_id)
            first = first_instant_at_or_after(missing[0], time(0), tz).astimezone(tz)
            after = first_instant_at_or_after(missing[-1] + timedelta(days=1), time(0), tz).astimezone(tz)
            read = self._read(tenant_id, location, first, after)
            by_day = _by_local_day(read, missing, tz)
            self.cache.put(tenant_id, location.location_id, by_day, generation=generation)
            held.update(by_day)
        found: dict[tuple[str, datetime], CalendarEntry] = {}
        for entries in held.values():
            for entry in entries or []:
                found.setdefault((entry.id, entry.start), entry)
        return sorted(found.values(), key=lambda entry: (entry.start, entry.end, entry.id))

    def forget(self, tenant_id: str, location_id: str | None = None) -> None:
        """The calendar changed (we wrote to it, or staff did): read it again next time."""
        self.cache.forget(tenant_id, location_id)

    def _read(
        self, tenant_id: str, location: LocationConfig, low: datetime, high: datetime
    ) -> list[CalendarEntry]:
        try:
            crm = crm_for(self.container, tenant_id)
        except CrmNotConfigured:
            return []
        call = crm.calendar(location.crm_location_id, low, high, technician_ids=location.technician_ids)
        future = self.container.crm.submit(call)
        try:
            return future.result(timeout=READ_TIMEOUT_SECONDS)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise CalendarUnavailable(
                f"the shop's calendar did not answer within {READ_TIMEOUT_SECONDS:.0f} s"
            ) from None
        except CrmError as error:
            log.warning(
                "calendar of %s unreadable: %s", location.location_id, error, extra={"tenant_id": tenant_id}
            )
            raise CalendarUnavailable(f"the shop's calendar could not be read ({error})") from error


def technicians_on_calendar(
    container: Container, tenant_id: str, location: LocationConfig, start: datetime, end: datetime
) -> list[str]:
    """The technicians the location's CRM calendar names over [start, end), in order of appearance."""
    entries = ShopCalendar(container).entries(tenant_id, location, start, end, fresh=True)
    return list(dict.fromkeys(t for entry in entries for t in entry.technician_ids))


def _by_local_day(
    entries: list[CalendarEntry], days: list[date], tz: ZoneInfo
) -> dict[date, list[CalendarEntry]]:
    """Each day's entries: those overlapping it (an entry across midnight belongs to both days)."""
    by_day: dict[date, list[CalendarEntry]] = {day: [] for day in days}
    for day in days:
        opens = first_instant_at_or_after(day, time(0), tz)
        closes = first_instant_at_or_after(day + timedelta(days=1), time(0), tz)
        by_day[day] = [entry for entry in entries if entry.start < closes and entry.end > opens]
    return by_day


def local_days(time_zone: str, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """From the local midnight starting `start`'s day to the one ending `end`'s, in the local zone."""
    tz = zone(time_zone)
    first = first_instant_at_or_after(wall_clock(start, tz).date(), time(0), tz)
    last_day = wall_clock(end - timedelta(microseconds=1), tz).date() + timedelta(days=1)
    return first.astimezone(tz), first_instant_at_or_after(last_day, time(0), tz).astimezone(tz)


def busy_time(
    ours: Iterable[Busy], shop: Iterable[CalendarEntry], *, moving: str | None = None
) -> list[Busy]:
    """Our bookings and the shop's entries as one list, each appointment once.

    A CRM entry carrying our id is our booking: counted once when one of ours holds exactly its time,
    with the technicians of both (staff may have reassigned it in the CRM: both are kept busy until
    the two agree), and left out when it is the appointment being moved (`moving`); kept as well when
    staff moved it elsewhere in the CRM, so both places stay taken until the two agree again.
    """
    busy = list(ours)
    at = {(held.start, held.end): index for index, held in enumerate(busy)}
    for entry in shop:
        if entry.our_id is not None and entry.our_id == moving:
            continue
        same = at.get((entry.start, entry.end)) if entry.our_id is not None else None
        if same is not None:
            held = busy[same]
            busy[same] = Busy(held.start, held.end, held.technician_ids | frozenset(entry.technician_ids))
            continue
        busy.append(Busy(entry.start, entry.end, frozenset(entry.technician_ids)))
    return busy
