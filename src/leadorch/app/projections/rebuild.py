"""Rebuild read models from the event log, without readers ever seeing a half-built table.

The rebuild replays the whole log into scratch copies of the tables (same DDL, another prefix), then
swaps them in with one transaction: live tables dropped and recreated from the current DDL (so a
changed schema is picked up), rows copied from the scratch copies, live positions set to where the
scratch copies got. Events saved during the rebuild are simply applied afterwards by the normal
runner, from that position. Until the swap commits, readers keep seeing the old tables.
"""

from __future__ import annotations

from collections.abc import Sequence

from leadorch.app.db import Database
from leadorch.app.eventstore.store import EventStore
from leadorch.app.projections import positions
from leadorch.app.projections.projection import Projection
from leadorch.app.projections.runner import Progress, ProjectionRunner
from leadorch.app.projections.tables import LIVE_PREFIX

SCRATCH_PREFIX = "scratch_rebuild_"
REBUILD_BATCH_SIZE = 5000


def rebuild(
    db: Database,
    store: EventStore,
    projections: Sequence[Projection],
    *,
    progress: Progress | None = None,
    batch_size: int = REBUILD_BATCH_SIZE,
) -> dict[str, int]:
    """Rebuild `projections` from the whole log; returns the position each one reached."""
    scratch = ProjectionRunner(db, store, projections, prefix=SCRATCH_PREFIX, batch_size=batch_size)
    scratch.reset()
    try:
        scratch.catch_up(progress=progress)
        reached = scratch.positions()
        _swap_in(db, projections, reached)
        return reached
    finally:
        scratch.drop()


def _swap_in(db: Database, projections: Sequence[Projection], reached: dict[str, int]) -> None:
    names = [projection.name for projection in projections]
    positions.ensure(db, names)
    with db.transaction() as cur:
        positions.lock(cur, db.dialect, names)  # live runners wait, then resume from the new position
        for projection in projections:
            for table in projection.tables:
                live = table.physical(LIVE_PREFIX)
                columns = ", ".join(table.column_names)
                cur.execute(table.drop(LIVE_PREFIX))
                for statement in table.ddl(LIVE_PREFIX):
                    cur.execute(statement)
                cur.execute(
                    f"INSERT INTO {live} ({columns}) SELECT {columns} FROM {table.physical(SCRATCH_PREFIX)}"
                )
        positions.write(cur, reached)
