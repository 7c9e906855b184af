"""A provider's own failure is not the recipient's: a per-provider circuit for refused credentials.

When SendGrid or Twilio refuses *our* key (401/403, Twilio 20003), every message through it would fail
the same way; treating that like a bad address would disable the channel of lead after lead. Instead
the provider's circuit opens: no touch on that provider's channel is claimed until `open_until` (60 s,
doubling per failed probe up to an hour), the operator is alerted (an ERROR line with `alert=operator`
and `leadorch_provider_auth_failures_total{provider}`), and `/ready` names it as degraded. After
`open_until` the next due touch is the probe; its success closes the circuit. The touches that waited
are still due in the read model, so the tick sends them, each claimed inside its sending window, and
the schedule's no-burst rule shifts an overdue plan instead of sending touches back to back.

The state is a table, not process memory, so every worker and the API's `/ready` see the same circuit.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from leadorch.app.db import Database
from leadorch.app.observability.metrics import PROVIDER_AUTH_FAILURES

log = logging.getLogger(__name__)

FIRST_PAUSE = timedelta(seconds=60)
LONGEST_PAUSE = timedelta(hours=1)

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS provider_circuits ("
    " provider TEXT PRIMARY KEY, open_until TEXT NOT NULL, failures INTEGER NOT NULL, reason TEXT NOT NULL)",
]


def open_circuit(db: Database, provider: str, reason: str, *, now: datetime) -> datetime:
    """Record that `provider` refused our credentials; returns until when it is paused."""
    with db.transaction() as cur:
        cur.execute("SELECT failures FROM provider_circuits WHERE provider = %s", (provider,))
        row = cur.fetchone()
        failures = (int(row[0]) if row else 0) + 1
        pause = min(FIRST_PAUSE * (2 ** min(failures - 1, 16)), LONGEST_PAUSE)
        until = now + pause
        cur.execute(
            "INSERT INTO provider_circuits (provider, open_until, failures, reason) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (provider) DO UPDATE SET open_until = excluded.open_until, "
            "failures = excluded.failures, reason = excluded.reason",
            (provider, until.isoformat(), failures, reason),
        )
    PROVIDER_AUTH_FAILURES.labels(provider=provider).inc()
    log.error(
        "%s refused our credentials (%s): sending through it is paused until %s; no lead's channel is "
        "disabled. Fix the %s credentials",
        provider,
        reason,
        until.isoformat(),
        provider,
        extra={"fields": {"alert": "operator", "provider": provider}},
    )
    return until


def close_circuit(db: Database, provider: str) -> None:
    """A message went through `provider`: its credentials work again."""
    with db.transaction() as cur:
        cur.execute("DELETE FROM provider_circuits WHERE provider = %s", (provider,))
        closed = cur.rowcount
    if closed:
        log.warning("%s accepts our credentials again: sending resumed", provider)


def open_circuits(db: Database) -> dict[str, tuple[datetime, str]]:
    """Every provider not known to work (open, or waiting for its probe): what `/ready` names."""
    with db.transaction() as cur:
        cur.execute("SELECT provider, open_until, reason FROM provider_circuits")
        rows = cur.fetchall()
    return {str(p): (datetime.fromisoformat(str(until)), str(reason)) for p, until, reason in rows}
