"""Creates the plain tables (configuration, inbox, read models) on first start, idempotently.

Each module that owns tables exposes `SCHEMA: list[str]` (portable DDL: `CREATE TABLE IF NOT EXISTS`,
`CREATE INDEX IF NOT EXISTS`, types TEXT/INTEGER/BIGINT/BOOLEAN/DOUBLE PRECISION) and is listed here.
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
]


def create_tables(db: Database) -> None:
    for module_name in SCHEMA_MODULES:
        module = importlib.import_module(module_name)
        with db.transaction() as cur:
            for statement in module.SCHEMA:
                cur.execute(statement)
