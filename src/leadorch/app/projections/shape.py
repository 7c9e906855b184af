"""Whether each live read-model table still has the columns its projection declares.

Live tables are created with `CREATE TABLE IF NOT EXISTS`, so a release that adds a column to a read
model finds the old table in place: its projection would fail on every write, and the rows it already
holds were computed by the old rules. The cure is `leadorch projections rebuild NAME` (scratch tables
from the current declaration, swapped in). This module tells which read models need it, so `/ready`
and `projections status` can say so by name instead of leaving the person on call with a failing
projection and a database error in the logs.
"""

from __future__ import annotations

from collections.abc import Sequence

from leadorch.app.db import Database
from leadorch.app.projections.projection import Projection
from leadorch.app.projections.tables import LIVE_PREFIX, Table


def out_of_shape(db: Database, projections: Sequence[Projection]) -> dict[str, list[str]]:
    """For each projection whose live tables differ from its declaration: what differs, in words."""
    found: dict[str, list[str]] = {}
    with db.transaction() as cur:
        for projection in projections:
            differences = []
            for table in projection.tables:
                existing = _columns(cur, db.dialect, table.physical(LIVE_PREFIX))
                if existing is None:
                    continue  # not created yet: the schema set-up creates it in its current shape
                differences += _differences(table, existing)
            if differences:
                found[projection.name] = differences
    return found


def _differences(table: Table, existing: set[str]) -> list[str]:
    missing = [name for name in table.column_names if name not in existing]
    extra = sorted(existing - table.column_set)
    words = [f"{table.name} lacks column {name}" for name in missing]
    return words + [f"{table.name} has undeclared column {name}" for name in extra]


def _columns(cur: object, dialect: str, physical: str) -> set[str] | None:
    if dialect == "postgres":
        cur.execute(  # type: ignore[attr-defined]
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            (physical,),
        )
    else:
        cur.execute(f"SELECT name FROM pragma_table_info('{physical}')")  # type: ignore[attr-defined]
    names = {str(row[0]) for row in cur.fetchall()}  # type: ignore[attr-defined]
    return names or None
