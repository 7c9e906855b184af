"""The tenant dashboard: the funnel per location and for the tenant, speed-to-lead, over a date range.

Leads are counted in the cohort of the day they arrived on their location's clocks, as the `funnel`
read model keeps them: "of the leads received in these days, how many were contacted, engaged,
booked, lost, opted out".
Conversion is booked ÷ received; speed-to-lead is webhook received → first touch accepted by a
provider, its median over the leads that were reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from leadorch.app.console import display
from leadorch.app.console.charts import Bar, Series, bar_chart, column_chart, line_chart
from leadorch.app.console.speed_to_lead import distribution, median_ms, speeds_by_location
from leadorch.app.crm_health import CrmHealth
from leadorch.app.readmodels.funnel import MAX_DAYS, FunnelDay, funnel

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

DEFAULT_DAYS = 30
# The stages the funnel chart shows, in reading order, with their labels.
FUNNEL_STAGES: tuple[tuple[str, str], ...] = (
    ("received", "Received"),
    ("contacted", "Contacted"),
    ("engaged", "Engaged"),
    ("booked", "Booked"),
    ("lost", "Lost"),
    ("opted_out", "Opted out"),
)


class InvalidDateRange(ValueError):
    """The `from`/`to` of the dashboard are not dates, are reversed, or span too long; the message says."""


@dataclass(frozen=True)
class DateRange:
    """Days first..last, both included (each location's local dates, as the funnel counts them)."""

    first: date
    last: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=offset) for offset in range((self.last - self.first).days + 1)]

    @classmethod
    def ending(cls, last: date, days: int = DEFAULT_DAYS) -> DateRange:
        return cls(last - timedelta(days=days - 1), last)


def tenant_today(container: Container, tenant_id: str) -> date:
    """The newest local date among the tenant's locations: "today" for a dashboard whose days are the
    locations' local days (a Tokyo shop's morning is already tomorrow in UTC terms, and its leads are
    counted there). UTC's date when the tenant has no location yet."""
    now = container.clock.now()
    zones = {location.time_zone for location in container.config.locations(tenant_id)}
    local_dates = [now.astimezone(ZoneInfo(zone)).date() for zone in zones if zone]
    return max(local_dates, default=now.astimezone(UTC).date())


def parse_date_range(raw_from: str | None, raw_to: str | None, *, today: date) -> DateRange:
    """The range asked for in `?from=&to=` (YYYY-MM-DD); by default the last 30 days up to `today`."""
    last = _day(raw_to, "to") or today
    first = _day(raw_from, "from") or last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise InvalidDateRange(f"'to' ({last}) is before 'from' ({first})")
    if (last - first).days >= MAX_DAYS:
        raise InvalidDateRange(f"a range covers at most {MAX_DAYS} days, not {(last - first).days + 1}")
    return DateRange(first, last)


def _day(raw: str | None, name: str) -> date | None:
    if raw is None or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidDateRange(
            f"'{name}' must be a date written YYYY-MM-DD, not {raw.strip()[:40]!r}"
        ) from None


@dataclass(frozen=True)
class FunnelCounts:
    """How many of the leads received reached each stage."""

    received: int = 0
    contacted: int = 0
    engaged: int = 0
    booked: int = 0
    lost: int = 0
    opted_out: int = 0
    handed_to_shop: int = 0

    def plus(self, other: FunnelDay | FunnelCounts) -> FunnelCounts:
        """These counts with another day's (or location's) added."""
        return replace(self, **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def bars(self) -> list[Bar]:
        """One bar per stage; after "received", each also says its share of the leads received."""
        bars = []
        for stage, title in FUNNEL_STAGES:
            count = getattr(self, stage)
            note = str(count) if stage == "received" else f"{count} ({display.percent(count, self.received)})"
            bars.append(Bar(title, count, note=note, tone=stage.replace("_", "-")))
        return bars

    @property
    def conversion(self) -> str:
        return display.percent(self.booked, self.received)


@dataclass(frozen=True)
class FunnelPanel:
    """The funnel of the whole tenant or of one location, with its figures at a glance."""

    key: str
    title: str
    counts: FunnelCounts
    median_speed: str
    reached: int
    chart: str


@dataclass(frozen=True)
class Dashboard:
    tenant_id: str
    tenant_name: str
    range: DateRange
    overall: FunnelPanel
    locations: list[FunnelPanel]
    speed_chart: str
    daily_chart: str
    # What the tenant's ShopMonkey last said is wrong: unknown location ids, webhooks in error.
    crm_problems: list[str] = field(default_factory=list)


def build_dashboard(container: Container, tenant_id: str, date_range: DateRange) -> Dashboard:
    """Everything the dashboard shows for `tenant_id` over `date_range`."""
    config = container.config
    tenant = config.tenant(tenant_id)
    names = {location.location_id: location.name for location in config.locations(tenant_id)}
    days = funnel(container.db, tenant_id, None, date_range.first, date_range.last)
    speeds = speeds_by_location(container.db, tenant_id, date_range.first, date_range.last)

    per_location: dict[str, FunnelCounts] = {location_id: FunnelCounts() for location_id in names}
    for day in days:
        per_location[day.location_id] = per_location.get(day.location_id, FunnelCounts()).plus(day)
    total = FunnelCounts()
    for counts in per_location.values():
        total = total.plus(counts)
    all_speeds = sorted(value for values in speeds.values() for value in values)

    overall = _panel("tenant", f"All locations of {tenant.name}", total, all_speeds)
    locations = [
        _panel(location_id, names.get(location_id, location_id), counts, speeds.get(location_id, []))
        for location_id, counts in sorted(per_location.items(), key=lambda item: names.get(item[0], item[0]))
    ]
    return Dashboard(
        tenant_id=tenant_id,
        tenant_name=tenant.name,
        range=date_range,
        overall=overall,
        locations=locations,
        speed_chart=column_chart(
            [Bar(bucket.label, count, tone="speed") for bucket, count in distribution(all_speeds)],
            title=f"Speed to lead: leads first reached within each time after they arrived ({len(all_speeds)} leads)",
            width=640,
        ),
        daily_chart=_daily_chart(days, date_range),
        crm_problems=CrmHealth(container.db).problems(tenant_id),
    )


def _panel(key: str, title: str, counts: FunnelCounts, speeds: list[int]) -> FunnelPanel:
    return FunnelPanel(
        key=key,
        title=title,
        counts=counts,
        median_speed=display.duration(median_ms(speeds)),
        reached=len(speeds),
        chart=bar_chart(counts.bars(), title=f"Funnel: {title}", width=560),
    )


def _daily_chart(days: list[FunnelDay], date_range: DateRange) -> str:
    received = dict.fromkeys(date_range.days, 0)
    booked = dict.fromkeys(date_range.days, 0)
    for day in days:
        received[day.day] = received.get(day.day, 0) + day.received
        booked[day.day] = booked.get(day.day, 0) + day.booked
    labels = [f"{day:%b} {day.day}" for day in date_range.days]
    return line_chart(
        labels,
        [
            Series("Received", tuple(received[day] for day in date_range.days), tone="received"),
            Series("Booked", tuple(booked[day] for day in date_range.days), tone="booked"),
        ],
        title="Leads received per day, and how many of them booked",
        width=640,
    )
