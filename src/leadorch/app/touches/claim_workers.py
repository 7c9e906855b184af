"""Which worker claimed a touch: what lets the sweep close a dead worker's claim within a minute.

A touch claim lives in the event store (`TouchClaimed`, with its `claim_id`); the worker that made it
is a fact about processes, not about the cadence, so it is kept here, beside the claim, keyed by the
claim's id. The dispatch records it right after its claim is saved; a worker killed in between leaves
a claim with no known worker, which the sweep treats as before (the long bound). Whether a worker is
alive is `app/worker/liveness.py`'s to say.

Rows are forgotten a day after their claim (the sweep prunes them): by then every claim is resolved.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leadorch.app.db import Database
from leadorch.app.worker.liveness import WorkerLiveness, owner_gone_sql

SCHEMA: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS touch_claim_workers (
        claim_id TEXT PRIMARY KEY,
        worker_id TEXT NOT NULL,
        claimed_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS touch_claim_workers_claimed_at ON touch_claim_workers (claimed_at)",
]

FORGOTTEN_AFTER = timedelta(days=1)


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


class ClaimWorkers:
    """The `touch_claim_workers` table: the worker of each recent touch claim."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, claim_id: str, worker_id: str, *, claimed_at: datetime) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO touch_claim_workers (claim_id, worker_id, claimed_at) VALUES (%s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (claim_id, worker_id, _text(claimed_at)),
            )

    def worker_gone(self, claim_id: str, liveness: WorkerLiveness) -> bool:
        """Whether the claim's worker is known and has stopped beating (an unknown worker is not gone)."""
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT 1 FROM touch_claim_workers WHERE claim_id = %s AND {owner_gone_sql('worker_id')}",
                (claim_id, liveness.dead_before()),
            )
            return cur.fetchone() is not None

    def prune(self, *, now: datetime) -> None:
        """Forget the workers of claims older than `FORGOTTEN_AFTER`."""
        with self.db.transaction() as cur:
            cur.execute(
                "DELETE FROM touch_claim_workers WHERE claimed_at < %s", (_text(now - FORGOTTEN_AFTER),)
            )
