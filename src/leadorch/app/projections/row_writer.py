"""How a batch's rows reach a read-model table: grouped statements, and `COPY` for new rows on PostgreSQL.

Why a module of its own: the batch decides *what* to write (which rows are new, replaced, deleted or
partly updated); this decides *how*, per backend. New rows of a rebuild's scratch tables are most of
what a replay writes, and PostgreSQL takes them several times faster through `COPY` than through
`INSERT` statements; SQLite runs in-process, where an `executemany` of plain inserts is already as fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from leadorch.app.db import Cursor
from leadorch.app.projections.tables import Table

Key = tuple[Any, ...]


class RowWriter:
    """Writes groups of rows into tables under one prefix, in the transaction of `cursor`."""

    def __init__(self, cursor: Cursor, prefix: str) -> None:
        self._cursor = cursor
        self._prefix = prefix
        # PostgreSQL's cursor can stream rows with COPY; SQLite's has no such thing.
        self._copy_rows: Callable[[str, Iterable[Sequence[Any]]], None] | None = getattr(
            cursor, "copy_rows", None
        )

    def delete(self, table: Table, keys: Sequence[Key]) -> None:
        if keys:
            where = " AND ".join(f"{column} = %s" for column in table.key)
            self._cursor.executemany(f"DELETE FROM {table.physical(self._prefix)} WHERE {where}", keys)

    def insert(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Rows known not to be in the table yet (whole rows, values in the table's column order)."""
        if not rows:
            return
        physical = table.physical(self._prefix)
        columns = ", ".join(table.column_names)
        if self._copy_rows is not None:
            self._copy_rows(f"COPY {physical} ({columns}) FROM STDIN", (tuple(row.values()) for row in rows))
            return
        placeholders = ", ".join(["%s"] * len(table.column_names))
        self._cursor.executemany(
            f"INSERT INTO {physical} ({columns}) VALUES ({placeholders})",
            [tuple(row.values()) for row in rows],
        )

    def upsert(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        """Whole rows that may already be in the table: inserted, or replacing the row with their key."""
        if rows:
            self._cursor.executemany(
                _upsert_sql(table, table.physical(self._prefix)), [tuple(row.values()) for row in rows]
            )

    def update(self, table: Table, columns: Sequence[str], params: Sequence[Sequence[Any]]) -> None:
        """Set `columns` of rows by key; each parameter row is the new values, then the key."""
        if params:
            assignments = ", ".join(f"{column} = %s" for column in columns)
            where = " AND ".join(f"{column} = %s" for column in table.key)
            self._cursor.executemany(
                f"UPDATE {table.physical(self._prefix)} SET {assignments} WHERE {where}", params
            )

    def add(self, table: Table, column: str, deltas: Mapping[Key, int]) -> None:
        """Add to a counter column by key, creating missing rows (other counters at their default)."""
        if not deltas:
            return
        physical = table.physical(self._prefix)
        keys = ", ".join(table.key)
        placeholders = ", ".join(["%s"] * (len(table.key) + 1))
        sql = (
            f"INSERT INTO {physical} ({keys}, {column}) VALUES ({placeholders}) "
            f"ON CONFLICT ({keys}) DO UPDATE SET {column} = {physical}.{column} + excluded.{column}"
        )
        self._cursor.executemany(sql, [(*key, delta) for key, delta in deltas.items()])


def _upsert_sql(table: Table, physical: str) -> str:
    columns = table.column_names
    placeholders = ", ".join(["%s"] * len(columns))
    others = [column for column in columns if column not in table.key]
    keys = ", ".join(table.key)
    action = (
        "DO UPDATE SET " + ", ".join(f"{column} = excluded.{column}" for column in others)
        if others
        else "DO NOTHING"
    )
    return (
        f"INSERT INTO {physical} ({', '.join(columns)}) VALUES ({placeholders}) ON CONFLICT ({keys}) {action}"
    )
