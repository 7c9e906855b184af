"""A provider's own failure is not the recipient's: a per-provider circuit for refused credentials.

When SendGrid or Twilio refuses *our* key (401/403, Twilio 20003), every message through it would fail
the same way; treating that like a bad address would disable the channel of lead after lead. Instead
the provider's circuit opens: no touch on that provider's channel is claimed while it is open, the
operator is alerted once for the opening (`circuit_alert.py`: an ERROR line with `alert=operator`, and
a message to the operator's contacts through the provider that still works), every refusal counts in
`leadorch_provider_auth_failures_total{provider}`, and `/ready` names it as degraded.

Once the pause is over (60 s, doubling per failed probe up to an hour), the next dispatch *probes* the
provider with a credentials check that sends nothing (`check_provider_credentials`): no customer's
touch is spent finding out. Accepted, the circuit closes and the touches that waited are still due in
the read model, so the tick sends them, each claimed inside its sending window, the schedule's
no-burst rule shifting an overdue plan instead of sending touches back to back. Refused, the pause
doubles. No answer (the provider unreachable) leaves the circuit for the next dispatch to probe.

The state is a table, not process memory, so every worker and the API's `/ready` see the same circuit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from leadorch.app.db import Database
from leadorch.app.observability.metrics import PROVIDER_AUTH_FAILURES
from leadorch.ports.messaging import DeliveryError, ProviderRefusedCredentials

log = logging.getLogger(__name__)

FIRST_PAUSE = timedelta(seconds=60)
LONGEST_PAUSE = timedelta(hours=1)

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS provider_circuits ("
    " provider TEXT PRIMARY KEY, open_until TEXT NOT NULL, failures INTEGER NOT NULL, reason TEXT NOT NULL)",
]


@dataclass(frozen=True)
class CircuitOpened:
    """What one refusal did to the circuit: paused until `until`; `opened` only for the refusal that
    opened it (the one the operator is alerted about), not for failed probes or stragglers."""

    until: datetime
    opened: bool


def open_circuit(db: Database, provider: str, reason: str, *, now: datetime) -> CircuitOpened:
    """Record that `provider` refused our credentials; says until when it is paused, and whether this
    refusal opened the circuit.

    A refusal while the circuit is still paused (a send claimed before another worker opened it) changes
    nothing; one after the pause (a failed probe) doubles the pause.
    """
    with db.transaction() as cur:
        cur.execute(
            "INSERT INTO provider_circuits (provider, open_until, failures, reason) VALUES (%s, %s, 1, %s) "
            "ON CONFLICT (provider) DO NOTHING",
            (provider, (now + FIRST_PAUSE).isoformat(), reason),
        )
        opened = cur.rowcount == 1
        cur.execute("SELECT open_until, failures FROM provider_circuits WHERE provider = %s", (provider,))
        open_until, failures = cur.fetchone()
        until = datetime.fromisoformat(str(open_until))
        if not opened and until <= now:
            failures = int(failures) + 1
            until = now + min(FIRST_PAUSE * (1 << min(failures - 1, 16)), LONGEST_PAUSE)
            cur.execute(
                "UPDATE provider_circuits SET open_until = %s, failures = %s, reason = %s WHERE provider = %s",
                (until.isoformat(), failures, reason, provider),
            )
    PROVIDER_AUTH_FAILURES.labels(provider=provider).inc()
    if not opened:
        log.warning(
            "%s still refuses our credentials (%s): sending through it stays paused until %s",
            provider,
            reason,
            until.isoformat(),
            extra={"fields": {"provider": provider}},
        )
    return CircuitOpened(until=until, opened=opened)


def close_circuit(db: Database, provider: str) -> None:
    """`provider` accepts our credentials again."""
    with db.transaction() as cur:
        cur.execute("DELETE FROM provider_circuits WHERE provider = %s", (provider,))
        closed = cur.rowcount
    if closed:
        log.warning("%s accepts our credentials again: sending resumed", provider)


def open_circuits(db: Database) -> dict[str, tuple[datetime, str]]:
    """Every provider not known to work (paused, or waiting for its probe): what `/ready` names."""
    with db.transaction() as cur:
        cur.execute("SELECT provider, open_until, reason FROM provider_circuits")
        rows = cur.fetchall()
    return {str(p): (datetime.fromisoformat(str(until)), str(reason)) for p, until, reason in rows}


def paused_providers(db: Database, check: Callable[[str], None], *, now: datetime) -> set[str]:
    """The providers sending must wait for. A circuit whose pause is over is probed first with
    `check(provider)`, which sends nothing: accepted closes it, refused pauses it again for longer."""
    paused = set()
    for provider, (until, _reason) in open_circuits(db).items():
        if until > now:
            paused.add(provider)
            continue
        try:
            check(provider)
        except ProviderRefusedCredentials as refused:
            open_circuit(db, provider, str(refused), now=now)
            paused.add(provider)
        except DeliveryError as unknown:  # unreachable: it cannot tell now; the next dispatch asks again
            log.warning("%s credentials check did not answer: %s", provider, unknown)
            paused.add(provider)
        except Exception:  # a bug in the check must not stop dispatching through the other provider
            log.exception(
                "%s credentials check failed unexpectedly; sending through it stays paused", provider
            )
            paused.add(provider)
        else:
            close_circuit(db, provider)
    return paused
