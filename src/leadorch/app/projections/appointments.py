"""Read model `appointments`: each location's calendar, with every appointment's CRM sync state.

`crm_sync` mirrors `Appointment.needs_crm_sync`: `pending` after a booking, a reschedule or a
cancellation until the CRM confirms (`synced`); a failed attempt keeps it `pending` with the error
shown, a permanent failure makes it `failed` (a person must look).
"""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any

import msgspec

from leadorch.app.projections.batch import Batch
from leadorch.app.projections.projection import ReadModelProjection, aggregate_id
from leadorch.app.projections.tables import Table, instant
from leadorch.domain.appointment import Appointment

APPOINTMENTS = Table(
    "appointments",
    columns=(
        ("appointment_id", "TEXT NOT NULL"),
        ("tenant_id", "TEXT NOT NULL"),
        ("lead_id", "TEXT NOT NULL"),
        ("location_id", "TEXT NOT NULL"),
        ("status", "TEXT NOT NULL"),
        ("status_reason", "TEXT"),
        ("start_at", "TEXT NOT NULL"),
        ("end_at", "TEXT NOT NULL"),
        ("services", "TEXT NOT NULL"),
        ("price_cents", "BIGINT NOT NULL"),
        ("booked_at", "TEXT NOT NULL"),
        ("crm_sync", "TEXT NOT NULL"),
        ("crm_appointment_id", "TEXT"),
        ("crm_sync_error", "TEXT"),
        ("updated_at", "TEXT NOT NULL"),
        # The customer's answer as the shop's CRM records it (confirmed, declined, no_response), if any.
        ("shop_confirmation", "TEXT"),
    ),
    key=("appointment_id",),
    indexes=(
        ("by_calendar", "tenant_id, location_id, start_at"),
        ("by_lead", "lead_id"),
        ("by_crm_sync", "crm_sync"),
    ),
)

AppointmentChange = (
    Appointment.Rescheduled
    | Appointment.RescheduledByShop
    | Appointment.Cancelled
    | Appointment.CancelledByShop
    | Appointment.ShopConfirmationRecorded
    | Appointment.Completed
    | Appointment.NoShow
    | Appointment.CrmSynced
    | Appointment.CrmSyncFailed
)


class AppointmentsProjection(ReadModelProjection):
    name = "appointments"
    tables = (APPOINTMENTS,)

    @singledispatchmethod
    def handle(self, event: object, batch: Batch) -> None:
        """Other events are not about appointments."""

    @handle.register
    def _booked(self, event: Appointment.Booked, batch: Batch) -> None:
        batch.put(
            "appointments",
            {
                "appointment_id": aggregate_id(event),
                "tenant_id": event.tenant_id,
                "lead_id": str(event.lead_id),
                "location_id": event.location_id,
                "status": "confirmed",
                "start_at": instant(event.start),
                "end_at": instant(event.end),
                "services": msgspec.json.encode(event.services).decode(),
                "price_cents": event.price_cents,
                "booked_at": instant(event.timestamp),
                "crm_sync": "pending",
                "updated_at": instant(event.timestamp),
            },
        )

    @handle.register
    def _changed(self, event: AppointmentChange, batch: Batch) -> None:
        changes = _changes(event)
        changes["updated_at"] = instant(event.timestamp)
        batch.update("appointments", (aggregate_id(event),), changes)


def _changes(event: Any) -> dict[str, Any]:
    """The columns an appointment event changes; mirrors `Appointment`'s `apply` methods."""
    if isinstance(event, Appointment.Rescheduled):
        return {"start_at": instant(event.start), "end_at": instant(event.end), "crm_sync": "pending"}
    if isinstance(event, Appointment.RescheduledByShop):  # the CRM already holds it: no sync pending
        return {"start_at": instant(event.start), "end_at": instant(event.end)}
    if isinstance(event, Appointment.Cancelled):
        return {"status": "cancelled", "status_reason": event.reason, "crm_sync": "pending"}
    if isinstance(event, Appointment.CancelledByShop):
        return {"status": "cancelled", "status_reason": event.reason}
    if isinstance(event, Appointment.ShopConfirmationRecorded):
        return {"shop_confirmation": event.confirmation}
    if isinstance(event, Appointment.Completed):
        return {"status": "completed"}
    if isinstance(event, Appointment.NoShow):
        return {"status": "no_show"}
    if isinstance(event, Appointment.CrmSynced):
        return {"crm_sync": "synced", "crm_appointment_id": event.crm_appointment_id, "crm_sync_error": None}
    if isinstance(event, Appointment.CrmSyncFailed):
        failed: dict[str, Any] = {"crm_sync_error": event.reason}
        if event.permanent:
            failed["crm_sync"] = "failed"
        return failed
    return {}
