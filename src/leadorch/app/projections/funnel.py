"""Read model `funnel`: per location and day, how many leads came in and how far they got.

Leads are counted in the cohort of the *local* day they arrived (`received_at` read on the clocks of
their location), so a day's row answers "of the leads this shop received that day, how many were
contacted, engaged, booked, lost, opted out": a lead arriving at 18:00 in Los Angeles (01:00 UTC the
next day) belongs to the Los Angeles date it arrived on. Each lead counts at most once per stage,
however often it re-enters it (booked, cancelled, booked again): `funnel_leads` keeps per-lead flags,
and a day's counter in `funnel_daily` goes up only when a flag turns on. Speed-to-lead (webhook
received → first touch accepted by a provider) is stored per lead in milliseconds; the query computes
p50/p95 from those values.

Where the time zone comes from, and why a replay gives the same days: from the log only, never from
configuration (a location's zone edited later must not rewrite history). `Lead.Registered` carries no
zone; the lead's `TouchPointSchedule.Started` does (`time_zone`, the location's zone when the lead
arrived), and ingestion saves both in one transaction. So a lead is first counted on its UTC day and
moved to its local day when its schedule's `Started` is seen: every counter it holds (received and
each stage flag) is taken off the old day and added to the new one, and `funnel_leads.day` changes
with it. A `Started` seen before its lead's registration leaves the zone in `funnel_schedules`, where
the registration (which reads its schedule's row, by the deterministic `ids.schedule_id`) finds it
and counts the lead on its local day straight away. A lead with no schedule stays on its UTC day.
Both orders depend only on the events and their order, so incremental processing and a rebuild agree;
a day whose counts all moved away keeps a row of zeros, which the query leaves out.

Deployment: an existing deployment must run `leadorch projections rebuild funnel` once after upgrading
to this basis. Live tables are made with `CREATE TABLE IF NOT EXISTS`, so the old `funnel_schedules`
(without its `time_zone` column) would stay, the projection's writes to it would fail, and the rows
already there would stay on UTC days; the rebuild replays the log into tables made from the current
DDL and swaps them in.

Engaged means the customer replied, chatted or booked; opted out means they withdrew consent on at
least one channel; a lead keeps the location it arrived at.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache, singledispatchmethod
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadorch.app.projections.batch import Batch
from leadorch.app.projections.projection import ReadModelProjection, RowRef, aggregate_id
from leadorch.app.projections.tables import Table, instant, parse_instant
from leadorch.domain import ids
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule as Schedule

STAGES = ("contacted", "engaged", "booked", "lost", "opted_out", "handed_to_shop")

FUNNEL_LEADS = Table(
    "funnel_leads",
    columns=(
        ("lead_id", "TEXT NOT NULL"),
        ("tenant_id", "TEXT NOT NULL"),
        ("location_id", "TEXT NOT NULL"),
        ("day", "TEXT NOT NULL"),
        ("received_at", "TEXT NOT NULL"),
        *((stage, "BOOLEAN NOT NULL") for stage in STAGES),
        ("first_touch_sent_at", "TEXT"),
        ("speed_to_lead_ms", "BIGINT"),
    ),
    key=("lead_id",),
    indexes=(("by_location_day", "tenant_id, location_id, day"),),
)
FUNNEL_DAILY = Table(
    "funnel_daily",
    columns=(
        ("tenant_id", "TEXT NOT NULL"),
        ("location_id", "TEXT NOT NULL"),
        ("day", "TEXT NOT NULL"),
        ("received", "INTEGER NOT NULL DEFAULT 0"),
        *((stage, "INTEGER NOT NULL DEFAULT 0") for stage in STAGES),
    ),
    key=("tenant_id", "location_id", "day"),
)
FUNNEL_SCHEDULES = Table(
    "funnel_schedules",
    columns=(
        ("schedule_id", "TEXT NOT NULL"),
        ("lead_id", "TEXT NOT NULL"),
        ("received_at", "TEXT"),
        ("first_touch_sent_at", "TEXT"),
        ("time_zone", "TEXT"),
    ),
    key=("schedule_id",),
)

# Which stage each lead event reaches.
_STAGE_OF: dict[type, str] = {
    Lead.Contacted: "contacted",
    Lead.ReplyRecorded: "engaged",
    Lead.ChatStarted: "engaged",
    Lead.AppointmentBooked: "booked",
    Lead.MarkedLost: "lost",
    Lead.OptedOut: "opted_out",
    Lead.HandedToShop: "handed_to_shop",
}
StageEvent = (
    Lead.Contacted
    | Lead.ReplyRecorded
    | Lead.ChatStarted
    | Lead.AppointmentBooked
    | Lead.MarkedLost
    | Lead.OptedOut
    | Lead.HandedToShop
)


class FunnelProjection(ReadModelProjection):
    name = "funnel"
    tables = (FUNNEL_LEADS, FUNNEL_DAILY, FUNNEL_SCHEDULES)
    replay_cost = 1.5

    @singledispatchmethod
    def handle(self, event: object, batch: Batch) -> None:
        """Other events do not move a lead through the funnel."""

    @handle.register
    def _registered(self, event: Lead.Registered, batch: Batch) -> None:
        received_at = instant(event.received_at)
        assert received_at is not None
        lead_id = aggregate_id(event)
        link_key = (_schedule_of(lead_id),)
        link = batch.row("funnel_schedules", link_key)  # its `Started` may have come first
        row = {
            "lead_id": lead_id,
            "tenant_id": event.tenant_id,
            "location_id": event.location_id,
            "day": cohort_day(event.received_at, None if link is None else link["time_zone"]),
            "received_at": received_at,
            **dict.fromkeys(STAGES, False),
        }
        batch.put("funnel_leads", row)
        batch.add("funnel_daily", (row["tenant_id"], row["location_id"], row["day"]), "received")
        if link is not None and link["received_at"] is None:
            batch.update("funnel_schedules", link_key, received_at=received_at)

    @handle.register
    def _reached_stage(self, event: StageEvent, batch: Batch) -> None:
        stage = _STAGE_OF[type(event)]
        key = (aggregate_id(event),)
        lead = batch.row("funnel_leads", key)
        if lead is None or lead[stage]:
            return
        batch.update("funnel_leads", key, {stage: True})
        if stage == "booked" and not lead["engaged"]:  # booking is a response too
            batch.update("funnel_leads", key, engaged=True)
            batch.add("funnel_daily", (lead["tenant_id"], lead["location_id"], lead["day"]), "engaged")
        batch.add("funnel_daily", (lead["tenant_id"], lead["location_id"], lead["day"]), stage)

    @handle.register
    def _schedule_started(self, event: Schedule.Started, batch: Batch) -> None:
        lead_key = (str(event.lead_id),)
        lead = batch.row("funnel_leads", lead_key)
        batch.put(
            "funnel_schedules",
            {
                "schedule_id": aggregate_id(event),
                "lead_id": str(event.lead_id),
                "received_at": None if lead is None else lead["received_at"],
                "time_zone": event.time_zone,
            },
        )
        if lead is None:
            return  # the registration, when it comes, reads the zone from the row just put
        received_at = parse_instant(lead["received_at"])
        assert received_at is not None
        local_day = cohort_day(received_at, event.time_zone)
        if local_day == lead["day"]:
            return
        # Counted on its UTC day so far: every counter the lead holds moves to its local day.
        old_day = (lead["tenant_id"], lead["location_id"], lead["day"])
        new_day = (lead["tenant_id"], lead["location_id"], local_day)
        for counter in ("received", *(stage for stage in STAGES if lead[stage])):
            batch.add("funnel_daily", old_day, counter, -1)
            batch.add("funnel_daily", new_day, counter)
        batch.update("funnel_leads", lead_key, day=local_day)

    @handle.register
    def _touch_sent(self, event: Schedule.TouchSent | Schedule.UncertainTouchResolved, batch: Batch) -> None:
        if isinstance(event, Schedule.UncertainTouchResolved) and event.outcome != "sent":
            return
        key = (aggregate_id(event),)
        link = batch.row("funnel_schedules", key)
        if link is None or link["first_touch_sent_at"] is not None:
            return
        sent_at = instant(event.timestamp)
        batch.update("funnel_schedules", key, first_touch_sent_at=sent_at)
        received_at = parse_instant(link["received_at"])
        if received_at is None:
            return
        elapsed_ms = round((event.timestamp - received_at).total_seconds() * 1000)
        batch.update(
            "funnel_leads",
            (link["lead_id"],),
            first_touch_sent_at=sent_at,
            speed_to_lead_ms=max(0, elapsed_ms),
        )

    @singledispatchmethod
    def needs(self, event: object) -> Iterable[RowRef]:
        return ()

    @needs.register
    def _needs_registered(self, event: Lead.Registered) -> Iterable[RowRef]:
        return (("funnel_schedules", (_schedule_of(aggregate_id(event)),)),)

    @needs.register
    def _needs_lead(self, event: StageEvent) -> Iterable[RowRef]:
        return (("funnel_leads", (aggregate_id(event),)),)

    @needs.register
    def _needs_started(self, event: Schedule.Started) -> Iterable[RowRef]:
        return (("funnel_leads", (str(event.lead_id),)),)

    @needs.register
    def _needs_link(self, event: Schedule.TouchSent | Schedule.UncertainTouchResolved) -> Iterable[RowRef]:
        return (("funnel_schedules", (aggregate_id(event),)),)


def cohort_day(received_at: datetime, time_zone: str | None) -> str:
    """The date (YYYY-MM-DD) a lead received at `received_at` counts on: local in `time_zone`.

    Without a zone (no schedule seen yet), or with one this machine's time-zone database does not
    know, the UTC date: the lead still counts, on the day a replay would give it too.
    """
    zone = _zone(time_zone) if time_zone else None
    return received_at.astimezone(zone or UTC).date().isoformat()


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _schedule_of(lead_id: str) -> str:
    """The id of the lead's schedule, as the `Started` event's row is keyed (one schedule per lead)."""
    return str(ids.schedule_id(lead_id))
