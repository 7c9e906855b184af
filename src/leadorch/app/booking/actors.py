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

The implementations are imported when a job runs, so the modules that enqueue can import these specs.
"""

from __future__ import annotations

from typing import Any

from leadorch.app.worker.specs import ActorSpec, PeriodicSpec

REMINDER_INTERVAL_SECONDS = 60.0
SYNC_SWEEP_INTERVAL_SECONDS = 60.0
ORPHAN_SWEEP_INTERVAL_SECONDS = 60.0


def _sync(container: Any, tenant_id: str, appointment_id: str) -> None:
    from leadorch.app.booking.crm_sync import sync_appointment_to_crm

    sync_appointment_to_crm(container, tenant_id, appointment_id)


def _notice(container: Any, tenant_id: str, appointment_id: str, kind: str) -> None:
    from leadorch.app.booking.notices import send_appointment_notice

    send_appointment_notice(container, tenant_id, appointment_id, kind)


def _reminders(container: Any) -> None:
    from leadorch.app.booking.reminders import send_due_reminders

    send_due_reminders(container)


def _sweep(container: Any) -> None:
    from leadorch.app.booking.crm_sync import sync_pending_appointments

    sync_pending_appointments(container)


def _orphans(container: Any) -> None:
    from leadorch.app.booking.orphan_claims import release_orphan_claims

    release_orphan_claims(container)


SYNC_APPOINTMENT = ActorSpec("sync_appointment_to_crm", _sync, max_retries=3, time_limit_ms=240_000)
SEND_NOTICE = ActorSpec("send_appointment_notice", _notice, max_retries=3, time_limit_ms=60_000)
SEND_DUE_REMINDERS = ActorSpec("send_due_reminders", _reminders, max_retries=0, time_limit_ms=120_000)
SYNC_PENDING = ActorSpec("sync_pending_appointments", _sweep, max_retries=0, time_limit_ms=120_000)
RELEASE_ORPHAN_CLAIMS = ActorSpec("release_orphan_claims", _orphans, max_retries=0, time_limit_ms=120_000)

ACTORS = [SYNC_APPOINTMENT, SEND_NOTICE, SEND_DUE_REMINDERS, SYNC_PENDING, RELEASE_ORPHAN_CLAIMS]

PERIODIC = [
    PeriodicSpec(SEND_DUE_REMINDERS.name, lambda _settings: REMINDER_INTERVAL_SECONDS),
    PeriodicSpec(SYNC_PENDING.name, lambda _settings: SYNC_SWEEP_INTERVAL_SECONDS),
    PeriodicSpec(RELEASE_ORPHAN_CLAIMS.name, lambda _settings: ORPHAN_SWEEP_INTERVAL_SECONDS),
]
