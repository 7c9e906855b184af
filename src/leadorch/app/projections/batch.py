"""The read-model changes of one batch of events, collected in memory and written in a few statements.

Why: replay speed. A lead's history is dozens of events that all touch the same few rows; writing each
event's change as its own statement would make a rebuild one round trip per event. Handlers instead
describe changes here (`put` a whole row, `update` some columns, `delete`, `add` to a counter) and read
rows back with `row`; each row ends the batch with exactly one pending operation, and `flush` writes
them grouped into a handful of `executemany` calls.

The result is the same as executing every change in order (an `update` of a row that does not exist
changes nothing, a `put` replaces every column, a `delete` wins over earlier changes), so splitting a
history into batches differently can never change the tables: replay from zero and incremental
processing agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from leadorch.app.db import Cursor, Database
from leadorch.app.projections.tables import Table

Key = tuple[Any, ...]
Row = dict[str, Any]

_PUT = "put"
_UPDATE = "update"
_DELETE = "delete"
_UNKNOWN = object()  # not read from the database yet
_PREFETCH_CHUNK = 500


class Batch:
    """Pending changes to a set of read-model tables, written in one database transaction.

    Usually a batch lives for one transaction (`cursor`). A rebuild's batch may instead follow its
    scratch tables from empty through many transactions (`Batch.following`): it then knows every row
    of the tables its handlers read, so it needs no reads at all, and each transaction only writes.
    """

    def __init__(
        self,
        cursor: Cursor | None,
        tables: Iterable[Table],
        prefix: str,
        *,
        db: Database | None = None,
        empty: bool = False,
    ) -> None:
        self._cursor = cursor
        self._db = db
        self._prefix = prefix
        self._tables = {table.name: table for table in tables}
        # table -> key -> (operation, values); one pending operation per row
        self._pending: dict[str, dict[Key, tuple[str, Row | None]]] = defaultdict(dict)
        # table -> key -> the row as it stands now (None: no such row); rows read or written so far
        self._known: dict[str, dict[Key, Row | None]] = defaultdict(dict)
        # table -> column -> key -> delta
        self._counters: dict[str, dict[str, dict[Key, int]]] = defaultdict(lambda: defaultdict(dict))
        # tables whose every row is in `_known` (a missing key is a missing row), and tables read
        self._complete: set[str] = set(self._tables) if empty else set()
        self._read: set[str] = set()

    @classmethod
    def following(cls, db: Database, tables: Iterable[Table], prefix: str) -> Batch:
        """A batch for tables that start empty and that nobody else writes (a rebuild's scratch copies)."""
        return cls(None, tables, prefix, db=db, empty=True)

    # ------------------------------------------------------------------------------------- reading

    def row(self, table: str, key: Key) -> Row | None:
        """The row as it stands after the changes so far, or None when there is none.

        The row is the batch's own: read it, never change it (change rows with `update`).
        """
        self._read.add(table)
        known = self._known[table]
        current = known.get(key, _UNKNOWN)
        if current is _UNKNOWN:
            if table in self._complete:
                return None
            self.prefetch({table: [key]})
            current = known[key]
        return current  # type: ignore[return-value]

    def prefetch(self, wanted: Mapping[str, Iterable[Key]]) -> None:
        """Read the given rows from the database in a few queries, so `row` needs none per event."""
        for table_name, keys in wanted.items():
            if table_name in self._complete:
                continue
            table = self._table(table_name)
            known = self._known[table_name]
            missing = [key for key in set(keys) if key not in known]
            for start in range(0, len(missing), _PREFETCH_CHUNK):
                chunk = missing[start : start + _PREFETCH_CHUNK]
                for key, row in self._select(table, chunk).items():
                    known[key] = row
                for key in chunk:
                    if key not in known:
                        known[key] = None
                    self._apply_pending_update(table_name, key)

    def _apply_pending_update(self, table: str, key: Key) -> None:
        pending = self._pending[table].get(key)
        stored = self._known[table][key]
        if pending is not None and pending[0] == _UPDATE and stored is not None:
            stored.update(pending[1] or {})

    def _select(self, table: Table, keys: list[Key]) -> dict[Key, Row]:
        columns = table.column_names
        sql = f"SELECT {', '.join(columns)} FROM {table.physical(self._prefix)} WHERE "
        key_width = len(table.key)
        if key_width == 1:
            sql += f"{table.key[0]} IN ({', '.join(['%s'] * len(keys))})"
            params: list[Any] = [key[0] for key in keys]
        else:
            one = "(" + " AND ".join(f"{column} = %s" for column in table.key) + ")"
            sql += " OR ".join([one] * len(keys))
            params = [value for key in keys for value in key]
        if self._cursor is not None:
            self._cursor.execute(sql, params)
            records = self._cursor.fetchall()
        else:
            assert self._db is not None, "a batch outside a transaction needs the database to read rows"
            with self._db.transaction() as cursor:
                cursor.execute(sql, params)
                records = cursor.fetchall()
        positions = [columns.index(column) for column in table.key]
        return {
            tuple(record[i] for i in positions): dict(zip(columns, record, strict=True)) for record in records
        }

    # ------------------------------------------------------------------------------------- writing

    def put(self, table: str, row: Mapping[str, Any]) -> None:
        """Insert the row, or replace every column of the row with the same key."""
        spec = self._tables.get(table) or self._table(table)
        if not spec.column_set.issuperset(row):
            raise KeyError(f"table {table} has no columns {sorted(set(row) - spec.column_set)}")
        full = dict.fromkeys(spec.column_names)
        full.update(row)
        key = tuple([full[column] for column in spec.key])
        if None in key:
            raise ValueError(f"table {table}: key {dict(zip(spec.key, key, strict=True))} has an empty part")
        self._pending[table][key] = (_PUT, full)
        self._known[table][key] = full  # one dict: later updates change both, deletes replace both

    def update(self, table: str, key: Key, **values: Any) -> None:
        """Set some columns of an existing row; nothing happens when there is no such row."""
        spec = self._tables.get(table) or self._table(table)  # (the common case without a call)
        if not spec.updatable.issuperset(values):
            if not spec.column_set.issuperset(values):
                raise KeyError(f"table {table} has no columns {sorted(set(values) - spec.column_set)}")
            raise ValueError(f"table {table}: an update cannot change key columns {spec.key}")
        current = self._known[table].get(key, _UNKNOWN)
        if current is None:
            return
        if current is not _UNKNOWN:
            current.update(values)  # type: ignore[attr-defined]
        pending = self._pending[table]
        operation = pending.get(key)
        if operation is None:
            pending[key] = (_UPDATE, values)
        elif operation[0] is not _DELETE:
            operation[1].update(values)  # type: ignore[union-attr]

    def delete(self, table: str, key: Key) -> None:
        """Remove the row (if there is one)."""
        self._table(table)
        self._pending[table][key] = (_DELETE, None)
        self._known[table][key] = None

    def add(self, table: str, key: Key, column: str, delta: int = 1) -> None:
        """Add `delta` to a counter column, creating the row (other counters zero) when missing."""
        spec = self._table(table)
        if column not in spec.column_names or column in spec.key:
            raise KeyError(f"table {table} has no counter column {column!r}")
        if self._pending[table] or key in self._known[table]:
            raise ValueError(f"table {table} mixes counters and row changes; keep counter tables separate")
        counters = self._counters[table][column]
        counters[key] = counters.get(key, 0) + delta

    # -------------------------------------------------------------------------------------- flush

    @property
    def pending_rows(self) -> int:
        return sum(len(rows) for rows in self._pending.values())

    def flush(self, cursor: Cursor | None = None) -> None:
        """Write every pending change: deletes, then whole rows, then column updates, then counters.

        `cursor` is the transaction to write in (default: the batch's own).
        """
        writer = cursor if cursor is not None else self._cursor
        assert writer is not None, "flush needs a transaction's cursor"
        self._write(writer)
        self._pending.clear()
        self._counters.clear()
        # Rows of tables no handler reads only cost memory once written: forget them (and that the
        # batch knew all of them, so a later read of such a table asks the database).
        for table in [name for name in self._known if name not in self._read]:
            del self._known[table]
            self._complete.discard(table)

    def _write(self, cursor: Cursor) -> None:
        for table_name, rows in self._pending.items():
            table = self._table(table_name)
            physical = table.physical(self._prefix)
            where = " AND ".join(f"{column} = %s" for column in table.key)
            deletes = [key for key, (operation, _) in rows.items() if operation == _DELETE]
            if deletes:
                cursor.executemany(f"DELETE FROM {physical} WHERE {where}", deletes)
            puts = [values for operation, values in rows.values() if operation == _PUT]
            if puts:
                cursor.executemany(_upsert_sql(table, physical), [tuple(row.values()) for row in puts])  # type: ignore[union-attr]
            updates: dict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
            for key, (operation, values) in rows.items():
                if operation == _UPDATE and values:
                    columns = tuple(sorted(values))
                    updates[columns].append((*(values[c] for c in columns), *key))
            for columns, params in updates.items():
                assignments = ", ".join(f"{column} = %s" for column in columns)
                cursor.executemany(f"UPDATE {physical} SET {assignments} WHERE {where}", params)
        for table_name, by_column in self._counters.items():
            table = self._table(table_name)
            physical = table.physical(self._prefix)
            for column, deltas in by_column.items():
                keys = ", ".join(table.key)
                placeholders = ", ".join(["%s"] * (len(table.key) + 1))
                sql = (
                    f"INSERT INTO {physical} ({keys}, {column}) VALUES ({placeholders}) "
                    f"ON CONFLICT ({keys}) DO UPDATE SET {column} = {physical}.{column} + excluded.{column}"
                )
                cursor.executemany(sql, [(*key, delta) for key, delta in deltas.items()])

    def _table(self, name: str) -> Table:
        table = self._tables.get(name)
        if table is None:
            raise KeyError(f"no read-model table {name!r} in this batch (known: {sorted(self._tables)})")
        return table


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
