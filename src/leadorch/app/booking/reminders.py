"""Appointment reminders: one message about 24 hours before, inside the location's sending window and
the customer's legal hours (`domain/sending_rules`: quiet hours bind reminders; the cap does not count them).

A periodic job reads the appointments read model for confirmed appointments starting within the next
day. A reminder is due at 24 hours before the start, moved to the next moment both allow when that falls
outside them (an 8:00 appointment is reminded at 9:00 the day before). Nothing is sent outside them,
and an appointment booked less than 24 hours ahead gets none: its confirmation has just gone out. The
notice ledger makes a reminder go out once per appointment start, however often this job runs.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from leadorch.app.booking.notices import SEND_NOTICE
from leadorch.app.config.errors import ConfigNotFound
from leadorch.app.eventstore.store import NotFound
from leadorch.app.projections.appointments import APPOINTMENTS
from leadorch.app.projections.tables import LIVE_PREFIX, instant, parse_instant
from leadorch.app.worker.enqueue import enqueue
from leadorch.app.worker.specs import ActorSpec
from leadorch.domain.errors import NoSendingTime
from leadorch.domain.lead import Lead
from leadorch.domain.sending_rules import UNKNOWN_RECIPIENT, RecipientContext
from leadorch.domain.sending_terms import SendingTerms

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

REMINDER_AHEAD = timedelta(hours=24)
_TABLE = APPOINTMENTS.physical(LIVE_PREFIX)


def reminder_due_at(start: datetime, terms: SendingTerms) -> datetime:
    """When the reminder of an appointment starting at `start` is due (UTC): 24 hours before, moved into
    the location's window and the customer's legal hours (quiet hours bind reminders too; the cap does
    not count them: a reminder of an appointment the customer made is not a solicitation)."""
    return terms.next_allowed(start - REMINDER_AHEAD)


def send_due_reminders(container: Container, limit: int = 500) -> int:
    """Enqueue the reminders that are due now; returns how many were handed on."""
    now: datetime = container.clock.now()
    with container.db.transaction() as cur:
        cur.execute(
            "SELECT a.appointment_id, a.tenant_id, a.location_id, a.start_at, a.booked_at, a.lead_id "
            f"FROM {_TABLE} a "
            "WHERE a.status = 'confirmed' AND a.start_at > %s AND a.start_at <= %s AND NOT EXISTS ("
            "SELECT 1 FROM appointment_notices n WHERE n.appointment_id = a.appointment_id "
            "AND n.notice = 'reminder:' || a.start_at) ORDER BY a.start_at LIMIT %s",
            (instant(now), instant(now + REMINDER_AHEAD), limit),
        )
        rows = cur.fetchall()
    config = container.config
    handed = 0
    for appointment_id, tenant_id, location_id, start_text, booked_text, lead_id in rows:
        start, booked_at = parse_instant(start_text), parse_instant(booked_text)
        assert start is not None and booked_at is not None
        try:
            location = config.location(tenant_id, location_id)
        except ConfigNotFound:
            continue
        if booked_at > start - REMINDER_AHEAD:
            continue  # booked within a day: the confirmation was the reminder
        terms = SendingTerms(
            location.sending_window(), location.time_zone, _recipient(container, tenant_id, lead_id)
        )
        try:
            if now < reminder_due_at(start, terms) or not terms.admits(now):
                continue
        except NoSendingTime:
            continue  # the shop's window never meets the customer's hours before the appointment
        enqueue(container, SEND_NOTICE, tenant_id, appointment_id, "reminder")
        handed += 1
    return handed


def _recipient(container: Container, tenant_id: str, lead_id: str) -> RecipientContext:
    """Where the customer's number presumably is (nothing known when the lead cannot be read)."""
    try:
        phone = container.store.load(UUID(lead_id), Lead, tenant_id).contact.phone
    except (NotFound, ValueError):
        return UNKNOWN_RECIPIENT
    return container.recipients.context_for(phone)


SEND_DUE_REMINDERS = ActorSpec("send_due_reminders", send_due_reminders, max_retries=0, time_limit_ms=120_000)
