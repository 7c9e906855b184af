"""One small SQL gateway for the plain tables (configuration, inbox, read models) on both backends.

The event store itself is the `eventsourcing` library's; this is for everything that is not events.
SQL is written once with `%s` placeholders (psycopg's style) and the gateway rewrites them for SQLite,
so there is one code path and the backend is configuration. `upsert`-style statements use
`INSERT ... ON CONFLICT ... DO UPDATE`, which both PostgreSQL and SQLite (≥ 3.24) understand.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from psycopg_pool import ConnectionPool

Row = tuple[Any, ...]


class Cursor(Protocol):
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...
    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> Any: ...
    def fetchone(self) -> Row | None: ...
    def fetchall(self) -> list[Row]: ...


class IntegrityViolation(Exception):
    """A unique or foreign-key constraint refused a write (backend-independent)."""


class Database(Protocol):
    dialect: str  # "postgres" | "sqlite"

    def transaction(self) -> Any: ...  # context manager yielding a Cursor, committing on success
    def close(self) -> None: ...


_PLACEHOLDER = re.compile(r"%s")


class _SQLiteCursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _SQLiteCursor:
        try:
            self._cursor.execute(_PLACEHOLDER.sub("?", sql), tuple(params))
        except sqlite3.IntegrityError as exc:
            raise IntegrityViolation(str(exc)) from exc
        return self

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> _SQLiteCursor:
        try:
            self._cursor.executemany(_PLACEHOLDER.sub("?", sql), [tuple(p) for p in params])
        except sqlite3.IntegrityError as exc:
            raise IntegrityViolation(str(exc)) from exc
        return self

    def fetchone(self) -> Row | None:
        return self._cursor.fetchone()  # type: ignore[no-any-return]

    def fetchall(self) -> list[Row]:
        return self._cursor.fetchall()

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount


class SQLiteDatabase:
    """SQLite file in WAL mode; one connection per thread; writes serialised by SQLite's own lock."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[_SQLiteCursor]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield _SQLiteCursor(conn.cursor())
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


class _PostgresCursor:
    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _PostgresCursor:
        import psycopg

        try:
            self._cursor.execute(sql, tuple(params))
        except psycopg.errors.IntegrityError as exc:
            raise IntegrityViolation(str(exc)) from exc
        return self

    def executemany(self, sql: str, params: Sequence[Sequence[Any]]) -> _PostgresCursor:
        import psycopg

        try:
            self._cursor.executemany(sql, [tuple(p) for p in params])
        except psycopg.errors.IntegrityError as exc:
            raise IntegrityViolation(str(exc)) from exc
        return self

    def copy_rows(self, copy_sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Stream `rows` into a table with `COPY … FROM STDIN` (PostgreSQL's fastest way to load rows)."""
        with self._cursor.copy(copy_sql) as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row)

    def insert_each(self, sql: str, params: Sequence[Sequence[Any]]) -> list[bool]:
        """Run `sql` (an INSERT … RETURNING) once per parameter row, pipelined in one round trip;
        for each row, whether it returned anything (it was inserted, not skipped by ON CONFLICT)."""
        import psycopg

        try:
            self._cursor.executemany(sql, [tuple(p) for p in params], returning=True)
        except psycopg.errors.IntegrityError as exc:
            raise IntegrityViolation(str(exc)) from exc
        inserted = []
        while True:
            inserted.append(self._cursor.fetchone() is not None)
            if not self._cursor.nextset():
                return inserted

    def fetchone(self) -> Row | None:
        return self._cursor.fetchone()  # type: ignore[no-any-return]

    def fetchall(self) -> list[Row]:
        return self._cursor.fetchall()  # type: ignore[no-any-return]

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)


class PostgresDatabase:
    """A psycopg connection pool; each transaction borrows one connection."""

    dialect = "postgres"

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.url = url
        self.pool = ConnectionPool(
            url, min_size=min_size, max_size=max_size, open=True, kwargs={"autocommit": False}
        )

    @contextmanager
    def transaction(self) -> Iterator[_PostgresCursor]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor() as cursor:
            yield _PostgresCursor(cursor)

    def close(self) -> None:
        self.pool.close()


CONNECT_TIMEOUT_SECONDS = 5
# pg_advisory_lock key of schema creation (any constant; "leadorch" in ASCII).
SCHEMA_LOCK_KEY = 0x6C6561646F726368


class DatabaseUnreachable(Exception):
    """The database does not answer at start-up; the message is the one line for the operator."""


@contextmanager
def schema_lock(database_url: str, *, timeout: float = CONNECT_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold PostgreSQL's schema advisory lock for the block: processes starting together on an empty
    database create tables, functions and seed rows one after another instead of racing (a
    `UniqueViolation` on a catalog row). Also the start-up's reachability check: an unreachable server
    is `DatabaseUnreachable` within `timeout` seconds, not a pool's 30 s wait and a traceback."""
    if database_url.startswith("sqlite:///"):
        yield  # SQLite serialises writers itself
        return
    import psycopg

    url = _normalise_pg_url(database_url)
    try:
        conn = psycopg.connect(url, connect_timeout=max(1, int(timeout)), autocommit=True)
    except psycopg.OperationalError as error:
        parts = urlsplit(url)
        reason = " ".join(str(error).split()) or type(error).__name__
        raise DatabaseUnreachable(
            f"cannot reach the database at {parts.hostname}:{parts.port or 5432} (DATABASE_URL) "
            f"within {timeout:g} s: {reason}"
        ) from None
    try:
        conn.execute("SELECT pg_advisory_lock(%s)", (SCHEMA_LOCK_KEY,))
        yield
    finally:
        conn.close()  # closing the session releases the lock


def open_database(database_url: str, *, pool_size: int = 20) -> SQLiteDatabase | PostgresDatabase:
    if database_url.startswith("sqlite:///"):
        return SQLiteDatabase(Path(database_url.removeprefix("sqlite:///")))
    return PostgresDatabase(_normalise_pg_url(database_url), max_size=pool_size)


def _normalise_pg_url(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def postgres_env(database_url: str) -> dict[str, str]:
    """The eventsourcing library's PostgreSQL settings for a `postgresql://` URL."""
    parts = urlsplit(_normalise_pg_url(database_url))
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parts.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": parts.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parts.port or 5432),
        "POSTGRES_USER": parts.username or "postgres",
        "POSTGRES_PASSWORD": parts.password or "",
    }
