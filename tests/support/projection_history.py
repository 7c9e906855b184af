"""What the projection tests start from: a container on the test's backend, a history of whole lead lives
written to its store, and the read-model tables to compare after the projections ran."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from bench.histories import save_whole_lives

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.projections.registry import all_projections
from leadorch.app.settings import load_settings

START = datetime(2025, 1, 6, 16, tzinfo=UTC)


@pytest.fixture
def history_container(database_url: str) -> Iterator[Container]:
    """A container on `database_url` (SQLite and PostgreSQL), its clock at `START`."""
    built = bootstrap(load_settings({}, database_url=database_url), clock=AdjustableClock(START))
    yield built
    built.close()


def write_history(container: Container, leads: int) -> int:
    """`leads` whole lead lives from `START` on; the head of the notification log after."""
    return save_whole_lives(container.store, leads, start=START)


def read_model_tables(container: Container) -> dict[str, list[tuple[object, ...]]]:
    """Every read-model table's rows in key order, by table name."""
    tables = {}
    with container.db.transaction() as cur:
        for projection in all_projections():
            for table in projection.tables:
                cur.execute(f"SELECT * FROM {table.physical('rm_')} ORDER BY {', '.join(table.key)}")
                tables[table.name] = cur.fetchall()
    return tables
