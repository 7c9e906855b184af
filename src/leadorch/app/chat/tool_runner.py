"""Runs the tools the assistant asks for, on the server, for the session's own lead and location only.

Whatever the model sends is validated here: unknown tools, and inputs that break the tool's Struct
(`app/chat/tools.py`: unknown or missing fields, wrong types, malformed dates), unknown or not-bookable
services, past times, times outside opening hours or already taken all come back as an
`{"error": ...}` tool result the assistant can explain (never an exception, never a stack trace). The
tenant, lead and location are fixed by the session, not by the tool input, and prices always come from
the catalog: no tool input can carry a price, a discount or another customer's id.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from msgspec import UNSET, UnsetType

from leadorch.app.booking.service import BookingRefused, BookingService, CalendarUnavailable, SlotTaken
from leadorch.app.booking.wording import appointment_view, local, local_iso, slot_label, zoned_label
from leadorch.app.chat.handoff import hand_off
from leadorch.app.chat.tools import (
    PARTS_OF_DAY,
    BookAppointment,
    CancelAppointment,
    FindSlots,
    HandoffToHuman,
    InvalidToolInput,
    ListServices,
    RescheduleAppointment,
    ToolInput,
    read_input,
    time_of_day,
)
from leadorch.app.config.models import DEFAULT_CATALOG_GENERIC_WORDS, CatalogEntry, LocationConfig
from leadorch.app.eventstore.store import NotFound
from leadorch.domain.appointment import Appointment
from leadorch.domain.booking_request import asks_to_book, confirms
from leadorch.domain.errors import DomainError
from leadorch.domain.instants import first_instant_at_or_after, instant_at, zone
from leadorch.domain.lead import Lead
from leadorch.domain.service_match import ServiceMatch, match_services

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

MAX_SLOTS = 6
DEFAULT_SEARCH = timedelta(days=14)
MAX_SEARCH = timedelta(days=31)
ALTERNATIVES_SEARCH = timedelta(days=7)
MAX_QUESTION_CHARS = 1000
_SLOT_BUTTON = re.compile(r"\((\d{4}-\d{2}-\d{2}T[^()]+)\)\s*$")
"""The start a slot button's message ends with: "Book Fri Nov 27, 10:00 AM PST (2026-11-27T10:00:00-08:00)"."""
MAX_DISTANCE = timedelta(days=3 * 366)
"""Instants further than this from now are not dates a customer means (and may overflow the arithmetic)."""


@dataclass(frozen=True)
class ToolOutcome:
    """A tool's result for the assistant, and what the customer's page should show because of it."""

    result: dict[str, Any]
    slots: list[dict[str, str]] | None = None
    appointment: dict[str, Any] | None = None
    handed_off: bool = False

    @property
    def is_error(self) -> bool:
        return "error" in self.result


@dataclass
class ChatContext:
    """The session's fixed facts: whose conversation it is and where they would come in."""

    container: Container
    tenant_id: str
    lead_id: UUID
    location: LocationConfig
    catalog: list[CatalogEntry]
    requested: tuple[str, ...] = ()
    previous_service_ids: list[str] = field(default_factory=list)
    customer_texts: tuple[str, ...] = ()
    """What the customer wrote, newest first."""
    generic_words: frozenset[str] = frozenset(DEFAULT_CATALOG_GENERIC_WORDS)
    """The tenant's words that do not tell its services apart (`TenantConfig.catalog_generic_words`)."""


class ToolRunner:
    """The six chat tools over one `ChatContext`."""

    def __init__(self, context: ChatContext, booking: BookingService) -> None:
        self.context = context
        self.booking = booking
        self.location = context.location
        self.tz = context.location.time_zone
        self._by_id = {entry.service_id: entry for entry in context.catalog}
        self._calendar_handed_off = False

    def run(self, name: str, tool_input: object) -> ToolOutcome:
        """Run tool `name` on `tool_input` as the model sent it; every failure becomes an error result."""
        try:
            return self._run(read_input(name, tool_input))
        except InvalidToolInput as problem:
            return _error(str(problem))
        except CalendarUnavailable as unread:
            return self._calendar_unavailable(unread)
        except (DomainError, NotFound) as refused:
            return _error(str(refused))
        except Exception:
            log.exception("chat tool %s failed", name, extra={"tenant_id": self.context.tenant_id})
            return _error("the tool failed unexpectedly; apologise and offer to have the team call back")

    def _run(self, request: ToolInput) -> ToolOutcome:
        match request:
            case ListServices():
                return self.list_services()
            case FindSlots():
                return self.find_slots(request)
            case BookAppointment():
                return self.book_appointment(request)
            case RescheduleAppointment():
                return self.reschedule_appointment(request)
            case CancelAppointment():
                return self.cancel_appointment(request)
            case HandoffToHuman():
                return self.handoff_to_human(request)
        raise AssertionError(f"no handler for {type(request).__name__}")

    # ------------------------------------------------------------------------------------- tools

    def list_services(self) -> ToolOutcome:
        return ToolOutcome(
            {
                "services": [
                    {
                        "id": entry.service_id,
                        "name": entry.name,
                        "price_cents": entry.price_cents,
                        "duration_minutes": entry.duration_minutes,
                        "description": entry.description,
                        "bookable": entry.bookable,
                    }
                    for entry in self.context.catalog
                ],
                # the words that do not tell this shop's services apart, so a reader (the offline
                # assistant) matches "the premium one" on the words that do
                "generic_words": sorted(self.context.generic_words),
                "asked_for": self._asked_for(),
            }
        )

    def _asked_for(self) -> dict[str, Any]:
        """What the customer asked a quote for, the service it names (if one) and what it rules out, so
        "all windows except windshield" is never quoted the windshield."""
        request = " ".join(self.context.requested)
        match = self._match(request, self.context.catalog)
        ruled_out = self._ruled_out()
        return {
            "quote_request": request,
            "service_id": match.named if match.named not in ruled_out else None,
            "ruled_out": [
                entry.service_id for entry in self.context.catalog if entry.service_id in ruled_out
            ],
        }

    def find_slots(self, request: FindSlots) -> ToolOutcome:
        """The free times the question asks about: the days, then the times of day, then the few to show.

        The times of day (`part_of_day`, `after_time`, `before_time`) filter every free time before the
        ones to show are chosen, so "afternoon" never comes back as a morning-heavy sample. An exact
        `time` is looked up itself: when it is free it is the answer (and bookable); when not, the
        result says why and offers the nearest free times instead.
        """
        now = self._now()
        start, end, single_day = self._range(request, now)
        services = self._services(request.service_ids, request.service)
        duration = _duration(services)
        times = _TimesOfDay.of(request)
        found = self.booking.open_slots(self.context.tenant_id, self.location, duration, start, end)
        wanted = [slot for slot in found if times.admits(local(slot, self.tz).time())]
        result: dict[str, Any] = {
            "services": [
                {"id": e.service_id, "name": e.name, "duration_minutes": e.duration_minutes} for e in services
            ],
            "service_ids": [entry.service_id for entry in services],
            "time_zone": self.tz,
        }
        if times.exact is not None:
            chosen, result["requested_time"] = self._exact(times.exact, wanted, duration, start, single_day)
        else:
            chosen = _spread(wanted, MAX_SLOTS, self.tz, earliest_days=not single_day)
        slots = [self._slot(slot, duration) for slot in chosen]
        result["slots"] = slots
        result["free_times_found"] = len(wanted)
        if not slots:
            result["note"] = self._no_slots_note(start, end, single_day, filtered=len(found) > 0)
        return ToolOutcome(result, slots=[_button(slot) for slot in slots])

    def _exact(
        self, wanted_time: time, free: list[datetime], duration: timedelta, start: datetime, single_day: bool
    ) -> tuple[list[datetime], dict[str, Any]]:
        """The slots and the answer for an exact time of day: free on the days searched, or why not."""
        label = f"{_clock_label(wanted_time)} {local(start, self.tz).tzname()}"
        exact = [slot for slot in free if local(slot, self.tz).time() == wanted_time]
        if exact:
            return exact[:MAX_SLOTS], {"time": label, "free": True}
        answer: dict[str, Any] = {"time": label, "free": False}
        day = local(start, self.tz).date()
        moment = instant_at(day, wanted_time, zone(self.tz)) if single_day else None
        if moment is not None:
            why = self.booking.why_not(self.context.tenant_id, self.location, duration, moment)
            answer["reason"] = why or f"{slot_label(moment, self.tz)} is not free"
        else:
            answer["reason"] = f"{label} is not free on any of the days searched"
        if single_day:
            nearest = sorted(sorted(free, key=lambda slot: _apart(slot, wanted_time, self.tz))[:MAX_SLOTS])
        else:
            nearest = _nearest_each_day(free, wanted_time, self.tz)[:MAX_SLOTS]
        if nearest:
            answer["hint"] = "offer the nearest free times instead"
        return nearest, answer

    def book_appointment(self, request: BookAppointment) -> ToolOutcome:
        start = self._instant(request.start, "start")
        if not asks_to_book(self._latest()):
            return self._not_asked(start, "book")
        if (picked := self._picked()) is not None and picked != start:
            return self._other_pick(picked)
        services = self._services(request.service_ids, UNSET)
        try:
            appointment = self.booking.book(
                tenant_id=self.context.tenant_id,
                lead_id=self.context.lead_id,
                location=self.location,
                services=[entry.service_line() for entry in services],
                start=start,
            )
        except SlotTaken as taken:
            return self._taken(taken.reason, _duration(services), start)
        except BookingRefused as refused:
            return _error(str(refused))
        view = appointment_view(appointment, self.tz)
        return ToolOutcome({"appointment": view}, appointment=view)

    def reschedule_appointment(self, request: RescheduleAppointment) -> ToolOutcome:
        start = self._instant(request.start, "start")
        if not asks_to_book(self._latest()):
            return self._not_asked(start, "move the appointment")
        if (picked := self._picked()) is not None and picked != start:
            return self._other_pick(picked)
        try:
            appointment = self.booking.reschedule(
                tenant_id=self.context.tenant_id,
                lead_id=self.context.lead_id,
                location=self.location,
                start=start,
            )
        except SlotTaken as taken:
            lead_appointment = self._current()
            duration = lead_appointment.duration if lead_appointment is not None else timedelta(hours=1)
            return self._taken(taken.reason, duration, start)
        except BookingRefused as refused:
            return _error(str(refused))
        view = appointment_view(appointment, self.tz)
        return ToolOutcome({"appointment": view}, appointment=view)

    def cancel_appointment(self, request: CancelAppointment) -> ToolOutcome:
        """Cancels only what the customer confirmed: `confirmed`, and a yes in their latest message (a
        customer's "cancel my appointment" is answered with the question, and their "yes" cancels)."""
        current = self._current()
        if current is None:
            return _error("there is no booked appointment to cancel")
        if not (request.confirmed and confirms(self._latest())):
            services = ", ".join(service.name for service in current.services)
            return ToolOutcome(
                {
                    "error": "ask the customer to confirm: cancel only once their reply says yes, then call "
                    "cancel_appointment with confirmed: true",
                    "confirm_question": f"Cancel your {services} appointment on "
                    f"{zoned_label(current.start, self.tz)}?",
                }
            )
        try:
            appointment = self.booking.cancel(
                tenant_id=self.context.tenant_id,
                lead_id=self.context.lead_id,
                reason="the customer cancelled in the chat",
            )
        except BookingRefused as refused:
            return _error(str(refused))
        view = appointment_view(appointment, self.tz)
        return ToolOutcome({"appointment": view}, appointment=view)

    def handoff_to_human(self, request: HandoffToHuman) -> ToolOutcome:
        question = " ".join(request.question.split())
        if not question:
            raise InvalidToolInput("question must say what the customer needs")
        hand_off(
            self.context.container,
            tenant_id=self.context.tenant_id,
            lead_id=self.context.lead_id,
            question=question[:MAX_QUESTION_CHARS],
            pause=True,
        )
        phone = f" The customer can also call {self.location.phone}." if self.location.phone else ""
        return ToolOutcome(
            {
                "handed_off": True,
                "message": f"The team at {self.location.name} will get back to the customer soon.{phone}",
            },
            handed_off=True,
        )

    # --------------------------------------------------------------------------------- services

    def _services(self, ids: list[str] | UnsetType, service: str | UnsetType) -> list[CatalogEntry]:
        """The services a slot search or booking is for (see the order of the fallbacks below); never
        one the customer ruled out ("all windows except windshield") nor one not bookable online."""
        if ids is not UNSET:
            return [self._bookable(self._wanted(self._known(i))) for i in dict.fromkeys(ids)]
        if service is not UNSET:
            return [self._bookable(self._wanted(self._named(service)))]
        ruled_out = self._ruled_out()
        previous = [self._by_id.get(i) for i in self.context.previous_service_ids]
        if previous and all(e is not None and e.bookable and e.service_id not in ruled_out for e in previous):
            return [entry for entry in previous if entry is not None]
        bookable = [e for e in self.context.catalog if e.bookable and e.service_id not in ruled_out]
        for said in self.context.customer_texts:
            # The customer named it, even if the model did not pass it on ("how much is the premium?",
            # then "any time Friday?"): the most recent message naming exactly one service decides.
            named = self._match(said, bookable).named
            if named is not None:
                return [self._by_id[named]]
        asked = self._match(" ".join(self.context.requested), bookable)
        if asked.named is not None:
            return [self._by_id[asked.named]]
        if len(bookable) == 1:
            return bookable
        raise InvalidToolInput(
            "which service is it for? We can book these online: "
            + ", ".join(entry.name for entry in bookable)
        )

    def _match(self, text: str, entries: list[CatalogEntry]) -> ServiceMatch:
        names = {entry.service_id: entry.name for entry in entries}
        return match_services(text, names, self.context.generic_words)

    def _ruled_out(self) -> frozenset[str]:
        """The services the customer ruled out ("except windshield"), in their messages or their quote
        request, unless a newer message names the service again."""
        decided: dict[str, bool] = {}
        for text in (*self.context.customer_texts, " ".join(self.context.requested)):
            match = self._match(text, self.context.catalog)
            for service_id in match.excluded:
                decided.setdefault(service_id, True)
            if match.named is not None:
                decided.setdefault(match.named, False)
        return frozenset(service_id for service_id, out in decided.items() if out)

    def _wanted(self, entry: CatalogEntry) -> CatalogEntry:
        if entry.service_id in self._ruled_out():
            raise InvalidToolInput(
                f"the customer ruled out {entry.name} (they asked for other work, not this one); use the "
                "service they asked for, or ask which one they mean"
            )
        return entry

    def _known(self, service_id: str) -> CatalogEntry:
        entry = self._by_id.get(service_id)
        if entry is None:
            raise InvalidToolInput(
                f"there is no service with id {service_id!r} at this shop; use list_services"
            )
        return entry

    def _bookable(self, entry: CatalogEntry) -> CatalogEntry:
        if not entry.bookable:
            call = f" at {self.location.phone}" if self.location.phone else ""
            raise InvalidToolInput(
                f"{entry.name} can't be booked online; the customer can call the shop{call} for it"
            )
        return entry

    def _named(self, name: str) -> CatalogEntry:
        """The service the model named: by its exact name, else the one its words name (what the
        customer ruled out does not count: "ceramic tint" is not the windshield's for "except
        windshield")."""
        wanted = " ".join(name.lower().split())
        if not wanted:
            raise InvalidToolInput("service must name a service")
        for entry in self.context.catalog:
            if entry.name.lower() == wanted:
                return entry
        ruled_out = self._ruled_out()
        possible = [e for e in self.context.catalog if e.service_id not in ruled_out]
        containing = [e for e in possible if wanted in e.name.lower() or e.name.lower() in wanted]
        if len(containing) == 1:
            return containing[0]
        best = self._match(wanted, possible).named
        if best is not None:
            return self._by_id[best]
        names = ", ".join(entry.name for entry in possible)
        raise InvalidToolInput(f"there is no single service called {name!r}; the services are: {names}")

    # ------------------------------------------------------------------------------------- times

    def _now(self) -> datetime:
        now: datetime = self.context.container.clock.now()
        return now

    def _range(self, request: FindSlots, now: datetime) -> tuple[datetime, datetime, bool]:
        """[start, end) to search and whether it is one day: never before now, nor past the horizon.

        `after_date` and `before_date` are exclusive ("before Friday" ends at Friday's midnight) and
        narrow a `from`/`to` range when both are given; a range with no end runs a week from its start
        (two weeks when nothing bounds it at all)."""
        day, since, until = request.date, request.from_, request.to
        after_day, before_day = request.after_date, request.before_date
        ranged = any(value is not UNSET for value in (since, until, after_day, before_day))
        if day is not UNSET and ranged:
            raise InvalidToolInput(
                "give either a date or a from/to range (after_date/before_date are a range too), not both"
            )
        tz = zone(self.tz)
        today = local(now, self.tz).date()
        last_day = local(self._latest_start(now), self.tz).date()
        single_day = day is not UNSET
        if day is not UNSET:
            self._bookable_day(day, today, last_day)
            start = first_instant_at_or_after(day, time(0), tz)
            end = first_instant_at_or_after(day + timedelta(days=1), time(0), tz)
        elif ranged:
            first = self._instant(since, "from") if since is not UNSET else None
            last = self._instant(until, "to") if until is not UNSET else None
            if after_day is not UNSET:
                self._bookable_day(min(max(after_day, today), last_day) + timedelta(days=1), today, last_day)
                day_after = first_instant_at_or_after(max(after_day, today) + timedelta(days=1), time(0), tz)
                first = day_after if first is None else max(first, day_after)
            if before_day is not UNSET:
                that_day = first_instant_at_or_after(
                    min(before_day, last_day + timedelta(days=1)), time(0), tz
                )
                last = that_day if last is None else min(last, that_day)
            if first is not None and first > self._latest_start(now):
                self._bookable_day(local(first, self.tz).date(), today, last_day)
            start = first if first is not None else now
            if last is not None:
                end = last
            else:
                end = start + (timedelta(days=7) if since is not UNSET else DEFAULT_SEARCH)
            if now < end <= start:
                if after_day is not UNSET or before_day is not UNSET:
                    raise InvalidToolInput("no day is in that range: the range ends before it starts")
                raise InvalidToolInput("to must be after from")
        else:
            start, end = now, now + DEFAULT_SEARCH
        if end <= now:
            raise InvalidToolInput(
                f"that time has passed (today is {today.isoformat()} at the shop); ask about a later date"
            )
        start = max(start, now)
        end = min(end, self._latest_start(now) + timedelta(minutes=1))
        if end - start > MAX_SEARCH:
            raise InvalidToolInput(f"search at most {MAX_SEARCH.days} days at a time")
        return start, end, single_day

    def _latest_start(self, now: datetime) -> datetime:
        return now + self.location.booking_horizon

    def _bookable_day(self, day: date, today: date, last_day: date) -> None:
        """Refuse a day before today or after the booking horizon, saying which days can be booked."""
        if day < today:
            raise InvalidToolInput(
                f"that time has passed (today is {today.isoformat()} at the shop); ask about a later date"
            )
        if day > last_day:
            raise InvalidToolInput(
                f"{day.isoformat()} is too far ahead: appointments can be booked up to "
                f"{self.location.booking_horizon_days} days ahead, until {last_day.isoformat()}; "
                "offer a date up to then"
            )

    def _instant(self, moment: datetime, name: str) -> datetime:
        """`moment` as an instant: without an offset it is the shop's wall-clock time. Years away from
        now (the model's "9999-12-31") it is refused before any date arithmetic can overflow."""
        out_of_range = InvalidToolInput(f"{name} {moment.isoformat()} is out of range; use a date near today")
        try:
            if moment.tzinfo is None:
                exact = instant_at(moment.date(), moment.time(), zone(self.tz))
                if exact is None:
                    raise InvalidToolInput(
                        f"{name} {moment.isoformat()} does not exist at the shop (a daylight-saving change)"
                    )
            else:
                exact = moment.astimezone(UTC)
        except OverflowError:
            raise out_of_range from None
        if abs(exact - self._now()) > MAX_DISTANCE:
            raise out_of_range
        return exact

    def _slot(self, start: datetime, duration: timedelta) -> dict[str, str]:
        return {
            "start": local_iso(start, self.tz),
            "end": local_iso(start + duration, self.tz),
            "label": zoned_label(start, self.tz),
        }

    def _taken(self, reason: str, duration: timedelta, wanted: datetime) -> ToolOutcome:
        """A refused time: the reason, and the nearest free times instead."""
        now = self._now()
        tz = zone(self.tz)
        # Around the wanted time, or the last week of the horizon when it is too far ahead.
        around = max(now, min(wanted, self._latest_start(now) - ALTERNATIVES_SEARCH))
        day_start = first_instant_at_or_after(local(around, self.tz).date(), time(0), tz)
        found = self.booking.open_slots(
            self.context.tenant_id,
            self.location,
            duration,
            max(day_start, now),
            max(day_start, now) + ALTERNATIVES_SEARCH,
        )
        nearest = sorted(sorted(found, key=lambda slot: abs(slot - wanted))[:MAX_SLOTS])
        slots = [self._slot(slot, duration) for slot in nearest]
        result: dict[str, Any] = {"error": reason, "slots": slots}
        if slots:
            result["hint"] = "offer these free times instead"
        return ToolOutcome(result, slots=[_button(slot) for slot in slots])

    def _calendar_unavailable(self, unread: CalendarUnavailable) -> ToolOutcome:
        """No time can be verified: the customer is told, the staff are asked to call back (once a turn)."""
        log.warning("chat: %s", unread.reason, extra={"tenant_id": self.context.tenant_id})
        first = not self._calendar_handed_off
        if first:
            hand_off(
                self.context.container,
                tenant_id=self.context.tenant_id,
                lead_id=self.context.lead_id,
                question=f"{unread.reason[:300]}, so the chat could not offer or book a time; "
                "please call the customer back to book.",
                pause=False,
            )
            self._calendar_handed_off = True
        result: dict[str, Any] = {
            "error": "the shop's calendar cannot be checked right now, so no time can be offered or booked",
            "calendar_unavailable": True,
            "handed_off": True,
            "message": f"Tell the customer; the team at {self.location.name} will call them back to book.",
        }
        if self.location.phone:
            result["shop_phone"] = self.location.phone
        return ToolOutcome(result, handed_off=first)

    def _no_slots_note(self, start: datetime, end: datetime, single_day: bool, *, filtered: bool) -> str:
        """Why nothing is offered: closed, full, or free only at other times of day than asked."""
        others = " at other times of day; ask if another time works" if filtered else ""
        if single_day:
            day = local(start, self.tz).date()
            if not self.location.business_hours().intervals_on(day):
                return f"the shop is closed on {day:%A %B} {day.day}; try another day"
            if filtered:
                return f"no openings at the times asked on {day:%A %B} {day.day}, only{others}"
            return f"no openings left on {day:%A %B} {day.day}; try another day"
        if filtered:
            return f"no openings at the times asked in that range, only{others}"
        return "no openings in that range; try later dates"

    def _latest(self) -> str:
        """The customer's latest message: what a booking, a move or a cancellation must be asked in."""
        return self.context.customer_texts[0] if self.context.customer_texts else ""

    def _picked(self) -> datetime | None:
        """The exact start of the slot button the customer pressed in their latest message, if any."""
        pressed = _SLOT_BUTTON.search(self._latest())
        if pressed is None:
            return None
        try:
            return self._instant(datetime.fromisoformat(pressed.group(1)), "the pressed slot's start")
        except (ValueError, InvalidToolInput):
            return None

    def _other_pick(self, picked: datetime) -> ToolOutcome:
        """The model chose another time than the button the customer pressed: the button decides."""
        return _error(
            f"the customer pressed the button for {zoned_label(picked, self.tz)}; use that slot's start, "
            f"{local_iso(picked, self.tz)}"
        )

    def _not_asked(self, start: datetime, change: str) -> ToolOutcome:
        """Refuse a booking or move the customer's latest message did not ask for (a question about a
        time, a thank-you…): the model should offer the time and ask, and the customer's yes books it."""
        return ToolOutcome(
            {
                "error": f"the customer has not asked to {change}; offer the time and ask "
                f"(their latest message is not a request or a yes)",
                "offer": zoned_label(start, self.tz),
            }
        )

    def _current(self) -> Appointment | None:
        lead = self.context.container.store.load(self.context.lead_id, Lead, self.context.tenant_id)
        return self.booking.current_appointment(self.context.tenant_id, lead)


@dataclass(frozen=True)
class _TimesOfDay:
    """The times of day a slot search asks for: [since, until) in shop time, and an exact time."""

    since: time = time(0)
    until: time | None = None
    exact: time | None = None

    @classmethod
    def of(cls, request: FindSlots) -> _TimesOfDay:
        since, until = time(0), None
        if request.part_of_day is not UNSET:
            since, until = PARTS_OF_DAY[request.part_of_day]
        if request.after_time is not UNSET:
            since = max(since, time_of_day(request.after_time))
        if request.before_time is not UNSET:
            before = time_of_day(request.before_time)
            until = before if until is None else min(until, before)
        if until is not None and until <= since:
            raise InvalidToolInput(
                "no time of day is in that window (after_time, before_time and part_of_day leave nothing)"
            )
        exact = time_of_day(request.time) if request.time is not UNSET else None
        times = cls(since=since, until=until, exact=exact)
        if exact is not None and not times.admits(exact):
            raise InvalidToolInput(
                f"time {request.time} is outside the part of the day or the times asked; drop one of them"
            )
        return times

    def admits(self, at: time) -> bool:
        return self.since <= at and (self.until is None or at < self.until)


def _clock_label(at: time) -> str:
    """'2:00 PM'."""
    return f"{at.hour % 12 or 12}:{at:%M} {'AM' if at.hour < 12 else 'PM'}"


def _apart(slot: datetime, wanted: time, time_zone: str) -> int:
    """Minutes between the slot's local time of day and `wanted`."""
    at = local(slot, time_zone)
    return abs(at.hour * 60 + at.minute - (wanted.hour * 60 + wanted.minute))


def _nearest_each_day(slots: list[datetime], wanted: time, time_zone: str) -> list[datetime]:
    """Per day with openings, the free time closest to `wanted`, earliest day first."""
    best: dict[date, datetime] = {}
    for slot in slots:
        day = local(slot, time_zone).date()
        if day not in best or _apart(slot, wanted, time_zone) < _apart(best[day], wanted, time_zone):
            best[day] = slot
    return sorted(best.values())


def _duration(services: list[CatalogEntry]) -> timedelta:
    return timedelta(minutes=sum(entry.duration_minutes for entry in services))


def _button(slot: dict[str, str]) -> dict[str, str]:
    return {"start": slot["start"], "label": slot["label"]}


def _error(reason: str) -> ToolOutcome:
    return ToolOutcome({"error": reason})


def _spread(slots: list[datetime], limit: int, time_zone: str, *, earliest_days: bool) -> list[datetime]:
    """At most `limit` slots: from the earliest days with openings (for open-ended searches), preferring
    whole hours, spread evenly over the day so mornings and afternoons are both offered."""
    if len(slots) <= limit:
        return slots
    if earliest_days:
        by_day: dict[date, list[datetime]] = {}
        for slot in slots:
            by_day.setdefault(local(slot, time_zone).date(), []).append(slot)
        kept: list[datetime] = []
        for day_slots in by_day.values():
            kept += day_slots
            if len(kept) >= limit:
                break
        slots = kept
    on_the_hour = [slot for slot in slots if local(slot, time_zone).minute == 0]
    if len(on_the_hour) >= limit:
        slots = on_the_hour
    if len(slots) <= limit:
        return slots
    step = (len(slots) - 1) / (limit - 1)
    return [slots[round(i * step)] for i in range(limit)]
