"""Where each projection is in the event log: one row per projection, written with its read model.

The position is committed in the same transaction as the read-model changes it covers, so a crash
loses both or neither: a restarted projection resumes exactly after the last event it applied, and no
event is ever counted twice. Locking the rows (`FOR UPDATE` on PostgreSQL; SQLite's single writer lock
does the same) keeps two processes from advancing one projection at once: the loser sees a moved
position, throws its batch away and starts again from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from leadorch.app.db import Cursor, Database

SCHEMA: list[str] = [
    "CREATE TABLE IF NOT EXISTS projection_positions (name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
]


def ensure(db: Database, names: Iterable[str]) -> None:
    """Create the position rows that do not exist yet (at 0: nothing applied)."""
    with db.transaction() as cur:
        cur.execute(SCHEMA[0])
        cur.executemany(
            "INSERT INTO projection_positions (name, position) VALUES (%s, 0) ON CONFLICT (name) DO NOTHING",
            [(name,) for name in names],
        )


def read(db: Database, names: Iterable[str]) -> dict[str, int]:
    """Positions without locking (to decide where to read from; checked again under the lock)."""
    wanted = list(names)
    with db.transaction() as cur:
        return _select(cur, db.dialect, wanted, lock=False)


def lock(cur: Cursor, dialect: str, names: Iterable[str]) -> dict[str, int]:
    """Positions, locked until the transaction ends."""
    return _select(cur, dialect, list(names), lock=True)


def write(cur: Cursor, positions: Mapping[str, int]) -> None:
    cur.executemany(
        "UPDATE projection_positions SET position = %s WHERE name = %s",
        [(position, name) for name, position in positions.items()],
    )


def reset(cur: Cursor, names: Iterable[str]) -> None:
    cur.executemany(
        "INSERT INTO projection_positions (name, position) VALUES (%s, 0) "
        "ON CONFLICT (name) DO UPDATE SET position = 0",
        [(name,) for name in names],
    )


def forget(cur: Cursor, names: Iterable[str]) -> None:
    cur.executemany("DELETE FROM projection_positions WHERE name = %s", [(name,) for name in names])


def _select(cur: Cursor, dialect: str, names: list[str], *, lock: bool) -> dict[str, int]:
    if not names:
        return {}
    sql = f"SELECT name, position FROM projection_positions WHERE name IN ({', '.join(['%s'] * len(names))})"
    if lock and dialect == "postgres":
        sql += " ORDER BY name FOR UPDATE"
    cur.execute(sql, names)
    found = {str(name): int(position) for name, position in cur.fetchall()}
    missing = [name for name in names if name not in found]
    if missing:
        raise LookupError(f"no position recorded for projections {missing}; run the schema setup first")
    return found
