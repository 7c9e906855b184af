"""Inbound messages already acted on, by the provider's message id.

Twilio re-delivers a webhook it thinks failed; the same reply must not be recorded twice (nor a second
opt-out confirmation sent). A receipt is taken before acting and given back if acting fails, so a
re-delivery after a failure is still processed.
"""

from __future__ import annotations

from datetime import datetime

from leadorch.app.db import Database

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS inbound_receipts ("
    " provider TEXT NOT NULL, message_id TEXT NOT NULL, received_at TEXT NOT NULL,"
    " PRIMARY KEY (provider, message_id))",
]


def take_receipt(db: Database, provider: str, message_id: str, at: datetime) -> bool:
    """True the first time this message is seen; False for a re-delivery."""
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO inbound_receipts (provider, message_id, received_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (provider, message_id) DO NOTHING",
            (provider, message_id, at.isoformat()),
        )
        return bool(cur.rowcount)


def give_back_receipt(db: Database, provider: str, message_id: str) -> None:
    with db.transaction() as cur:
        cur.execute(
            "DELETE FROM inbound_receipts WHERE provider = %s AND message_id = %s", (provider, message_id)
        )
