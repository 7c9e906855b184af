"""Appointment reminders: one message about 24 hours before, inside the location's sending window.

A periodic job reads the appointments read model for confirmed appointments starting within the next
day. A reminder is due at 24 hours before the start, moved to the window's next opening when that falls
outside it (an 8:00 appointment is reminded at 9:00 the day before). Nothing is sent outside the window,
and an appointment booked less than 24 hours ahead gets none: its confirmation has just gone out. The
notice ledger makes a reminder go out once per appointment start, however often this job runs.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from leadorch.app.booking.notices import SEND_NOTICE
from leadorch.app.config.errors import ConfigNotFound
from leadorch.app.projections.appointments import APPOINTMENTS
from leadorch.app.projections.tables import LIVE_PREFIX, instant, parse_instant
from leadorch.app.worker.enqueue import enqueue
from leadorch.app.worker.specs import ActorSpec
from leadorch.domain.sending_terms import SendingTerms

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

REMINDER_AHEAD = timedelta(hours=24)
_TABLE = APPOINTMENTS.physical(LIVE_PREFIX)


def reminder_due_at(start: datetime, window: Any, time_zone: str) -> datetime:
    """When the reminder of an appointment starting at `start` is due (UTC)."""
    return SendingTerms(window, time_zone).next_allowed(start - REMINDER_AHEAD)


def send_due_reminders(container: Container, limit: int = 500) -> int:
    """Enqueue the reminders that are due now; returns how many were handed on."""
    now: datetime = container.clock.now()
    with container.db.transaction() as cur:
        cur.execute(
            f"SELECT a.appointment_id, a.tenant_id, a.location_id, a.start_at, a.booked_at FROM {_TABLE} a "
            "WHERE a.status = 'confirmed' AND a.start_at > %s AND a.start_at <= %s AND NOT EXISTS ("
            "SELECT 1 FROM appointment_notices n WHERE n.appointment_id = a.appointment_id "
            "AND n.notice = 'reminder:' || a.start_at) ORDER BY a.start_at LIMIT %s",
            (instant(now), instant(now + REMINDER_AHEAD), limit),
        )
        rows = cur.fetchall()
    config = container.config
    handed = 0
    for appointment_id, tenant_id, location_id, start_text, booked_text in rows:
        start, booked_at = parse_instant(start_text), parse_instant(booked_text)
        assert start is not None and booked_at is not None
        try:
            location = config.location(tenant_id, location_id)
        except ConfigNotFound:
            continue
        if booked_at > start - REMINDER_AHEAD:
            continue  # booked within a day: the confirmation was the reminder
        window = location.sending_window()
        if now < reminder_due_at(start, window, location.time_zone) or not window.admits(
            now, location.time_zone
        ):
            continue
        enqueue(container, SEND_NOTICE, tenant_id, appointment_id, "reminder")
        handed += 1
    return handed


SEND_DUE_REMINDERS = ActorSpec("send_due_reminders", send_due_reminders, max_retries=0, time_limit_ms=120_000)
