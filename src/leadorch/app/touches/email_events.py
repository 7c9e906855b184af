"""What SendGrid said became of our emails (its Event Webhook), kept so an uncertain email can be settled.

A worker that died between claiming a touch and hearing SendGrid's answer leaves the email uncertain:
it may or may not have been taken. SendGrid's events carry the touch's idempotency key (a custom arg
of every mail we send), so once an event for that key is recorded, SendGrid took the message and the
email is settled as sent instead of being left uncertain (`touches/settle.py`). Events are recorded
once each, by SendGrid's `sg_event_id`: the webhook is at-least-once.
"""

from __future__ import annotations

from collections.abc import Iterable

from leadorch.adapters.sendgrid_events import EmailEvent
from leadorch.app.db import Database
from leadorch.app.projections.tables import instant, parse_instant

SCHEMA: list[str] = [
    """CREATE TABLE IF NOT EXISTS email_provider_events (
        sg_event_id TEXT PRIMARY KEY,
        idempotency_key TEXT,
        tenant_id TEXT,
        event TEXT NOT NULL,
        sg_message_id TEXT,
        at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS email_provider_events_by_key ON email_provider_events (idempotency_key)",
]


class EmailEvents:
    """The recorded Event Webhook events (`email_provider_events`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, events: Iterable[EmailEvent]) -> list[EmailEvent]:
        """Record each event once; returns the events new to us (a repeated one is not)."""
        new = []
        with self.db.transaction() as cur:
            for event in events:
                cur.execute(
                    "INSERT INTO email_provider_events (sg_event_id, idempotency_key, tenant_id, event, "
                    "sg_message_id, at) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (sg_event_id) DO NOTHING",
                    (
                        event.sg_event_id,
                        event.idempotency_key,
                        event.tenant_id,
                        event.event,
                        event.sg_message_id,
                        instant(event.at),
                    ),
                )
                if cur.rowcount == 1:
                    new.append(event)
        return new

    def of_key(self, idempotency_key: str) -> list[EmailEvent]:
        """Every event recorded for the message sent under `idempotency_key`, oldest first."""
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT sg_event_id, event, idempotency_key, tenant_id, sg_message_id, at "
                "FROM email_provider_events WHERE idempotency_key = %s ORDER BY at, sg_event_id",
                (idempotency_key,),
            )
            rows = cur.fetchall()
        return [
            EmailEvent(
                sg_event_id=str(row[0]),
                event=str(row[1]),
                idempotency_key=row[2],
                tenant_id=row[3],
                sg_message_id=row[4],
                at=parse_instant(row[5]),  # type: ignore[arg-type]
            )
            for row in rows
        ]
