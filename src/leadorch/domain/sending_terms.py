"""The terms one message must meet: the location's sending window AND the recipient's legal hours and cap.

`SendingTerms` joins the shop's choice (`SendingWindow`, in the location's zone) with the law
(`sending_rules`, in each of the recipient's zones) and, for a solicitation, the cap on messages to
the number per rolling period. It is the one place both the planner (`touch_timing.due_time`) and the
claim-time check (`TouchPointSchedule.claim_next_touch`) and the reminders ask "may it go at t?" and
"when next?", so a due time is never planned where the claim would refuse it.

Each limit is a daily interval in its own zone (or the cap, a sliding count). The next moment all of
them allow is found by the usual fixpoint: move to the latest of their next openings until every one
allows it. `proof` records which limits were applied to an allowed send, for the audit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from leadorch.domain.cadence import SendingWindow
from leadorch.domain.errors import NoSendingTime
from leadorch.domain.instants import (
    first_instant_at_or_after,
    instant_at,
    require_instant,
    sunday_index,
    wall_clock,
    zone,
)
from leadorch.domain.sending_rules import (
    CURRENT_RULES,
    UNKNOWN_RECIPIENT,
    LegalRule,
    RecipientContext,
    RulesTable,
)

Hours = tuple[time, time]
ALL_DAY: Hours = (time.min, time.max)
FOREVER = datetime.max.replace(tzinfo=UTC)
PLANNING_MARGIN = timedelta(minutes=30)
"""A planned touch is due at least this long before its window closes (or halfway into a shorter one),
so a tick or a worker that comes a little late still finds it inside both windows, on its day."""
SHORTEST_STRETCH = timedelta(minutes=1)
"""An allowed stretch shorter than this is not planned into (the location's window and the recipient's
hours may overlap by an instant: 20:00 in Los Angeles is 21:00 in Denver); a claim that finds itself
outside the rules waits for the next stretch at least this long, so a tick up to this late still meets it."""
_SEARCH_STEPS = 64
SEARCH_HORIZON = timedelta(days=15)
"""How far ahead the search for an allowed moment looks before it says there is none: two of every
weekday, and US zones' offsets to one another change again only at the next DST change, months away."""


@dataclass(frozen=True)
class _Daily:
    """One daily limit: allowed hours per local date in one zone."""

    label: str
    tz: ZoneInfo
    window: SendingWindow | None = None
    rule: LegalRule | None = None

    def hours_on(self, day: date) -> Hours | None:
        if self.window is not None:
            return (self.window.start, self.window.end) if sunday_index(day) in self.window.days else None
        assert self.rule is not None
        return self.rule.hours_on(day) if self.rule.in_force_on(day) else ALL_DAY

    def admits(self, moment: datetime) -> bool:
        local = wall_clock(moment, self.tz)
        hours = self.hours_on(local.date())
        return hours is not None and hours[0] <= local.time() <= hours[1]

    def next_open(self, moment: datetime) -> datetime:
        for _ in range(16):  # a week holds an open day; a few more steps for DST gaps
            local = wall_clock(moment, self.tz)
            day = local.date()
            hours = self.hours_on(day)
            if hours is not None and hours[0] <= local.time() <= hours[1]:
                return moment
            if hours is None or local.time() > hours[1]:
                day += timedelta(days=1)
                for _ in range(7):
                    if self.hours_on(day) is not None:
                        break
                    day += timedelta(days=1)
                hours = self.hours_on(day)
                if hours is None:
                    raise NoSendingTime(f"{self.label} allows no day of the week")
            moment = max(moment, first_instant_at_or_after(day, hours[0], self.tz))
        raise NoSendingTime(f"{self.label}: no opening found after {moment.isoformat()}")

    def close_of(self, moment: datetime) -> datetime:
        """The last instant of the allowed interval holding `moment` (which it admits)."""
        day = wall_clock(moment, self.tz).date()
        hours = self.hours_on(day)
        assert hours is not None
        end = instant_at(day, hours[1], self.tz)
        return end if end is not None else first_instant_at_or_after(day, hours[1], self.tz)

    def describe(self, moment: datetime) -> dict[str, Any]:
        local = wall_clock(moment, self.tz)
        hours = self.hours_on(local.date())
        allowed = "none" if hours is None else f"{hours[0]:%H:%M}–{hours[1]:%H:%M}"
        return {"zone": self.tz.key, "local_time": local.isoformat(timespec="seconds"), "allowed": allowed}


@dataclass(frozen=True)
class _Cap:
    """At most `limit` solicitations to the number in any rolling `period`."""

    rule: LegalRule
    limit: int
    period: timedelta
    sent: tuple[datetime, ...]

    def _inside(self, moment: datetime) -> list[datetime]:
        return [s for s in self.sent if moment - self.period < s <= moment]

    def admits(self, moment: datetime) -> bool:
        return len(self._inside(moment)) < self.limit

    def next_open(self, moment: datetime) -> datetime:
        inside = self._inside(moment)
        if len(inside) < self.limit:
            return moment
        # Enough of the oldest ones must fall out of the period for one more to fit.
        return max(moment, inside[len(inside) - self.limit] + self.period + timedelta(microseconds=1))

    def close_of(self, moment: datetime) -> datetime:
        return FOREVER  # only past sends count, so an allowed moment stays allowed

    @property
    def label(self) -> str:
        return f"{self.rule.rule_id} cap of {self.limit} per {self.period.total_seconds() / 3600:g} hours"


@dataclass(frozen=True)
class SendingTerms:
    """Both windows and the cap for messages from one location to one recipient."""

    window: SendingWindow
    location_zone: str
    recipient: RecipientContext = UNKNOWN_RECIPIENT
    table: RulesTable = CURRENT_RULES

    def __post_init__(self) -> None:
        zone(self.location_zone)
        for name in self.recipient.zones:
            zone(name)

    @property
    def rules(self) -> tuple[LegalRule, ...]:
        """The legal rules protecting the recipient."""
        return self.table.for_recipient(self.recipient)

    @property
    def recipient_zones(self) -> tuple[str, ...]:
        """The zones the legal hours are read in: the recipient's, or the location's when unknown."""
        return self.recipient.zones or (self.location_zone,)

    @property
    def cap_rule(self) -> LegalRule | None:
        """The strictest cap protecting the recipient (None: no cap)."""
        capped = [rule for rule in self.rules if rule.cap is not None]
        return min(capped, key=lambda rule: (rule.cap or 0) / rule.cap_period.total_seconds(), default=None)

    def _daily(self) -> list[_Daily]:
        limits = [_Daily("the location's sending window", zone(self.location_zone), window=self.window)]
        for rule in self.rules:
            limits += [
                _Daily(f"{rule.rule_id} hours in {name}", zone(name), rule=rule)
                for name in self.recipient_zones
            ]
        return limits

    def _limits(self, solicitations: Sequence[datetime] | None) -> list[_Daily | _Cap]:
        limits: list[_Daily | _Cap] = list(self._daily())
        rule = self.cap_rule
        if solicitations is not None and rule is not None and rule.cap is not None:
            sent = tuple(sorted(require_instant(s, "solicitation") for s in solicitations))
            limits.append(_Cap(rule, rule.cap, rule.cap_period, sent))
        return limits

    def admits(self, at: datetime, *, solicitations: Sequence[datetime] | None = None) -> bool:
        """Whether a message may go at `at`. `solicitations`: the solicitations already sent to the number
        (pass them for a solicitation; None for a message the cap does not count, such as a reminder)."""
        at = require_instant(at)
        return all(limit.admits(at) for limit in self._limits(solicitations))

    def next_allowed(
        self, candidate: datetime, *, solicitations: Sequence[datetime] | None = None
    ) -> datetime:
        """The earliest instant at or after `candidate` that every limit allows."""
        start = moment = require_instant(candidate, "candidate")
        limits = self._limits(solicitations)
        for _ in range(_SEARCH_STEPS):
            latest = max(limit.next_open(moment) for limit in limits)
            if latest == moment:
                return moment
            if latest - start > SEARCH_HORIZON:
                break
            moment = latest
        raise NoSendingTime(
            f"no moment after {start.isoformat()} is inside both the location's sending window "
            f"{self.window.start:%H:%M}–{self.window.end:%H:%M} ({self.location_zone}) and the recipient's "
            f"legal hours ({', '.join(self.recipient_zones)})"
        )

    def refusal(self, at: datetime, *, solicitations: Sequence[datetime] | None = None) -> str:
        """Which limits refuse a message at `at` ("" when none does)."""
        at = require_instant(at)
        return ", ".join(limit.label for limit in self._limits(solicitations) if not limit.admits(at))

    def local_date(self, instant: datetime) -> date:
        """The date clocks at the location read at `instant` (the cadence counts days by it)."""
        return wall_clock(require_instant(instant), zone(self.location_zone)).date()

    def interval_from(
        self,
        moment: datetime,
        *,
        solicitations: Sequence[datetime] | None = None,
        shortest: timedelta = timedelta(0),
    ) -> tuple[datetime, datetime]:
        """The next allowed stretch from `moment` lasting at least `shortest`: its first and last instants."""
        start = moment = require_instant(moment)
        limits = self._limits(solicitations)
        while True:
            opens = self.next_allowed(moment, solicitations=solicitations)
            closes = min(limit.close_of(opens) for limit in limits)
            if closes - opens >= shortest:
                return opens, closes
            moment = closes + timedelta(microseconds=1)
            if moment - start > SEARCH_HORIZON:
                raise NoSendingTime(
                    f"no stretch of {shortest} after {start.isoformat()} is inside both the location's "
                    f"sending window ({self.location_zone}) and the recipient's legal hours "
                    f"({', '.join(self.recipient_zones)})"
                )

    def next_plannable(
        self, moment: datetime, *, solicitations: Sequence[datetime] | None = None
    ) -> datetime:
        """The start of the next stretch a dispatcher can meet: `moment` itself when it is allowed, else the
        opening of the next allowed stretch of at least `SHORTEST_STRETCH`."""
        if self.admits(moment, solicitations=solicitations):
            return require_instant(moment)
        return self.interval_from(moment, solicitations=solicitations, shortest=SHORTEST_STRETCH)[0]

    def planned_on(
        self, day: date, preferred: time, *, solicitations: Sequence[datetime] | None = None
    ) -> datetime:
        """A due time on the location's date `day`, or the next date with an allowed moment: at the local
        time `preferred`, moved into the day's first allowed stretch and at least `PLANNING_MARGIN` (or
        half the stretch) before it closes, so a late tick still meets it on that day."""
        tz = zone(self.location_zone)
        opens, closes = self.interval_from(
            first_instant_at_or_after(day, time(0), tz),
            solicitations=solicitations,
            shortest=SHORTEST_STRETCH,
        )
        on = wall_clock(opens, tz).date()
        margin = min(PLANNING_MARGIN, (closes - opens) / 2)
        wanted = first_instant_at_or_after(on, preferred.replace(tzinfo=None), tz)
        due = min(max(wanted, opens), closes - margin)
        if not self.admits(due, solicitations=solicitations):  # a stretch broken by a DST change
            due = self.next_allowed(due, solicitations=solicitations)
        return due

    def proof(self, at: datetime, *, solicitations: Sequence[datetime] | None = None) -> dict[str, Any]:
        """Why a message at `at` is allowed: every limit applied, as read at `at`, and the cap's count."""
        at = require_instant(at)
        daily = self._daily()
        location, legal = daily[0], daily[1:]
        rule = self.cap_rule
        cap: dict[str, Any] | None = None
        if solicitations is not None and rule is not None:
            counted = [s for s in solicitations if at - rule.cap_period < require_instant(s) <= at]
            cap = {
                **rule.summary(),
                "limit": rule.cap,
                "period_hours": rule.cap_period.total_seconds() / 3600,
                "count_with_this_one": len(counted) + 1,
            }
        return {
            "rules_version": self.table.version,
            "location_window": {**self.window.to_data(), **location.describe(at)},
            "recipient": self.recipient.to_data(),
            "recipient_zones_used": list(self.recipient_zones),
            "legal_hours": [
                {
                    **limit.rule.summary(),
                    **limit.describe(at),
                    "in_force": limit.rule.in_force_on(wall_clock(at, limit.tz).date()),
                }
                for limit in legal
                if limit.rule is not None
            ],
            "solicitation": solicitations is not None,
            "cap": cap,
        }
