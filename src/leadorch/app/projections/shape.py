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

from leadorch.app.db import Cursor, Database
from leadorch.app.projections.projection import ReadModelProjection
from leadorch.app.projections.tables import LIVE_PREFIX, Table


def out_of_shape(db: Database, projections: Sequence[ReadModelProjection]) -> dict[str, list[str]]:
    """For each projection whose live tables differ from its declaration: what differs, in words."""
    with db.transaction() as cur:
        existing = _live_columns(cur, db.dialect)  # one catalog query: `/ready` asks on every probe
    found: dict[str, list[str]] = {}
    for projection in projections:
        differences = [
            difference
            for table in projection.tables
            if table.physical(LIVE_PREFIX) in existing  # not created yet: set-up creates it as declared
            for difference in _differences(table, existing[table.physical(LIVE_PREFIX)])
        ]
        if differences:
            found[projection.name] = differences
    return found


def _differences(table: Table, existing: set[str]) -> list[str]:
    missing = [name for name in table.column_names if name not in existing]
    extra = sorted(existing - table.column_set)
    words = [f"{table.name} lacks column {name}" for name in missing]
    return words + [f"{table.name} has undeclared column {name}" for name in extra]


def _live_columns(cur: Cursor, dialect: str) -> dict[str, set[str]]:
    """Every live read-model table's column names, by table."""
    if dialect == "postgres":
        cur.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND starts_with(table_name, %s)",
            (LIVE_PREFIX,),
        )
    else:
        cur.execute(
            "SELECT m.name, p.name FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS p "
            "WHERE m.type = 'table' AND substr(m.name, 1, length(%s)) = %s",
            (LIVE_PREFIX, LIVE_PREFIX),
        )
    columns: dict[str, set[str]] = {}
    for table, column in cur.fetchall():
        columns.setdefault(str(table), set()).add(str(column))
    return columns
