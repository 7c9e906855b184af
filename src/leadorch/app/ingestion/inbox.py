"""The webhook inbox: every ShopMonkey delivery, committed before it is acknowledged.

The webhook handler writes the raw delivery here and only then answers 2xx, so an acknowledged
delivery survives a crash or a broker outage; the relay re-sends whatever is still pending. Rows are
keyed by the delivery's `X-Request-Id` (a redelivery is recognised) and, for orders, by the natural key
(tenant, order id, `updatedDate`, upsert|delete), which the poller's rows share: the webhook and the
poller can never both process the same order version. Appointment rows (staff changing the shop's
calendar) have the same kind of key over their own columns (tenant, appointment id, `updatedDate`,
upsert|delete).

A row is processed by whoever *claims* it (a short lease), so the original message, a Dramatiq retry
and the relay never work on the same row at once. A claim names the worker that took it (`claimed_by`,
see `app/worker/liveness.py`): a claim whose worker stopped beating may be taken over at once, one of a
live worker only once its lease ends, and one with no known worker simply expires.
Timestamps are stored as ISO-8601 UTC text with microseconds (`…Z`), whose text order is time order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import msgspec

from leadorch.app.db import Database
from leadorch.app.worker.liveness import owner_gone_sql
from leadorch.ports.crm import CrmAppointment, CrmOrder

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

SCHEMA: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS webhook_inbox (
        request_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        source TEXT NOT NULL,
        received_at TEXT NOT NULL,
        headers TEXT NOT NULL,
        raw_body TEXT NOT NULL,
        table_name TEXT,
        operation TEXT,
        order_id TEXT,
        order_updated_date TEXT,
        order_change TEXT,
        order_json TEXT,
        appointment_id TEXT,
        appointment_updated_date TEXT,
        appointment_change TEXT,
        appointment_json TEXT,
        status TEXT NOT NULL,
        reason TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        claimed_until TEXT,
        claimed_by TEXT,
        next_relay_at TEXT,
        processed_at TEXT
    )
    """,
    # The natural key: one row per order version (NULLs, i.e. non-order rows, never collide).
    """
    CREATE UNIQUE INDEX IF NOT EXISTS webhook_inbox_order_version
        ON webhook_inbox (tenant_id, order_id, order_updated_date, order_change)
    """,
    "CREATE INDEX IF NOT EXISTS webhook_inbox_relay ON webhook_inbox (status, next_relay_at)",
    "CREATE INDEX IF NOT EXISTS webhook_inbox_tenant_received ON webhook_inbox (tenant_id, received_at)",
]
ADDED_COLUMNS: list[tuple[str, str, str]] = [
    ("webhook_inbox", "claimed_by", "TEXT"),
    ("webhook_inbox", "appointment_id", "TEXT"),
    ("webhook_inbox", "appointment_updated_date", "TEXT"),
    ("webhook_inbox", "appointment_change", "TEXT"),
    ("webhook_inbox", "appointment_json", "TEXT"),
]
ADDED_INDEXES: list[str] = [
    # One row per appointment version, as for orders (NULLs, i.e. other rows, never collide).
    """
    CREATE UNIQUE INDEX IF NOT EXISTS webhook_inbox_appointment_version
        ON webhook_inbox (tenant_id, appointment_id, appointment_updated_date, appointment_change)
    """,
]

# Headers worth keeping for diagnosis. The signature is left out (it proves nothing once stored) and
# anything not listed (cookies, proxies' additions) is dropped rather than risk keeping a credential.
KEPT_HEADERS = (
    "content-type",
    "user-agent",
    "x-attempt",
    "x-request-id",
    "webhook-id",
    "webhook-timestamp",
    "webhook-version",
    "content-length",
)
RELAY_FIRST_DELAY = timedelta(seconds=10)
INBOX_CHANNEL = "webhook_inbox"
"""The PostgreSQL NOTIFY channel on which a commit of deliveries due at once wakes the workers."""
RELAY_MAX_BACKOFF = timedelta(hours=1)


class InboxStatus(StrEnum):
    PENDING = "pending"
    PROCESSED = "processed"
    REJECTED = "rejected"
    IGNORED = "ignored"


class OrderChange(StrEnum):
    """Whether the row shows the order as it now is, or its deletion (both can share an `updatedDate`)."""

    UPSERT = "upsert"
    DELETE = "delete"


@dataclass(frozen=True)
class InboxRow:
    request_id: str
    tenant_id: str
    source: str
    received_at: datetime
    status: InboxStatus
    reason: str | None
    attempts: int
    operation: str | None
    order: CrmOrder | None
    headers: dict[str, str]
    raw_body: str
    appointment: CrmAppointment | None = None

    @property
    def change(self) -> OrderChange:
        return OrderChange.DELETE if self.operation == "DELETE" else OrderChange.UPSERT


def timestamp_text(moment: datetime) -> str:
    """The stored form of an instant: UTC, microseconds, `Z` (text order is time order)."""
    if moment.tzinfo is None:
        raise ValueError(f"instant {moment.isoformat()} must be timezone-aware")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The delivery's headers worth keeping, names lower-cased."""
    lowered = {name.lower(): value for name, value in headers.items()}
    return {name: lowered[name] for name in KEPT_HEADERS if name in lowered}


def relay_backoff(attempts: int) -> timedelta:
    """How long a pending row rests before the relay sends it again after `attempts` tries."""
    seconds = 15 * 2 ** max(0, attempts - 1)
    return min(RELAY_MAX_BACKOFF, timedelta(seconds=seconds))


_COLUMNS = (
    "request_id, tenant_id, source, received_at, status, reason, attempts, operation, order_json, headers, "
    "raw_body, appointment_json"
)
_INSERT = """
    INSERT INTO webhook_inbox (request_id, tenant_id, source, received_at, headers, raw_body, table_name,
        operation, order_id, order_updated_date, order_change, order_json, status, reason, next_relay_at,
        processed_at, appointment_id, appointment_updated_date, appointment_change, appointment_json)
    VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
    ON CONFLICT DO NOTHING
"""


@dataclass(frozen=True)
class NewRow:
    """A delivery ready to be inserted: its column values, and whether workers must be woken for it."""

    params: tuple[Any, ...]
    due_now: bool  # pending and to be processed at once (by the workers listening), not after a rest

    @property
    def request_id(self) -> str:
        return str(self.params[0])


def order_row(
    *,
    request_id: str,
    tenant_id: str,
    source: str,
    received_at: datetime,
    headers: Mapping[str, str],
    raw_body: str,
    operation: str,
    order: CrmOrder,
    relay_after: timedelta = RELAY_FIRST_DELAY,
) -> NewRow:
    """An order delivery, pending. `relay_after`: when the relay is to send the row if nobody has
    processed it by then; zero means at once (on PostgreSQL the listening workers are woken by the commit).
    """
    return _row_of(
        request_id=request_id,
        tenant_id=tenant_id,
        source=source,
        received_at=received_at,
        headers=headers,
        raw_body=raw_body,
        table_name="order",
        operation=operation,
        order=order,
        change=OrderChange.DELETE if operation == "DELETE" else OrderChange.UPSERT,
        status=InboxStatus.PENDING,
        reason=None,
        relay_after=relay_after,
    )


def appointment_row(
    *,
    request_id: str,
    tenant_id: str,
    source: str,
    received_at: datetime,
    headers: Mapping[str, str],
    raw_body: str,
    operation: str,
    appointment: CrmAppointment,
    relay_after: timedelta = RELAY_FIRST_DELAY,
) -> NewRow:
    """An appointment delivery (staff changed the shop's calendar), pending, like an order's."""
    return _row_of(
        request_id=request_id,
        tenant_id=tenant_id,
        source=source,
        received_at=received_at,
        headers=headers,
        raw_body=raw_body,
        table_name="appointment",
        operation=operation,
        appointment=appointment,
        change=OrderChange.DELETE if operation == "DELETE" else OrderChange.UPSERT,
        status=InboxStatus.PENDING,
        reason=None,
        relay_after=relay_after,
    )


def unusable_row(
    *,
    request_id: str,
    tenant_id: str,
    received_at: datetime,
    headers: Mapping[str, str],
    raw_body: str,
    reason: str,
) -> NewRow:
    """A well-signed delivery we cannot read, kept as rejected for diagnosis."""
    return _row_of(
        request_id=request_id,
        tenant_id=tenant_id,
        source="webhook",
        received_at=received_at,
        headers=headers,
        raw_body=raw_body,
        status=InboxStatus.REJECTED,
        reason=reason,
    )


def ignored_row(
    *,
    request_id: str,
    tenant_id: str,
    received_at: datetime,
    headers: Mapping[str, str],
    raw_body: str,
    table_name: str,
    operation: str,
    reason: str,
) -> NewRow:
    """A delivery about something we do not act on (another table), kept as ignored."""
    return _row_of(
        request_id=request_id,
        tenant_id=tenant_id,
        source="webhook",
        received_at=received_at,
        headers=headers,
        raw_body=raw_body,
        table_name=table_name,
        operation=operation,
        status=InboxStatus.IGNORED,
        reason=reason,
    )


def _row_of(
    *,
    request_id: str,
    tenant_id: str,
    source: str,
    received_at: datetime,
    headers: Mapping[str, str],
    raw_body: str,
    status: InboxStatus,
    reason: str | None,
    table_name: str | None = None,
    operation: str | None = None,
    order: CrmOrder | None = None,
    appointment: CrmAppointment | None = None,
    change: OrderChange | None = None,
    relay_after: timedelta = RELAY_FIRST_DELAY,
) -> NewRow:
    if not request_id:
        raise ValueError("an inbox row needs a request id")
    pending = status is InboxStatus.PENDING
    appointment_updated = appointment.updated_date if appointment else None
    params: tuple[Any, ...] = (
        request_id,
        tenant_id,
        source,
        timestamp_text(received_at),
        msgspec.json.encode(kept_headers(headers)).decode(),
        raw_body,
        table_name,
        operation,
        order.id if order else None,
        timestamp_text(order.updated_date) if order else None,
        change.value if change and order else None,
        msgspec.json.encode(order).decode() if order else None,
        status.value,
        reason,
        timestamp_text(received_at + relay_after) if pending else None,
        None if pending else timestamp_text(received_at),
        appointment.id if appointment else None,
        timestamp_text(appointment_updated) if appointment_updated else None,
        change.value if change and appointment else None,
        msgspec.json.encode(appointment).decode() if appointment else None,
    )
    return NewRow(params, due_now=pending and relay_after <= timedelta(0))


def _first_places(rows: Sequence[NewRow], inserted: Sequence[bool]) -> list[bool]:
    """A delivery sent twice within one batch is new at its first place only (the second insert of it is
    skipped by ON CONFLICT anyway; this keeps the answer right whatever order the results come in)."""
    seen: set[str] = set()
    fresh = []
    for row, new in zip(rows, inserted, strict=True):
        fresh.append(new and row.request_id not in seen)
        seen.add(row.request_id)
    return fresh


class WebhookInbox:
    """The `webhook_inbox` table: record deliveries, claim them for processing, find what the relay owes."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------------------------ writes

    def record(self, row: NewRow) -> bool:
        """Insert one row (`order_row`, `unusable_row`, `ignored_row`) in a transaction of its own;
        False when this delivery or this order version is already known."""
        (fresh,) = self.commit_rows([row])
        if isinstance(fresh, BaseException):
            raise fresh
        return fresh

    def commit_rows(self, rows: Sequence[NewRow]) -> list[bool | BaseException]:
        """Insert `rows` in one transaction; for each, whether it was new (not a known delivery or version).

        On PostgreSQL a row that is due for processing at once also wakes the workers listening on
        `INBOX_CHANNEL` when the transaction commits (NOTIFY is delivered only on commit).
        """
        with self.db.transaction() as cur:
            if self.db.dialect == "postgres" and len(rows) > 1:  # pipelined: one round trip
                fresh = _first_places(
                    rows, cur.insert_each(_INSERT + " RETURNING 1", [r.params for r in rows])
                )
            else:
                fresh = []
                for row in rows:
                    cur.execute(_INSERT, row.params)
                    fresh.append(cur.rowcount == 1)
            if self.db.dialect == "postgres" and any(
                f and r.due_now for f, r in zip(fresh, rows, strict=True)
            ):
                cur.execute(f"NOTIFY {INBOX_CHANNEL}")
        return list(fresh)

    def claim(
        self,
        request_id: str,
        *,
        now: datetime,
        lease: timedelta,
        owner: str | None = None,
        gone_before: str | None = None,
    ) -> InboxRow | None:
        """Take a pending row for processing until `now + lease`, for worker `owner` (None: no worker);
        None if it is done or someone holds it. With `gone_before` (`WorkerLiveness.dead_before()`), a
        claim whose worker has not beaten since then is taken over before its lease ends."""
        free, free_params = _unclaimed(now, gone_before)
        with self.db.transaction() as cur:
            cur.execute(
                f"""
                UPDATE webhook_inbox SET claimed_until = %s, claimed_by = %s, attempts = attempts + 1
                WHERE request_id = %s AND status = 'pending' AND {free}
                """,
                (timestamp_text(now + lease), owner, request_id, *free_params),
            )
            if cur.rowcount != 1:
                return None
            cur.execute(f"SELECT {_COLUMNS} FROM webhook_inbox WHERE request_id = %s", (request_id,))
            row = cur.fetchone()
        return _row(row) if row else None

    def finish(self, request_id: str, *, status: InboxStatus, reason: str | None, now: datetime) -> None:
        """Close a claimed row with the decision taken on it."""
        if status is InboxStatus.PENDING:
            raise ValueError("finishing a row needs a final status, not pending")
        with self.db.transaction() as cur:
            cur.execute(
                """
                UPDATE webhook_inbox SET status = %s, reason = %s, processed_at = %s, claimed_until = NULL,
                    claimed_by = NULL, next_relay_at = NULL
                WHERE request_id = %s
                """,
                (status.value, reason, timestamp_text(now), request_id),
            )

    def release(self, request_id: str, *, reason: str, now: datetime) -> None:
        """Give a claimed row back after a temporary failure; the relay retries it after a backoff."""
        with self.db.transaction() as cur:
            cur.execute("SELECT attempts FROM webhook_inbox WHERE request_id = %s", (request_id,))
            found = cur.fetchone()
            attempts = int(found[0]) if found else 1
            cur.execute(
                """
                UPDATE webhook_inbox SET claimed_until = NULL, claimed_by = NULL, reason = %s, next_relay_at = %s
                WHERE request_id = %s AND status = 'pending'
                """,
                (reason, timestamp_text(now + relay_backoff(attempts)), request_id),
            )

    def take_due_for_relay(
        self, *, now: datetime, limit: int = 200, gone_before: str | None = None
    ) -> list[str]:
        """Pending rows nobody is working on whose rest is over; each is rescheduled as it is taken.

        With `gone_before`, a row claimed by a worker that has not beaten since then counts as nobody's
        (its rest still applies: a delivery that kills every worker that takes it is not retried in a loop).
        Workers woken by the same commit take disjoint rows: on PostgreSQL the rows one is taking are
        locked and skipped by the others (SQLite's single writer serialises them anyway).
        """
        free, free_params = _unclaimed(now, gone_before)
        skip_taken = " FOR UPDATE SKIP LOCKED" if self.db.dialect == "postgres" else ""
        with self.db.transaction() as cur:
            cur.execute(
                f"""
                SELECT request_id, attempts FROM webhook_inbox
                WHERE status = 'pending' AND next_relay_at <= %s AND {free}
                ORDER BY next_relay_at LIMIT %s
                """
                + skip_taken,
                (timestamp_text(now), *free_params, limit),
            )
            due = [(str(request_id), int(attempts)) for request_id, attempts in cur.fetchall()]
            if due:
                cur.executemany(
                    "UPDATE webhook_inbox SET next_relay_at = %s WHERE request_id = %s",
                    [(timestamp_text(now + relay_backoff(attempts + 1)), rid) for rid, attempts in due],
                )
        return [request_id for request_id, _ in due]

    # ------------------------------------------------------------------------------------- reads

    def get(self, request_id: str) -> InboxRow | None:
        with self.db.transaction() as cur:
            cur.execute(f"SELECT {_COLUMNS} FROM webhook_inbox WHERE request_id = %s", (request_id,))
            row = cur.fetchone()
        return _row(row) if row else None

    def order_versions_since(self, tenant_id: str, since: datetime) -> set[tuple[str, datetime]]:
        """The (order id, `updatedDate`) of every order version with a row, updated at or after `since`."""
        with self.db.transaction() as cur:
            cur.execute(
                """
                SELECT order_id, order_updated_date FROM webhook_inbox
                WHERE tenant_id = %s AND order_change = 'upsert' AND order_updated_date >= %s
                """,
                (tenant_id, timestamp_text(since)),
            )
            return {(order_id, parse_timestamp(updated)) for order_id, updated in cur.fetchall()}

    def appointment_versions_since(self, tenant_id: str, since: datetime) -> set[tuple[str, datetime]]:
        """The (appointment id, `updatedDate`) of every appointment version with a row, updated at or
        after `since` (what the poller need not bring again)."""
        with self.db.transaction() as cur:
            cur.execute(
                """
                SELECT appointment_id, appointment_updated_date FROM webhook_inbox
                WHERE tenant_id = %s AND appointment_change = 'upsert' AND appointment_updated_date >= %s
                """,
                (tenant_id, timestamp_text(since)),
            )
            return {(ident, parse_timestamp(updated)) for ident, updated in cur.fetchall()}

    def rows(self, tenant_id: str, *, limit: int = 100) -> list[InboxRow]:
        """The tenant's latest deliveries, newest first (for operators and tests)."""
        with self.db.transaction() as cur:
            cur.execute(
                f"SELECT {_COLUMNS} FROM webhook_inbox WHERE tenant_id = %s ORDER BY received_at DESC LIMIT %s",
                (tenant_id, limit),
            )
            return [_row(row) for row in cur.fetchall()]


def _unclaimed(now: datetime, gone_before: str | None) -> tuple[str, tuple[str, ...]]:
    """The SQL condition (and its parameters) for a row nobody holds: no claim, a claim whose lease is
    over, or, with `gone_before`, a claim whose worker is gone."""
    condition = "claimed_until IS NULL OR claimed_until < %s"
    if gone_before is None:
        return f"({condition})", (timestamp_text(now),)
    return f"({condition} OR {owner_gone_sql('claimed_by')})", (timestamp_text(now), gone_before)


def _row(row: tuple[Any, ...]) -> InboxRow:
    (
        request_id,
        tenant_id,
        source,
        received_at,
        status,
        reason,
        attempts,
        operation,
        order_json,
        headers,
        raw,
        appointment_json,
    ) = row
    return InboxRow(
        request_id=request_id,
        tenant_id=tenant_id,
        source=source,
        received_at=parse_timestamp(received_at),
        status=InboxStatus(status),
        reason=reason,
        attempts=int(attempts),
        operation=operation,
        order=msgspec.json.decode(order_json, type=CrmOrder) if order_json else None,
        headers=msgspec.json.decode(headers),
        raw_body=raw,
        appointment=msgspec.json.decode(appointment_json, type=CrmAppointment) if appointment_json else None,
    )


def workers_listen(container: Container) -> bool:
    """Whether worker processes are woken by the inbox's commits (PostgreSQL + Redis-backed workers).

    Then the webhook handler only stores a delivery, due at once, and a listening worker sends it to
    processing; otherwise (the embedded default, SQLite) the handler enqueues it itself.
    """
    runtime = container.runtime
    return bool(container.db.dialect == "postgres" and runtime is not None and not runtime.in_process)
