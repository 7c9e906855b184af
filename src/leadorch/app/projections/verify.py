"""Check the live read models against a fresh replay of the log, row by row.

The replay goes into scratch copies of the tables, caught up to exactly the position of each live read
model; the comparison runs in one transaction holding that projection's position lock, so a live runner
cannot move it mid-comparison. Any difference means a handler is not a pure function of the log (or a
table was edited by hand): `projections rebuild` repairs the data, the difference shows the bug.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from leadorch.app.db import Cursor, Database
from leadorch.app.eventstore.store import EventStore
from leadorch.app.projections import positions
from leadorch.app.projections.projection import ReadModelProjection
from leadorch.app.projections.runner import Progress, ReadModelRunner, position_name
from leadorch.app.projections.tables import LIVE_PREFIX, Table

SCRATCH_PREFIX = "scratch_verify_"
VERIFY_BATCH_SIZE = 5000
_ATTEMPTS = 10


class VerifyIncomplete(RuntimeError):
    """The live read model kept moving, so no stable comparison could be made."""


@dataclass(frozen=True)
class Difference:
    """One row that differs between a live read model and its replay."""

    projection: str
    table: str
    key: dict[str, Any]
    kind: str  # "changed" | "missing" (only in the replay) | "unexpected" (only live)
    columns: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # column -> (live, rebuilt)
    row: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        where = f"{self.table}[{', '.join(f'{k}={v}' for k, v in self.key.items())}]"
        if self.kind == "changed":
            changes = "; ".join(
                f"{column}: live {live!r} ≠ rebuilt {rebuilt!r}"
                for column, (live, rebuilt) in self.columns.items()
            )
            return f"{where}: {changes}"
        if self.kind == "missing":
            return f"{where}: missing from the live table (the replay has {self.row})"
        return f"{where}: in the live table but not in the replay ({self.row})"


def verify(
    db: Database,
    store: EventStore,
    projections: Sequence[ReadModelProjection],
    *,
    progress: Progress | None = None,
    batch_size: int = VERIFY_BATCH_SIZE,
) -> list[Difference]:
    """Every difference between the live read models and a replay of the log (empty: they agree)."""
    live = ReadModelRunner(db, store, projections)
    live.create_tables()
    live.catch_up()
    head = max(live.positions().values(), default=0)
    scratch = ReadModelRunner(db, store, projections, prefix=SCRATCH_PREFIX, batch_size=batch_size)
    scratch.reset()
    try:
        scratch.catch_up(until=head, progress=progress)
        differences: list[Difference] = []
        for projection in projections:
            differences += _verify_one(db, store, projection, batch_size)
        return differences
    finally:
        scratch.drop()


def _verify_one(
    db: Database, store: EventStore, projection: ReadModelProjection, batch_size: int
) -> list[Difference]:
    live_name = position_name(projection.name, LIVE_PREFIX)
    scratch_name = position_name(projection.name, SCRATCH_PREFIX)
    for _ in range(_ATTEMPTS):
        with db.transaction() as cur:
            live_position = positions.lock(cur, db.dialect, [live_name])[live_name]
            scratch_position = positions.lock(cur, db.dialect, [scratch_name])[scratch_name]
            if live_position == scratch_position:
                return [diff for table in projection.tables for diff in _compare(cur, projection.name, table)]
        if scratch_position < live_position:  # the live runner moved on meanwhile: replay as far
            ReadModelRunner(db, store, [projection], prefix=SCRATCH_PREFIX, batch_size=batch_size).catch_up(
                until=live_position
            )
        else:
            ReadModelRunner(db, store, [projection]).catch_up(until=scratch_position)
    raise VerifyIncomplete(f"read model {projection.name} kept moving; try verify again")


def _compare(cur: Cursor, projection: str, table: Table) -> list[Difference]:
    columns = table.column_names
    select = ", ".join(columns)
    live = table.physical(LIVE_PREFIX)
    rebuilt = table.physical(SCRATCH_PREFIX)
    cur.execute(f"SELECT {select} FROM {live} EXCEPT SELECT {select} FROM {rebuilt}")
    only_live = {_key(table, row): dict(zip(columns, row, strict=True)) for row in cur.fetchall()}
    cur.execute(f"SELECT {select} FROM {rebuilt} EXCEPT SELECT {select} FROM {live}")
    only_rebuilt = {_key(table, row): dict(zip(columns, row, strict=True)) for row in cur.fetchall()}
    differences = []
    for key in sorted(only_live.keys() | only_rebuilt.keys(), key=repr):
        key_columns = dict(zip(table.key, key, strict=True))
        live_row, rebuilt_row = only_live.get(key), only_rebuilt.get(key)
        if live_row is not None and rebuilt_row is not None:
            changed = {c: (live_row[c], rebuilt_row[c]) for c in columns if live_row[c] != rebuilt_row[c]}
            differences.append(Difference(projection, table.name, key_columns, "changed", columns=changed))
        elif rebuilt_row is not None:
            differences.append(Difference(projection, table.name, key_columns, "missing", row=rebuilt_row))
        else:
            assert live_row is not None
            differences.append(Difference(projection, table.name, key_columns, "unexpected", row=live_row))
    return differences


def _key(table: Table, row: tuple[Any, ...]) -> tuple[Any, ...]:
    columns = table.column_names
    return tuple(row[columns.index(column)] for column in table.key)
