"""The plain tables booking keeps beside the event log.

- `location_bookings`: one row per appointment holding (or having held) a slot at a location, written
  inside the per-location critical section of every booking, reschedule and cancellation. It is what
  makes "is this slot still free?" answerable before the appointments read model has caught up, and it
  holds the technician the booking was assigned to under that lock (what the CRM sync sends).
- `appointment_crm_sync`: one row per appointment for the CRM sync: a short lease so two workers never
  write the same appointment to the CRM at once, the attempt count for the backoff, and the state the
  CRM was last given (so a change made while a sync was in flight is synced again).
- `appointment_notices`: one row per (appointment, notice, channel) claimed before sending, so a
  confirmation or a reminder goes out at most once however often its job runs.

Timestamps are TEXT in the read models' fixed-width ISO-8601 UTC form, so they compare as text.
"""

from __future__ import annotations

SCHEMA: list[str] = [
    """CREATE TABLE IF NOT EXISTS location_bookings (
        appointment_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        location_id TEXT NOT NULL,
        lead_id TEXT NOT NULL,
        start_at TEXT NOT NULL,
        end_at TEXT NOT NULL,
        status TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        technician_id TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS location_bookings_by_calendar "
    "ON location_bookings (tenant_id, location_id, start_at)",
    """CREATE TABLE IF NOT EXISTS appointment_crm_sync (
        appointment_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        lease_owner TEXT,
        lease_until TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT,
        synced_state TEXT,
        last_error TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS appointment_notices (
        appointment_id TEXT NOT NULL,
        notice TEXT NOT NULL,
        channel TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        recipient TEXT NOT NULL,
        status TEXT NOT NULL,
        detail TEXT,
        at TEXT NOT NULL,
        PRIMARY KEY (appointment_id, notice, channel)
    )""",
]

# Columns added after a table was first created: `create_tables` adds each one a database lacks.
ADDED_COLUMNS: list[tuple[str, str, str]] = [
    # The technician a booking is assigned to (NULL: none listed at the location when it was claimed).
    ("location_bookings", "technician_id", "TEXT"),
]
