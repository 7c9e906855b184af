"""Read model `funnel`: per location and day, how many leads came in and how far they got.

Leads are counted in the cohort of the UTC day they arrived (`received_at`), so a day's row answers
"of the leads received that day, how many were contacted, engaged, booked, lost, opted out". Each lead
counts at most once per stage, however often it re-enters it (booked, cancelled, booked again):
`funnel_leads` keeps per-lead flags, and a day's counter in `funnel_daily` goes up only when a flag
turns on. Speed-to-lead (webhook received → first touch accepted by a provider) is stored per lead in
milliseconds; the query computes p50/p95 from those values.

Engaged means the customer replied, chatted or booked; opted out means they withdrew consent on at
least one channel; a lead keeps the location it arrived at.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import singledispatchmethod

from leadorch.app.projections.batch import Batch
from leadorch.app.projections.projection import Projection, RowRef, aggregate_id
from leadorch.app.projections.tables import Table, instant, parse_instant
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


class FunnelProjection(Projection):
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
        row = {
            "lead_id": aggregate_id(event),
            "tenant_id": event.tenant_id,
            "location_id": event.location_id,
            "day": received_at[:10],
            "received_at": received_at,
            **dict.fromkeys(STAGES, False),
        }
        batch.put("funnel_leads", row)
        batch.add("funnel_daily", (row["tenant_id"], row["location_id"], row["day"]), "received")

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
        lead = batch.row("funnel_leads", (str(event.lead_id),))
        batch.put(
            "funnel_schedules",
            {
                "schedule_id": aggregate_id(event),
                "lead_id": str(event.lead_id),
                "received_at": None if lead is None else lead["received_at"],
            },
        )

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
    def _needs_lead(self, event: StageEvent) -> Iterable[RowRef]:
        return (("funnel_leads", (aggregate_id(event),)),)

    @needs.register
    def _needs_started(self, event: Schedule.Started) -> Iterable[RowRef]:
        return (("funnel_leads", (str(event.lead_id),)),)

    @needs.register
    def _needs_link(self, event: Schedule.TouchSent | Schedule.UncertainTouchResolved) -> Iterable[RowRef]:
        return (("funnel_schedules", (aggregate_id(event),)),)
