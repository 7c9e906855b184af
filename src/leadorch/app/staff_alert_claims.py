"""Which copies of a staff alert were claimed for sending, so each recipient gets each alert once.

A staff alert is at-least-once work: a delivery retried after a crash, a Dramatiq retry or a relayed
inbox row may run the step that alerts the staff again. Customer touches stay single by a claim saved
before the provider is called (`touches/dispatch.py`); staff alerts get the same: one row per copy,
keyed `{alert key}:{address}` (`StaffAlertMessage.key`), inserted before the copy is handed to the
provider. Whoever inserts it sends; anyone else sees it taken and sends nothing.

A copy the provider refused (`DeliveryError`: it did not take the message) is given back, so a later
retry may still reach that contact. A process killed between the claim and the provider's answer
leaves the row `sending`: like an uncertain touch, it is not sent again (a second alert is worse than a
missing one that the console shows anyway).
"""

from __future__ import annotations

from datetime import datetime

from leadorch.app.db import Database
from leadorch.app.projections.tables import instant

SCHEMA: list[str] = [
    """CREATE TABLE IF NOT EXISTS staff_alert_copies (
        copy_key TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        lead_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        recipient TEXT NOT NULL,
        status TEXT NOT NULL,
        detail TEXT,
        at TEXT NOT NULL
    )""",
]


class StaffAlertClaims:
    """The claims on staff-alert copies (`staff_alert_copies`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def claim(
        self,
        copy_key: str,
        *,
        tenant_id: str,
        kind: str,
        lead_id: str,
        channel: str,
        recipient: str,
        now: datetime,
    ) -> bool:
        """True for the one caller that may send this copy; False when it was claimed before."""
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO staff_alert_copies (copy_key, tenant_id, kind, lead_id, channel, recipient, "
                "status, at) VALUES (%s, %s, %s, %s, %s, %s, 'sending', %s) ON CONFLICT (copy_key) DO NOTHING",
                (copy_key, tenant_id, kind, lead_id, channel, recipient, instant(now)),
            )
            return bool(cur.rowcount == 1)

    def settle(self, copy_key: str, *, status: str, detail: str) -> None:
        """Record what the provider said about a claimed copy."""
        with self.db.transaction() as cur:
            cur.execute(
                "UPDATE staff_alert_copies SET status = %s, detail = %s WHERE copy_key = %s",
                (status, detail[:500], copy_key),
            )

    def give_back(self, copy_key: str) -> None:
        """The provider did not take the copy: a later run of the alert may try it again."""
        with self.db.transaction() as cur:
            cur.execute("DELETE FROM staff_alert_copies WHERE copy_key = %s", (copy_key,))

    def copies_of(self, lead_id: str) -> list[tuple[str, str, str]]:
        """(kind, recipient, status) of every copy claimed for the lead (for operators and tests)."""
        with self.db.transaction() as cur:
            cur.execute(
                "SELECT kind, recipient, status FROM staff_alert_copies WHERE lead_id = %s ORDER BY at, copy_key",
                (lead_id,),
            )
            return [(str(k), str(r), str(s)) for k, r, s in cur.fetchall()]
