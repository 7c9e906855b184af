"""Read model `ingest_log`: every version of every CRM order we were shown, and what we decided.

One row per `OrderIntake.OrderVersionSeen`: accepted or not, the outcome, and every reason, so an
operator can answer "why did this website quote not become a lead?" without reading the event log.
"""

from __future__ import annotations

from functools import singledispatchmethod

import msgspec

from leadorch.app.projections.batch import Batch
from leadorch.app.projections.projection import ReadModelProjection, aggregate_id
from leadorch.app.projections.tables import Table, instant
from leadorch.domain.intake import OrderIntake

INGEST_LOG = Table(
    "ingest_log",
    columns=(
        ("intake_id", "TEXT NOT NULL"),
        ("version", "INTEGER NOT NULL"),
        ("tenant_id", "TEXT NOT NULL"),
        ("order_id", "TEXT NOT NULL"),
        ("location_id", "TEXT NOT NULL"),
        ("updated_date", "TEXT NOT NULL"),
        ("source", "TEXT NOT NULL"),
        ("accepted", "BOOLEAN NOT NULL"),
        ("outcome", "TEXT NOT NULL"),
        ("reasons", "TEXT NOT NULL"),
        ("lead_id", "TEXT"),
        ("seen_at", "TEXT NOT NULL"),
    ),
    key=("intake_id", "version"),
    indexes=(("by_tenant_seen", "tenant_id, seen_at"), ("by_order", "tenant_id, order_id")),
)


class IngestLogProjection(ReadModelProjection):
    name = "ingest_log"
    tables = (INGEST_LOG,)

    @singledispatchmethod
    def handle(self, event: object, batch: Batch) -> None:
        """Other events are not about CRM orders."""

    @handle.register
    def _seen(self, event: OrderIntake.OrderVersionSeen, batch: Batch) -> None:
        batch.put(
            "ingest_log",
            {
                "intake_id": aggregate_id(event),
                "version": event.originator_version,
                "tenant_id": event.tenant_id,
                "order_id": event.order_id,
                "location_id": event.location_id,
                "updated_date": instant(event.updated_date),
                "source": event.source,
                "accepted": bool(event.accepted),
                "outcome": event.outcome,
                "reasons": msgspec.json.encode(list(event.reasons)).decode(),
                "lead_id": event.lead_id,
                "seen_at": instant(event.timestamp),
            },
        )
