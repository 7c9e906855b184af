"""Creates the plain tables (configuration, inbox, read models) on first start, idempotently.

Each module that owns tables exposes `SCHEMA: list[str]` (portable DDL: `CREATE TABLE IF NOT EXISTS`,
`CREATE INDEX IF NOT EXISTS`, types TEXT/INTEGER/BIGINT/BOOLEAN/DOUBLE PRECISION) and is listed here.
A column added to a table later is also named in the module's `ADDED_COLUMNS` (table, column, type),
so a database created before it gets the column too (nullable: old rows read as the default); an
index over such a column is named in `ADDED_INDEXES`, created once the columns exist.
"""

from __future__ import annotations

import importlib

from leadorch.app.db import Database

SCHEMA_MODULES: list[str] = [
    "leadorch.app.leads.inbound_receipts",
    "leadorch.app.projections.schema",
    "leadorch.app.config.tables",
    "leadorch.app.ingestion.inbox",
    "leadorch.app.ingestion.poller",
    "leadorch.app.booking.tables",
    "leadorch.app.chat.tables",
    "leadorch.app.touches.provider_circuit",
    "leadorch.app.touches.claim_workers",
    "leadorch.app.crm_health",
    "leadorch.app.staff_alert_claims",
    "leadorch.app.worker.liveness",
    "leadorch.app.touches.email_events",
]


def create_tables(db: Database) -> None:
    for module_name in SCHEMA_MODULES:
        module = importlib.import_module(module_name)
        with db.transaction() as cur:
            for statement in module.SCHEMA:
                cur.execute(statement)
        for table, column, kind in getattr(module, "ADDED_COLUMNS", []):
            if not _has_column(db, table, column):
                with db.transaction() as cur:
                    cur.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        added_indexes = getattr(module, "ADDED_INDEXES", [])
        if added_indexes:
            with db.transaction() as cur:
                for statement in added_indexes:
                    cur.execute(statement)


def _has_column(db: Database, table: str, column: str) -> bool:
    # Portable across SQLite and PostgreSQL: selecting a missing column fails (and rolls back only
    # this transaction); both drivers' errors are DB-API errors with no common base class here.
    try:
        with db.transaction() as cur:
            cur.execute(f"SELECT {column} FROM {table} WHERE 1 = 0")
    except Exception:
        return False
    return True
