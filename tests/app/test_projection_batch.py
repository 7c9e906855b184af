"""A batch of read-model changes ends exactly where running each change in order would, however the
changes are split into batches: the property that makes replay from zero equal incremental processing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadorch.app.db import Database, open_database
from leadorch.app.projections.batch import Batch
from leadorch.app.projections.tables import Table

ROWS = Table("batch_rows", columns=(("k", "TEXT NOT NULL"), ("a", "INTEGER"), ("b", "TEXT")), key=("k",))
COUNTS = Table(
    "batch_counts",
    columns=(
        ("k", "TEXT NOT NULL"),
        ("n", "INTEGER NOT NULL DEFAULT 0"),
        ("m", "INTEGER NOT NULL DEFAULT 0"),
    ),
    key=("k",),
)
PREFIX = "test_"
KEYS = st.sampled_from(["k1", "k2", "k3", "k4"])
OPERATIONS = st.one_of(
    st.tuples(st.just("put"), KEYS, st.integers(0, 9), st.sampled_from(["x", "y", None])),
    st.tuples(st.just("update_a"), KEYS, st.integers(0, 9)),
    st.tuples(st.just("update_b"), KEYS, st.sampled_from(["x", "y", None])),
    st.tuples(st.just("delete"), KEYS),
    st.tuples(st.just("read"), KEYS),
    st.tuples(st.just("add"), KEYS, st.sampled_from(["n", "m"]), st.integers(-2, 3)),
)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = open_database(database_url)
    yield database
    database.close()


def _reset(db: Database) -> None:
    with db.transaction() as cur:
        for table in (ROWS, COUNTS):
            cur.execute(table.drop(PREFIX))
            for statement in table.ddl(PREFIX):
                cur.execute(statement)


def _table(db: Database, table: Table) -> dict[str, tuple[Any, ...]]:
    with db.transaction() as cur:
        cur.execute(f"SELECT * FROM {table.physical(PREFIX)}")
        return {row[0]: tuple(row[1:]) for row in cur.fetchall()}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(OPERATIONS, max_size=40), cuts=st.sets(st.integers(0, 40), max_size=6))
def test_batched_changes_equal_the_same_changes_applied_one_by_one(
    db: Database, operations: list[tuple[Any, ...]], cuts: set[int]
) -> None:
    _reset(db)
    rows: dict[str, tuple[Any, ...]] = {}
    counts: dict[str, list[int]] = {}
    index = 0
    for end in sorted({*cuts, len(operations)}):
        with db.transaction() as cur:
            batch = Batch(cur, (ROWS, COUNTS), PREFIX)
            for operation in operations[index:end]:
                _apply(batch, operation, rows, counts)
            batch.flush()
        index = max(index, end)

    assert _table(db, ROWS) == rows
    assert _table(db, COUNTS) == {key: tuple(values) for key, values in counts.items()}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=st.lists(OPERATIONS, max_size=40), cuts=st.sets(st.integers(0, 40), max_size=6))
def test_a_batch_following_empty_tables_through_many_transactions_ends_where_the_changes_lead(
    db: Database, operations: list[tuple[Any, ...]], cuts: set[int]
) -> None:
    """A rebuild's batch: it keeps what it read, inserts rows new to the table (COPY on PostgreSQL),
    rewrites or deletes the ones written in an earlier transaction, and forgets unread tables' rows."""
    _reset(db)
    rows: dict[str, tuple[Any, ...]] = {}
    counts: dict[str, list[int]] = {}
    batch = Batch.following(db, (ROWS, COUNTS), PREFIX)
    index = 0
    for end in sorted({*cuts, len(operations)}):
        for operation in operations[index:end]:
            _apply(batch, operation, rows, counts)
        with db.transaction() as cur:
            batch.flush(cur)
        index = max(index, end)

    assert _table(db, ROWS) == rows
    assert _table(db, COUNTS) == {key: tuple(values) for key, values in counts.items()}


def _apply(
    batch: Batch, operation: tuple[Any, ...], rows: dict[str, tuple[Any, ...]], counts: dict[str, list[int]]
) -> None:
    """Apply one change to the batch and to a plain in-memory model of the same table."""
    kind, key = operation[0], operation[1]
    if kind == "put":
        batch.put("batch_rows", {"k": key, "a": operation[2], "b": operation[3]})
        rows[key] = (operation[2], operation[3])
    elif kind == "update_a":
        batch.update("batch_rows", (key,), a=operation[2])
        if key in rows:
            rows[key] = (operation[2], rows[key][1])
    elif kind == "update_b":
        batch.update("batch_rows", (key,), b=operation[2])
        if key in rows:
            rows[key] = (rows[key][0], operation[2])
    elif kind == "delete":
        batch.delete("batch_rows", (key,))
        rows.pop(key, None)
    elif kind == "read":
        found = batch.row("batch_rows", (key,))
        assert (None if found is None else (found["a"], found["b"])) == rows.get(key)
    else:
        column, delta = operation[2], operation[3]
        batch.add("batch_counts", (key,), column, delta)
        values = counts.setdefault(key, [0, 0])  # like the SQL it stands for, even +0 creates the row
        values[0 if column == "n" else 1] += delta


def test_prefetched_rows_are_read_without_one_query_per_row(db: Database) -> None:
    _reset(db)
    with db.transaction() as cur:
        batch = Batch(cur, (ROWS,), PREFIX)
        for number in range(5):
            batch.put("batch_rows", {"k": f"k{number}", "a": number, "b": None})
        batch.flush()

    with db.transaction() as cur:
        counting = _CountingCursor(cur)
        batch = Batch(counting, (ROWS,), PREFIX)
        batch.prefetch({"batch_rows": [(f"k{number}",) for number in range(8)]})
        found = [batch.row("batch_rows", (f"k{number}",)) for number in range(8)]

    assert counting.queries == 1
    assert [row["a"] if row else None for row in found] == [0, 1, 2, 3, 4, None, None, None]


def test_a_change_naming_an_unknown_table_or_column_is_refused_with_its_name(db: Database) -> None:
    _reset(db)
    with db.transaction() as cur:
        batch = Batch(cur, (ROWS, COUNTS), PREFIX)
        with pytest.raises(KeyError, match="no read-model table 'nope'"):
            batch.put("nope", {"k": "x"})
        with pytest.raises(KeyError, match=r"has no columns \['c'\]"):
            batch.update("batch_rows", ("k1",), c=1)
        with pytest.raises(ValueError, match="cannot change key columns"):
            batch.update("batch_rows", ("k1",), k="k2")
        with pytest.raises(ValueError, match="empty part"):
            batch.put("batch_rows", {"a": 1})


class _CountingCursor:
    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self.queries = 0

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.queries += 1
        return self._cursor.execute(sql, params)

    def executemany(self, sql: str, params: Any) -> Any:
        return self._cursor.executemany(sql, params)

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> Any:
        return self._cursor.fetchall()
