"""The read-model changes of one batch of events, collected in memory and written in a few statements.

Why: replay speed. A lead's history is dozens of events that all touch the same few rows; writing each
event's change as its own statement would make a rebuild one round trip per event. Handlers instead
describe changes here (`put` a whole row, `update` some columns, `delete`, `add` to a counter) and read
rows back with `row`; each row ends the batch with exactly one pending write, and `flush` writes them
grouped into a handful of statements. A row the batch holds in memory (read, or put) is written whole
however many updates it saw; only a row it never read gets a partial `UPDATE`.

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
from leadorch.app.projections.row_writer import RowWriter
from leadorch.app.projections.tables import Table

Key = tuple[Any, ...]
Row = dict[str, Any]

_WHOLE = object()  # pending write: the row as the batch holds it (or its deletion, when it holds None)
_UNKNOWN = object()  # not read from the database yet
_PREFETCH_CHUNK = 500


class Batch:
    """Pending changes to a set of read-model tables, written in one database transaction.

    Usually a batch lives for one transaction (`cursor`). A rebuild's batch may instead follow its
    scratch tables from empty through many transactions (`Batch.following`): it then knows every row
    of the tables its handlers read and the key of every row written, so it needs no reads at all,
    writes rows it has not written before with plain inserts (`COPY` on PostgreSQL), and each
    transaction only writes.
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
        # table -> key -> the row as it stands now (None: no such row); rows read or written so far
        self._known: dict[str, dict[Key, Row | None]] = {name: {} for name in self._tables}
        # table -> key -> what to write: `_WHOLE` (the known row, or its deletion) or some columns of a
        # row not known (a partial update)
        self._dirty: dict[str, dict[Key, Any]] = {name: {} for name in self._tables}
        # table -> column -> key -> delta
        self._counters: dict[str, dict[str, dict[Key, int]]] = defaultdict(lambda: defaultdict(dict))
        # tables whose every row is in `_known` (a missing key is a missing row), and tables read
        self._complete: set[str] = set(self._tables) if empty else set()
        self._read: set[str] = set()
        # following empty tables: table -> keys of the rows written to the database so far
        self._stored: dict[str, set[Key]] | None = {name: set() for name in self._tables} if empty else None

    @classmethod
    def following(cls, db: Database, tables: Iterable[Table], prefix: str) -> Batch:
        """A batch for tables that start empty and that nobody else writes (a rebuild's scratch copies)."""
        return cls(None, tables, prefix, db=db, empty=True)

    # ------------------------------------------------------------------------------------- reading

    def row(self, table: str, key: Key) -> Row | None:
        """The row as it stands after the changes so far, or None when there is none.

        The row is the batch's own: read it, never change it (change rows with `update`).
        """
        known = self._known.get(table)
        if known is None:
            raise KeyError(f"no read-model table {table!r} in this batch (known: {sorted(self._tables)})")
        self._read.add(table)
        current = known.get(key, _UNKNOWN)
        if current is _UNKNOWN:
            if table in self._complete or (self._stored is not None and key not in self._stored[table]):
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
                    self._apply_partial_update(table_name, key)

    def _apply_partial_update(self, table: str, key: Key) -> None:
        """A row updated before it was read: the update joins the row read, which is then written whole."""
        dirty = self._dirty[table]
        columns = dirty.get(key)
        if columns is None:
            return
        stored = self._known[table][key]
        if stored is None:
            del dirty[key]  # it updated nothing
        else:
            stored.update(columns)
            dirty[key] = _WHOLE

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
        key = spec.key_of(full)
        if None in key:
            raise ValueError(f"table {table}: key {dict(zip(spec.key, key, strict=True))} has an empty part")
        self._known[table][key] = full
        self._dirty[table][key] = _WHOLE

    def update(
        self, table: str, key: Key, columns: Mapping[str, Any] | None = None, /, **values: Any
    ) -> None:
        """Set some columns of an existing row; nothing happens when there is no such row.

        The columns are given as keywords, or as a mapping (cheaper for a dict the caller already has).
        """
        if columns is not None:
            values = {**columns, **values} if values else columns  # type: ignore[assignment]  # only read
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
            self._dirty[table][key] = _WHOLE
            return
        if table in self._complete or (self._stored is not None and key not in self._stored[table]):
            return  # no such row anywhere
        dirty = self._dirty[table]
        pending = dirty.get(key)
        if pending is None:
            dirty[key] = dict(values)
        else:
            pending.update(values)

    def delete(self, table: str, key: Key) -> None:
        """Remove the row (if there is one)."""
        self._table(table)
        self._known[table][key] = None
        self._dirty[table][key] = _WHOLE

    def add(self, table: str, key: Key, column: str, delta: int = 1) -> None:
        """Add `delta` to a counter column, creating the row (other counters zero) when missing."""
        spec = self._table(table)
        if column not in spec.column_names or column in spec.key:
            raise KeyError(f"table {table} has no counter column {column!r}")
        if self._dirty[table] or key in self._known[table]:
            raise ValueError(f"table {table} mixes counters and row changes; keep counter tables separate")
        counters = self._counters[table][column]
        counters[key] = counters.get(key, 0) + delta

    # -------------------------------------------------------------------------------------- flush

    @property
    def pending_rows(self) -> int:
        return sum(len(rows) for rows in self._dirty.values())

    def flush(self, cursor: Cursor | None = None) -> None:
        """Write every pending change: deletes, then whole rows, then column updates, then counters.

        `cursor` is the transaction to write in (default: the batch's own).
        """
        writer = cursor if cursor is not None else self._cursor
        assert writer is not None, "flush needs a transaction's cursor"
        self._write(RowWriter(writer, self._prefix))
        for dirty in self._dirty.values():
            dirty.clear()
        self._counters.clear()
        # Rows of tables no handler reads only cost memory once written: forget them (and that the
        # batch knew all of them, so a later read of such a table asks the database).
        for table, known in self._known.items():
            if table not in self._read and known:
                known.clear()
                self._complete.discard(table)

    def _write(self, writer: RowWriter) -> None:
        for table_name, dirty in self._dirty.items():
            if not dirty:
                continue
            table = self._table(table_name)
            known = self._known[table_name]
            stored = None if self._stored is None else self._stored[table_name]
            deletes: list[Key] = []
            new: list[Row] = []
            replaced: list[Row] = []
            updates: dict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
            for key, change in dirty.items():
                if change is not _WHOLE:
                    columns = tuple(sorted(change))
                    updates[columns].append((*(change[c] for c in columns), *key))
                    continue
                row = known[key]
                if row is None:
                    if stored is None or key in stored:  # (a row never written needs no delete)
                        deletes.append(key)
                        if stored is not None:
                            stored.discard(key)
                elif stored is None or key in stored:
                    replaced.append(row)
                else:
                    new.append(row)
                    stored.add(key)
            writer.delete(table, deletes)
            writer.insert(table, new)
            writer.upsert(table, replaced)
            for columns, params in updates.items():
                writer.update(table, columns, params)
        for table_name, by_column in self._counters.items():
            table = self._table(table_name)
            for column, deltas in by_column.items():
                writer.add(table, column, deltas)

    def _table(self, name: str) -> Table:
        table = self._tables.get(name)
        if table is None:
            raise KeyError(f"no read-model table {name!r} in this batch (known: {sorted(self._tables)})")
        return table
