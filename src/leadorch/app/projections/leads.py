"""Read model `leads`: one row per lead with what a person scanning the list wants to see.

Status, contact, vehicle, services, consent per channel, when it arrived, when we last reached the
customer, when the next touch is due. Status transitions mirror `Lead`'s event `apply` methods exactly
(a reply does not un-book a booked lead, and so on). `lead_schedules` is this read model's own copy of
each schedule's state, so "next touch due" never depends on another read model's progress.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import singledispatchmethod
from typing import Any

import msgspec

from leadorch.app.projections import schedule_state
from leadorch.app.projections.batch import Batch
from leadorch.app.projections.projection import ReadModelProjection, RowRef, aggregate_id
from leadorch.app.projections.schedule_state import ScheduleChange
from leadorch.app.projections.tables import Table, instant
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule as Schedule

LEADS = Table(
    "leads",
    columns=(
        ("lead_id", "TEXT NOT NULL"),
        ("tenant_id", "TEXT NOT NULL"),
        ("location_id", "TEXT NOT NULL"),
        ("status", "TEXT NOT NULL"),
        ("first_name", "TEXT NOT NULL"),
        ("last_name", "TEXT NOT NULL"),
        ("email", "TEXT"),
        ("phone", "TEXT"),
        ("vehicle_year", "INTEGER"),
        ("vehicle_make", "TEXT"),
        ("vehicle_model", "TEXT"),
        ("services", "TEXT NOT NULL"),
        ("crm_order_id", "TEXT NOT NULL"),
        ("crm_customer_id", "TEXT NOT NULL"),
        ("crm_vehicle_id", "TEXT"),
        ("email_consent", "BOOLEAN NOT NULL"),
        ("sms_consent", "BOOLEAN NOT NULL"),
        ("automation_paused", "BOOLEAN NOT NULL"),
        ("paused_by", "TEXT"),
        ("staff_flag", "TEXT"),
        ("outcome_reason", "TEXT"),
        ("appointment_id", "TEXT"),
        ("received_at", "TEXT NOT NULL"),
        ("created_at", "TEXT NOT NULL"),
        ("chat_link_opened_at", "TEXT"),
        ("last_reply_at", "TEXT"),
        ("last_contact_at", "TEXT"),
        ("next_touch_due_at", "TEXT"),
        ("touches_sent", "INTEGER NOT NULL"),
        ("cadence", "TEXT"),
        ("updated_at", "TEXT NOT NULL"),
        ("search_text", "TEXT NOT NULL"),
    ),
    key=("lead_id",),
    indexes=(
        ("by_tenant_received", "tenant_id, received_at"),
        ("by_location_received", "tenant_id, location_id, received_at"),
        ("by_status", "tenant_id, status, received_at"),
        ("by_phone", "phone"),  # inbound SMS replies are matched to leads by number
        ("by_email", "LOWER(email)"),  # and emailed replies by address
        ("by_customer", "tenant_id, crm_customer_id"),  # a repeat quote finds the customer's open lead
    ),
)
LEAD_SCHEDULES = Table("lead_schedules", columns=schedule_state.COLUMNS, key=("schedule_id",))

_CONTACT_AND_VEHICLE = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "vehicle_year",
    "vehicle_make",
    "vehicle_model",
    "crm_customer_id",
    "crm_vehicle_id",
    "location_id",
)

LeadChange = (
    Lead.DetailsUpdated
    | Lead.ReplyRecorded
    | Lead.ChatStarted
    | Lead.OptedOut
    | Lead.OptedIn
    | Lead.ConsentChanged
    | Lead.QuoteJoined
    | Lead.FlaggedForStaff
    | Lead.Contacted
    | Lead.ChatLinkOpened
    | Lead.AppointmentBooked
    | Lead.BookingCancelled
    | Lead.MarkedLost
    | Lead.HandedToShop
    | Lead.AutomationPaused
    | Lead.AutomationResumed
)


def search_text(row: dict[str, Any]) -> str:
    """What `search` matches: name, email, phone, vehicle and CRM order id, lower-cased."""
    parts = [row.get(name) for name in ("first_name", "last_name", "email", "phone", "crm_order_id")]
    parts += [row.get("vehicle_year"), row.get("vehicle_make"), row.get("vehicle_model")]
    return " ".join(str(part) for part in parts if part not in (None, "")).lower()


class LeadsProjection(ReadModelProjection):
    name = "leads"
    tables = (LEADS, LEAD_SCHEDULES)
    replay_cost = 3.0

    @singledispatchmethod
    def handle(self, event: object, batch: Batch) -> None:
        """Other events do not show in the lead list."""

    @handle.register
    def _registered(self, event: Lead.Registered, batch: Batch) -> None:
        row: dict[str, Any] = {
            "lead_id": aggregate_id(event),
            "tenant_id": event.tenant_id,
            "location_id": event.location_id,
            "status": "new",
            "first_name": event.first_name,
            "last_name": event.last_name,
            "email": event.email,
            "phone": event.phone,
            "vehicle_year": event.vehicle_year,
            "vehicle_make": event.vehicle_make,
            "vehicle_model": event.vehicle_model,
            "services": msgspec.json.encode(list(event.services)).decode(),
            "crm_order_id": event.crm_order_id,
            "crm_customer_id": event.crm_customer_id,
            "crm_vehicle_id": event.crm_vehicle_id,
            "email_consent": bool(event.email_consent),
            "sms_consent": bool(event.sms_consent),
            "automation_paused": False,
            "received_at": instant(event.received_at),
            "created_at": instant(event.timestamp),
            "touches_sent": 0,
            "updated_at": instant(event.timestamp),
        }
        row["search_text"] = search_text(row)
        batch.put("leads", row)

    @handle.register
    def _changed(self, event: LeadChange, batch: Batch) -> None:
        key = (aggregate_id(event),)
        lead = batch.row("leads", key)
        if lead is None:
            return
        changes = _lead_changes(event, lead)
        changes["updated_at"] = instant(event.timestamp)
        if any(name in changes for name in _CONTACT_AND_VEHICLE):
            changes["search_text"] = search_text({**lead, **changes})
        batch.update("leads", key, changes)

    @handle.register
    def _schedule_started(self, event: Schedule.Started, batch: Batch) -> None:
        state = schedule_state.started(event)
        batch.put("lead_schedules", state)
        batch.update(
            "leads",
            (state["lead_id"],),
            next_touch_due_at=schedule_state.next_due_at(state),
            cadence=schedule_state.status(state),
        )

    @handle.register
    def _schedule_changed(self, event: ScheduleChange, batch: Batch) -> None:
        key = (aggregate_id(event),)
        state = batch.row("lead_schedules", key)
        if state is None:
            return
        changes = schedule_state.changes(event, state)
        if not changes:
            return
        before = _shown(state)
        batch.update("lead_schedules", key, changes)  # `state` is the batch's row: it now shows them
        after = _shown(state)
        if after != before:
            due, cadence, sent, last_sent = after
            shown = {
                "next_touch_due_at": due,
                "cadence": cadence,
                "touches_sent": sent,
                "last_contact_at": last_sent,
            }
            batch.update("leads", (state["lead_id"],), shown)

    @singledispatchmethod
    def needs(self, event: object) -> Iterable[RowRef]:
        return ()

    @needs.register
    def _needs_lead(self, event: LeadChange) -> Iterable[RowRef]:
        return (("leads", (aggregate_id(event),)),)

    @needs.register
    def _needs_schedule(self, event: ScheduleChange) -> Iterable[RowRef]:
        return (("lead_schedules", (aggregate_id(event),)),)


def _shown(schedule: dict[str, Any]) -> tuple[Any, ...]:
    """What the lead list shows of its schedule: next touch due, cadence, touches sent, last contact."""
    due, cadence = schedule_state.due_and_status(schedule)
    return due, cadence, schedule["sent_count"], schedule["last_sent_at"]


def _lead_changes(event: Any, lead: dict[str, Any]) -> dict[str, Any]:
    """The columns a lead event changes; mirrors `Lead`'s `apply` methods."""
    responded_status = lead["status"] if lead["status"] == "booked" else "engaged"
    if isinstance(event, Lead.DetailsUpdated):
        changes = {name: value for name, value in event.changes.items() if name in _CONTACT_AND_VEHICLE}
        if "services" in event.changes:
            changes["services"] = msgspec.json.encode(list(event.changes["services"])).decode()
        return changes
    if isinstance(event, Lead.Contacted):
        return {"status": "contacting"}
    if isinstance(event, Lead.ReplyRecorded):
        reply: dict[str, Any] = {"status": responded_status, "last_reply_at": instant(event.timestamp)}
        if responded_status == "engaged":
            reply["outcome_reason"] = None
        return reply
    if isinstance(event, Lead.ChatStarted):
        chat: dict[str, Any] = {"status": responded_status}
        if responded_status == "engaged":
            chat["outcome_reason"] = None
        return chat
    if isinstance(event, Lead.ChatLinkOpened):
        return {"chat_link_opened_at": instant(event.timestamp)}
    if isinstance(event, Lead.AppointmentBooked):
        return {"status": "booked", "appointment_id": event.appointment_id, "outcome_reason": None}
    if isinstance(event, Lead.BookingCancelled):
        return {"status": "engaged", "appointment_id": None}
    if isinstance(event, (Lead.OptedOut, Lead.OptedIn)):
        return {f"{event.channel}_consent": isinstance(event, Lead.OptedIn)}
    if isinstance(event, Lead.QuoteJoined):
        return {"services": msgspec.json.encode(list(event.services)).decode()}
    if isinstance(event, Lead.ConsentChanged):
        return {f"{event.channel}_consent": bool(event.granted)}
    if isinstance(event, Lead.MarkedLost):
        return {"status": "lost", "outcome_reason": event.reason}
    if isinstance(event, Lead.HandedToShop):
        return {"status": "handled_by_shop", "outcome_reason": event.reason}
    if isinstance(event, Lead.AutomationPaused):
        return {"automation_paused": True, "paused_by": event.by}
    if isinstance(event, Lead.AutomationResumed):
        return {"automation_paused": False, "paused_by": None}
    if isinstance(event, Lead.FlaggedForStaff):
        return {"staff_flag": event.reason}
    return {}
