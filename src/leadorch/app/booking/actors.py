"""Booking's background jobs, as the Dramatiq runtime binds them (see `app/worker/runtime.py`).

- `sync_appointment_to_crm(tenant_id, appointment_id)`: write a booking, move or cancellation to the CRM
  (it retries itself with backoff, so Dramatiq's own retries only cover crashes).
- `send_appointment_notice(tenant_id, appointment_id, kind)`: the customer's confirmation, change,
  cancellation or reminder.
- `send_due_reminders()` (periodic): reminders 24 hours ahead, inside the sending window.
- `sync_pending_appointments()` (periodic): re-sends syncs the CRM has not confirmed for a while (a
  lost message, a process without workers).
- `release_orphan_claims()` (periodic): frees slots held by claims whose booking crashed before its
  appointment was saved (see `orphan_claims.py`); safe when two workers run it at once.

Each job's `ActorSpec` is declared beside its function (the modules that enqueue import it from
there); this module lists them for the runtime, with the periodic ones' intervals.
"""

from __future__ import annotations

from leadorch.app.booking.crm_sync import SYNC_APPOINTMENT, SYNC_PENDING
from leadorch.app.booking.notices import SEND_NOTICE
from leadorch.app.booking.orphan_claims import RELEASE_ORPHAN_CLAIMS
from leadorch.app.booking.reminders import SEND_DUE_REMINDERS
from leadorch.app.worker.specs import PeriodicSpec

__all__ = ["RELEASE_ORPHAN_CLAIMS", "SEND_DUE_REMINDERS", "SEND_NOTICE", "SYNC_APPOINTMENT", "SYNC_PENDING"]

REMINDER_INTERVAL_SECONDS = 60.0
SYNC_SWEEP_INTERVAL_SECONDS = 60.0
ORPHAN_SWEEP_INTERVAL_SECONDS = 60.0


ACTORS = [SYNC_APPOINTMENT, SEND_NOTICE, SEND_DUE_REMINDERS, SYNC_PENDING, RELEASE_ORPHAN_CLAIMS]

PERIODIC = [
    PeriodicSpec(SEND_DUE_REMINDERS.name, lambda _settings: REMINDER_INTERVAL_SECONDS),
    PeriodicSpec(SYNC_PENDING.name, lambda _settings: SYNC_SWEEP_INTERVAL_SECONDS),
    PeriodicSpec(RELEASE_ORPHAN_CLAIMS.name, lambda _settings: ORPHAN_SWEEP_INTERVAL_SECONDS),
]
