"""The PostgreSQL event recorder, with concurrent saves group-committed in one round trip.

The library's recorder serialises writers with `LOCK TABLE … IN EXCLUSIVE MODE`, so that notification
ids are issued in commit order (the projections rely on it). That lock is held for two round trips per
save, so threads saving at once simply queue for it: the store committed one save after another while a
plain table took eight inserts in parallel. Here the saves that arrive together go through
`GroupCommit`: one transaction per batch — the same lock, one insert of all their events, the commit —
sent as one statement (one round trip), each save getting back its own notification ids. Optimistic
concurrency is unchanged: if any save in a batch breaks the (aggregate id, version) key the whole batch
is rolled back, and each of its saves is committed on its own, so only the save that lost the race sees
the `IntegrityError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Composed, Identifier

from leadorch.app.group_commit import GroupCommit

MAX_SAVES_PER_BATCH = 64
MAX_EVENTS_PER_BATCH = 2_000


class GroupCommitRecorder(PostgresApplicationRecorder):
    """`PostgresApplicationRecorder` whose `insert_events` shares transactions between threads."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        function = Identifier(datastore.schema, f"{events_table_name}_insert_locked")
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {function}(ids {id_type}[], versions bigint[], topics text[], "
                "states bytea[]) RETURNS SETOF bigint "
                "LANGUAGE plpgsql AS $body$ BEGIN "
                "SET LOCAL lock_timeout = '{lock_timeout}s'; "
                "LOCK TABLE {table} IN EXCLUSIVE MODE; "
                "NOTIFY {channel}; "
                "RETURN QUERY INSERT INTO {table} (originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(ids, versions, topics, states) "
                "RETURNING notification_id; "
                "END $body$"
            ).format(
                function=function,
                id_type=SQL(datastore.originator_id_type),
                lock_timeout=datastore.lock_timeout,
                table=Identifier(datastore.schema, events_table_name),
                channel=Identifier(self.channel_name),
            )
        )
        self._function = function
        self._id_type = datastore.originator_id_type
        self._calls: dict[int, Composed] = {}  # the call's text for each batch size
        self.group = GroupCommit[Sequence[StoredEvent], Sequence[int]](
            self._commit_batch, max_batch=MAX_SAVES_PER_BATCH
        )

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not stored_events or any(value is not None for value in kwargs.values()):
            inserted: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return inserted  # tracking records: not grouped
        return self.group.submit(stored_events)

    def _commit_batch(self, saves: Sequence[Sequence[StoredEvent]]) -> list[Sequence[int] | BaseException]:
        if sum(len(s) for s in saves) > MAX_EVENTS_PER_BATCH:
            return [self._commit_alone(s) for s in saves]
        together = [event for save in saves for event in save]
        try:
            ids = self._insert_in_one_round_trip(together)
        except IntegrityError as exc:
            if len(saves) == 1:
                return [exc]
            return [self._commit_alone(s) for s in saves]  # find the save(s) that lost a race
        except Exception as exc:
            return [exc] * len(saves)
        if len(ids) != len(together):
            return [RuntimeError(f"expected {len(together)} notification ids, got {len(ids)}")] * len(saves)
        outcomes: list[Sequence[int] | BaseException] = []
        start = 0
        for save in saves:
            outcomes.append(ids[start : start + len(save)])
            start += len(save)
        return outcomes

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_in_one_round_trip(self, stored_events: Sequence[StoredEvent]) -> list[int]:
        """One statement, so one transaction (autocommit): lock the table, notify, insert, return ids.

        The lock taken inside the function is held until that transaction commits, exactly as the
        library's own `LOCK TABLE` before its insert; it is simply sent with the insert.
        """
        params: list[Any] = [e.originator_id for e in stored_events]
        params += [e.originator_version for e in stored_events]
        params += [e.topic for e in stored_events]
        params += [e.state for e in stored_events]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            assert conn.autocommit, "the function must run as its own transaction"
            curs.execute(self._call_for(len(stored_events)), params, prepare=True)
            # Ids are issued in row order while the table is locked, whatever order RETURNING lists them.
            return sorted(
                row[0] if isinstance(row, tuple) else next(iter(row.values())) for row in curs.fetchall()
            )

    def _call_for(self, size: int) -> Composed:
        """`SELECT * FROM fn(ARRAY[%s, …]::uuid[], …)`: each value is sent as a plain parameter, which
        the driver encodes far faster than a Python list as an array."""
        call = self._calls.get(size)
        if call is None:
            slots = SQL(", ").join([SQL("%s")] * size)
            arrays = [
                SQL("ARRAY[{}]::{}[]").format(slots, SQL(kind))
                for kind in (self._id_type, "bigint", "text", "bytea")
            ]
            call = self._calls[size] = SQL("SELECT * FROM {}({})").format(
                self._function, SQL(", ").join(arrays)
            )
        return call

    def _commit_alone(self, stored_events: Sequence[StoredEvent]) -> Sequence[int] | BaseException:
        """One save in its own transaction (the same statement; the library's insert for huge saves)."""
        try:
            if len(stored_events) > MAX_EVENTS_PER_BATCH:
                inserted: Sequence[int] | None = super().insert_events(stored_events)
                return list(inserted or [])
            ids: list[int] = self._insert_in_one_round_trip(stored_events)
            return ids
        except Exception as exc:
            return exc
