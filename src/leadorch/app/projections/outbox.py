"""Read model `outbox`: every message of every touch, one row per touch and channel, with its fate.

A row appears when a touch is claimed for a channel (`in_flight`) and then shows what became of it:
`sent` (with the provider's message id and, later, its delivery report), `failed` (with the reason,
and whether the address itself is bad), `suppressed` (deliberately not sent, e.g. demo mode),
`uncertain` (claimed but never confirmed: a person decides) and, once a person or a late provider
report settles it, `sent` or `not_sent`. The console's outbox and a lead's touch list read it.
`outbox_schedules` is this read model's own copy of which lead and location each schedule belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import singledispatchmethod
from typing import Any

from leadorch.app.projections.batch import Batch
from leadorch.app.projections.projection import ReadModelProjection, RowRef, aggregate_id
from leadorch.app.projections.tables import Table, instant
from leadorch.domain.schedule import TouchPointSchedule as Schedule

STATUSES = ("in_flight", "sent", "failed", "suppressed", "uncertain", "not_sent")

OUTBOX = Table(
    "outbox",
    columns=(
        ("schedule_id", "TEXT NOT NULL"),
        ("touch_number", "INTEGER NOT NULL"),
        ("channel", "TEXT NOT NULL"),
        ("tenant_id", "TEXT NOT NULL"),
        ("lead_id", "TEXT NOT NULL"),
        ("location_id", "TEXT NOT NULL"),
        ("status", "TEXT NOT NULL"),
        ("detail", "TEXT"),
        ("permanent", "BOOLEAN"),
        ("provider_message_id", "TEXT"),
        ("delivery_status", "TEXT"),
        ("delivery_error", "TEXT"),
        ("claimed_at", "TEXT NOT NULL"),
        ("settled_at", "TEXT"),
        ("updated_at", "TEXT NOT NULL"),
    ),
    key=("schedule_id", "touch_number", "channel"),
    indexes=(
        ("by_tenant_claimed", "tenant_id, claimed_at"),
        ("by_tenant_status", "tenant_id, status, claimed_at"),
        ("by_lead", "lead_id, touch_number"),
    ),
)
OUTBOX_SCHEDULES = Table(
    "outbox_schedules",
    columns=(
        ("schedule_id", "TEXT NOT NULL"),
        ("tenant_id", "TEXT NOT NULL"),
        ("lead_id", "TEXT NOT NULL"),
        ("location_id", "TEXT NOT NULL"),
    ),
    key=("schedule_id",),
)

UNCERTAIN_DETAIL = "claimed but never confirmed: it may or may not have gone out"


class OutboxProjection(ReadModelProjection):
    name = "outbox"
    tables = (OUTBOX, OUTBOX_SCHEDULES)

    @singledispatchmethod
    def handle(self, event: object, batch: Batch) -> None:
        """Other events are not about messages."""

    @handle.register
    def _started(self, event: Schedule.Started, batch: Batch) -> None:
        batch.put(
            "outbox_schedules",
            {
                "schedule_id": aggregate_id(event),
                "tenant_id": event.tenant_id,
                "lead_id": str(event.lead_id),
                "location_id": event.location_id,
            },
        )

    @handle.register
    def _claimed(self, event: Schedule.TouchClaimed, batch: Batch) -> None:
        link = batch.row("outbox_schedules", (aggregate_id(event),))
        if link is None:
            return
        for channel in event.channels:
            batch.put(
                "outbox",
                {
                    "schedule_id": link["schedule_id"],
                    "touch_number": event.touch_number,
                    "channel": str(channel),
                    "tenant_id": link["tenant_id"],
                    "lead_id": link["lead_id"],
                    "location_id": link["location_id"],
                    "status": "in_flight",
                    "claimed_at": instant(event.timestamp),
                    "updated_at": instant(event.timestamp),
                },
            )

    @handle.register
    def _sent(self, event: Schedule.TouchSent, batch: Batch) -> None:
        _settle(
            batch,
            event,
            [event.channel],
            status="sent",
            detail=None,
            provider_message_id=event.provider_message_id,
        )

    @handle.register
    def _failed(self, event: Schedule.TouchFailed, batch: Batch) -> None:
        _settle(
            batch, event, [event.channel], status="failed", detail=event.reason, permanent=not event.retriable
        )

    @handle.register
    def _suppressed(self, event: Schedule.TouchSuppressed, batch: Batch) -> None:
        _settle(batch, event, [event.channel], status="suppressed", detail=event.reason)

    @handle.register
    def _uncertain(self, event: Schedule.TouchUncertain, batch: Batch) -> None:
        _settle(batch, event, event.channels, status="uncertain", detail=UNCERTAIN_DETAIL)

    @handle.register
    def _resolved(self, event: Schedule.UncertainTouchResolved, batch: Batch) -> None:
        status = "sent" if event.outcome == "sent" else "not_sent"
        _settle(batch, event, event.channels, status=status, detail=f"settled by {event.by}")

    @handle.register
    def _delivery(self, event: Schedule.TouchDeliveryReported, batch: Batch) -> None:
        batch.update(
            "outbox",
            (aggregate_id(event), event.touch_number, event.channel),
            delivery_status=event.status,
            delivery_error=event.error_code,
            updated_at=instant(event.timestamp),
        )

    @singledispatchmethod
    def needs(self, event: object) -> Iterable[RowRef]:
        return ()

    @needs.register
    def _needs_link(self, event: Schedule.TouchClaimed) -> Iterable[RowRef]:
        return (("outbox_schedules", (aggregate_id(event),)),)


def _settle(batch: Batch, event: Any, channels: Iterable[str], *, status: str, **columns: object) -> None:
    """Record the outcome of the touch's message on each of `channels`."""
    at = instant(event.timestamp)
    number = event.touch_number
    changes = {"status": status, "settled_at": at, "updated_at": at, **columns}
    for channel in channels:
        batch.update("outbox", (aggregate_id(event), number, str(channel)), changes)
