"""Rebuild read models from the event log, without readers ever seeing a half-built table.

The rebuild replays the whole log into scratch copies of the tables (made from the current DDL, so a
changed schema is picked up; another prefix, primary keys only), then swaps them in with one
transaction: live tables dropped, the scratch copies renamed to their names (no rows copied), the other
indexes built over all rows at once, live positions set to where the scratch copies got. Events saved
during the rebuild are simply applied afterwards by the normal runner, from that position. Until the
swap commits, readers keep seeing the old tables.

With `workers` > 1 the read models are split into groups replayed by that many processes at once
(each reads and decodes the log itself, and owns its scratch tables), which is what a big log on a
multi-core machine needs: replay is CPU-bound Python.
"""

from __future__ import annotations

import gc
import multiprocessing
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, wait
from contextlib import contextmanager

from leadorch.app.db import Cursor, Database, open_database
from leadorch.app.eventstore.store import EventStore, open_event_store
from leadorch.app.projections import positions
from leadorch.app.projections.projection import ReadModelProjection
from leadorch.app.projections.runner import Progress, ReadModelRunner
from leadorch.app.projections.tables import LIVE_PREFIX

SCRATCH_PREFIX = "scratch_rebuild_"
REBUILD_BATCH_SIZE = 5000


def rebuild(
    db: Database,
    store: EventStore,
    projections: Sequence[ReadModelProjection],
    *,
    progress: Progress | None = None,
    batch_size: int = REBUILD_BATCH_SIZE,
    workers: int = 1,
    database_url: str | None = None,
    codec: str = "msgspec",
) -> dict[str, int]:
    """Rebuild `projections` from the whole log; returns the position each one reached.

    `workers` > 1 replays in that many processes, which open the database at `database_url` with the
    event codec `codec` (the container's settings).
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    everything = ReadModelRunner(db, store, projections, prefix=SCRATCH_PREFIX, batch_size=batch_size)
    try:
        if workers == 1 or len(projections) == 1:
            everything.reset()
            with cycle_collector_paused():
                everything.catch_up(progress=progress)
        else:
            if database_url is None:
                raise ValueError("a rebuild in several processes needs the database URL")
            _replay_in_processes(everything, projections, workers, database_url, codec, batch_size, progress)
        reached = everything.positions()
        _swap_in(db, projections, reached)
        return reached
    finally:
        everything.drop()


def _replay_in_processes(
    everything: ReadModelRunner,
    projections: Sequence[ReadModelProjection],
    workers: int,
    database_url: str,
    codec: str,
    batch_size: int,
    progress: Progress | None,
) -> None:
    head = everything.head()
    groups = balanced_groups(projections, workers)
    context = multiprocessing.get_context("spawn")  # no inherited connections or threads
    with ProcessPoolExecutor(max_workers=len(groups), mp_context=context) as pool:
        futures = [
            pool.submit(_replay_group, database_url, codec, [type(p) for p in group], head, batch_size)
            for group in groups
        ]
        while True:
            done, running = wait(futures, timeout=0.25)
            if progress is not None:
                progress(min(everything.positions().values()), head)
            if not running:
                break
        for future in done:
            future.result()  # a failure in a group is raised here


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a replay runs, back as it was afterwards.

    Why: a replay keeps hundreds of thousands of row dicts alive (the scratch tables' rows it reads),
    and every few hundred allocations the collector would walk them all again looking for cycles they
    do not have; measured, that was about a quarter of a rebuild's CPU time. Nothing a replay makes is
    cyclic, so nothing is left uncollected; the next collection after this sees whatever was.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def balanced_groups(
    projections: Sequence[ReadModelProjection], count: int
) -> list[list[ReadModelProjection]]:
    """`projections` split into at most `count` groups of about equal replay cost."""
    groups: list[list[ReadModelProjection]] = [[] for _ in range(min(count, len(projections)))]
    costs = [0.0] * len(groups)
    for projection in sorted(projections, key=lambda p: p.replay_cost, reverse=True):
        lightest = costs.index(min(costs))
        groups[lightest].append(projection)
        costs[lightest] += projection.replay_cost
    return groups


def _replay_group(
    database_url: str, codec: str, classes: list[type[ReadModelProjection]], until: int, batch_size: int
) -> dict[str, int]:
    """In a worker process: replay one group of read models into their scratch tables."""
    db = open_database(database_url, pool_size=2)
    # The parent's store already made the event tables; making them again in two processes at once
    # races on PostgreSQL (`CREATE OR REPLACE FUNCTION`: "tuple concurrently updated").
    store = open_event_store(database_url, codec=codec, CREATE_TABLE="no")
    try:
        runner = ReadModelRunner(
            db, store, [cls() for cls in classes], prefix=SCRATCH_PREFIX, batch_size=batch_size
        )
        runner.reset()
        with cycle_collector_paused():
            runner.catch_up(until=until)
        return runner.positions()
    finally:
        store.close()
        db.close()


def _swap_in(db: Database, projections: Sequence[ReadModelProjection], reached: dict[str, int]) -> None:
    """Replace the live tables by the scratch copies: renamed, not copied, then indexed once."""
    names = [projection.name for projection in projections]
    positions.ensure(db, names)
    with db.transaction() as cur:
        positions.lock(cur, db.dialect, names)  # live runners wait, then resume from the new position
        for projection in projections:
            for table in projection.tables:
                live = table.physical(LIVE_PREFIX)
                cur.execute(table.drop(LIVE_PREFIX))
                cur.execute(f"ALTER TABLE {table.physical(SCRATCH_PREFIX)} RENAME TO {live}")
                if db.dialect == "postgres":
                    _name_primary_key_after(cur, live)
                for statement in table.index_ddl(LIVE_PREFIX):  # built once over all rows: faster
                    cur.execute(statement)
        positions.write(cur, reached)


def _name_primary_key_after(cur: Cursor, table: str) -> None:
    """PostgreSQL keeps a renamed table's primary key under the old table's name: give it the usual one
    (`<table>_pkey`), so live tables look the same however they were made and the next scratch copy
    gets its own usual name too."""
    cur.execute("SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'", (table,))
    found = cur.fetchone()
    if found is not None and found[0] != f"{table}_pkey":
        cur.execute(f"ALTER TABLE {table} RENAME CONSTRAINT {found[0]} TO {table}_pkey")
