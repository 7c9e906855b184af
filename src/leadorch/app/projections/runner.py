"""Follows the event log and applies it to read models, exactly once, in batches.

One step: read the positions, read the next batch of notifications once for every projection in the
group, decode only the events some projection handles, then in ONE database transaction lock the
positions, check nobody moved them meanwhile, fetch the rows the handlers will read, apply every event
to every projection that has not seen it, write the changes and the new positions. A crash anywhere
leaves the previous positions with the previous tables; another process that got there first makes
this step start over from the new positions.

A runner that created its tables itself (`reset`: a rebuild's scratch copies) owns them, and skips the
reads: see `_step_owned`.

Why not the library's `eventsourcing.projection.ProjectionRunner`: it needs the recorder's `subscribe`
(PostgreSQL LISTEN/NOTIFY), which SQLite's recorder does not implement, and it runs one projection per
runner, one event per transaction, each runner reading and decoding the log again. Ours polls
`select_notifications` (so the embedded SQLite default works), reads and decodes each batch once for
every read model of the group, writes a batch in one transaction with a few `executemany` calls, and
can replay into scratch tables for a rebuild with a swap or a verify.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, cast

from eventsourcing.persistence import Notification, find_id_convertor
from eventsourcing.utils import resolve_topic

from leadorch.app.db import Database
from leadorch.app.eventstore.store import EventStore
from leadorch.app.projections import positions
from leadorch.app.projections.batch import Batch, Key
from leadorch.app.projections.projection import Handler, ReadModelProjection, RowRef
from leadorch.app.projections.tables import LIVE_PREFIX

Progress = Callable[[int, int], None]
_Decoding = tuple[type, int, type, Callable[[Any], Any]]
DEFAULT_BATCH_SIZE = 2000


class ProjectionFailed(RuntimeError):
    """A read model could not apply an event; its batch was rolled back and its position kept."""


def position_name(projection_name: str, prefix: str) -> str:
    """The live read model `leads` is tracked as "leads"; a scratch copy under its own prefix."""
    return projection_name if prefix == LIVE_PREFIX else f"{prefix}{projection_name}"


class ReadModelRunner:
    """Advances a group of projections (sharing reads and decoding) over one set of tables."""

    def __init__(
        self,
        db: Database,
        store: EventStore,
        projections: Sequence[ReadModelProjection],
        *,
        prefix: str = LIVE_PREFIX,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        names = [projection.name for projection in projections]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"projections {duplicates} are listed twice")
        if batch_size < 1:
            raise ValueError(f"batch size must be at least 1, not {batch_size}")
        self.db = db
        self.store = store
        self.projections = list(projections)
        self.prefix = prefix
        self.batch_size = batch_size
        self._position_names = {p.name: position_name(p.name, prefix) for p in self.projections}
        self._tables = [table for projection in self.projections for table in projection.tables]
        self._topic_wanted: dict[str, bool] = {}
        self._decoding: dict[str, _Decoding] = {}
        self._handlers: dict[type, list[tuple[ReadModelProjection, Handler]]] = {}
        self._row_needs: dict[type, list[tuple[str, Callable[[Any], Iterable[RowRef]]]]] = {}
        self._owned: Batch | None = None  # set by `reset`: the tables are this runner's alone
        self._owned_positions: dict[str, int] = {}

    # ------------------------------------------------------------------------------------ tables

    def create_tables(self) -> None:
        """Create this group's tables and position rows where missing."""
        with self.db.transaction() as cur:
            for table in self._tables:
                for statement in table.ddl(self.prefix):
                    cur.execute(statement)
        positions.ensure(self.db, self._position_names.values())

    def reset(self) -> None:
        """Drop and recreate this group's tables (primary keys only), positions at 0 (scratch copies).

        From here this runner owns the tables: until `drop`, it keeps every row its handlers read in
        memory and applies events outside any transaction, which only write (see `Batch.following`).
        """
        positions.ensure(self.db, self._position_names.values())
        with self.db.transaction() as cur:
            for table in self._tables:
                cur.execute(table.drop(self.prefix))
                # Only the primary key (all a runner reads by): every other index would be kept up to
                # date on each write of the replay for nobody; a swap builds them on the live tables.
                for statement in table.ddl(self.prefix, indexes=False):
                    cur.execute(statement)
            positions.reset(cur, self._position_names.values())
        self._owned = Batch.following(self.db, self._tables, self.prefix)
        self._owned_positions = dict.fromkeys(self._position_names.values(), 0)

    def drop(self) -> None:
        """Drop this group's tables and forget its positions (scratch copies end like this)."""
        self._owned = None
        with self.db.transaction() as cur:
            for table in self._tables:
                cur.execute(table.drop(self.prefix))
            positions.forget(cur, self._position_names.values())

    # ---------------------------------------------------------------------------------- progress

    def positions(self) -> dict[str, int]:
        """The position of each projection, by projection name."""
        stored = self._stored_positions()
        return {name: stored[tracked] for name, tracked in self._position_names.items()}

    def _stored_positions(self) -> dict[str, int]:
        try:
            return positions.read(self.db, self._position_names.values())
        except LookupError:  # a read model added since the tables were created starts at 0
            positions.ensure(self.db, self._position_names.values())
            return positions.read(self.db, self._position_names.values())

    def head(self) -> int:
        """The id of the newest event in the log (0 when empty)."""
        return int(self.store.recorder.max_notification_id() or 0)

    def lag(self) -> dict[str, int]:
        """How many notifications each projection is behind the head of the log."""
        head = self.head()
        return {name: max(0, head - position) for name, position in self.positions().items()}

    def catch_up(self, *, until: int | None = None, progress: Progress | None = None) -> int:
        """Apply events until the head of the log (or `until`); returns how many notifications were read."""
        target = self.head() if until is None else until
        read = 0
        while True:
            step = self.step(until=until)
            if step is None:
                continue  # another process advanced these projections first: start again from there
            if step == 0:
                break
            read += step
            if progress is not None:
                progress(min(self.positions().values(), default=0), target)
        return read

    # -------------------------------------------------------------------------------------- step

    def step(self, *, until: int | None = None) -> int | None:
        """Apply one batch. Returns the notifications read (0 at the head), None if someone else moved."""
        if self._owned is not None:
            return self._step_owned(self._owned, until)
        expected = self._stored_positions()
        start = min(expected.values()) + 1
        if until is not None and start > until:
            return 0
        notifications = self.store.recorder.select_notifications(
            start=start, limit=self.batch_size, stop=until
        )
        if not notifications:
            return 0
        events = self._decode(notifications)
        last = notifications[-1].id
        with self.db.transaction() as cur:
            current = positions.lock(cur, self.db.dialect, self._position_names.values())
            if current != expected:
                return None
            seen = {p.name: current[self._position_names[p.name]] for p in self.projections}
            batch = Batch(cur, self._tables, self.prefix)
            batch.prefetch(self._rows_needed(events, seen))
            self._apply(events, seen, batch)
            batch.flush()
            positions.write(cur, {self._position_names[name]: last for name in seen})
        return len(notifications)

    def _step_owned(self, batch: Batch, until: int | None) -> int:
        """One batch on tables this runner owns: apply in memory, then one transaction that only writes."""
        expected = self._owned_positions
        start = min(expected.values()) + 1
        if until is not None and start > until:
            return 0
        notifications = self.store.recorder.select_notifications(
            start=start, limit=self.batch_size, stop=until
        )
        if not notifications:
            return 0
        last = notifications[-1].id
        seen = {p.name: expected[self._position_names[p.name]] for p in self.projections}
        try:
            self._apply(self._decode(notifications), seen, batch)
            with self.db.transaction() as cur:
                if positions.lock(cur, self.db.dialect, expected) != expected:
                    raise ProjectionFailed(f"another process changed the tables under prefix {self.prefix!r}")
                batch.flush(cur)
                reached = dict.fromkeys(expected, last)
                positions.write(cur, reached)
        except BaseException:
            self._owned = None  # what the batch remembers may no longer be what the tables hold
            raise
        self._owned_positions = reached
        return len(notifications)

    def _decode(self, notifications: Sequence[Notification]) -> list[tuple[int, Any]]:
        """Decode only the events some projection handles: the others are skipped by topic alone."""
        wanted = self._topic_wanted
        decode = self._fast_decoder()
        decoded: list[tuple[int, Any]] = []
        for notification in notifications:
            topic = notification.topic
            is_wanted = wanted.get(topic)
            if is_wanted is None:
                is_wanted = wanted[topic] = self._handles_topic(topic)
            if is_wanted:
                decoded.append((notification.id, decode(notification)))
        return decoded

    def _fast_decoder(self) -> Callable[[Notification], Any]:
        """`mapper.to_domain_event`, with what it looks up per event looked up once per topic.

        Why: decoding is a large share of a replay, and the library's mapper resolves the topic, finds
        the id converter and reads the class version again for every event. This does exactly the same
        steps with those answers remembered; anything unusual (a cipher or compressor, an id of another
        type, a body that does not decode, an older class version) goes through the mapper itself.
        """
        mapper = self.store.mapper
        if mapper.cipher is not None or mapper.compressor is not None:
            return mapper.to_domain_event
        decode_state = mapper.transcoder.decode
        by_topic = self._decoding
        new = object.__new__
        set_attribute = object.__setattr__

        def to_domain_event(notification: Notification) -> Any:
            known = by_topic.get(notification.topic)
            if known is None:
                known = by_topic[notification.topic] = _decoding_of(notification)
            cls, class_version, id_type, id_convertor = known
            originator_id = notification.originator_id
            if type(originator_id) is not id_type:
                return mapper.to_domain_event(notification)
            try:
                state: dict[str, Any] = decode_state(notification.state)
            except Exception:
                return mapper.to_domain_event(notification)  # raises the mapper's own error
            if state.pop("class_version", 1) != class_version:
                return mapper.to_domain_event(notification)  # upcasts it
            state["originator_id"] = id_convertor(originator_id)
            state["originator_version"] = notification.originator_version
            event: Any = new(cls)
            set_attribute(event, "__dict__", state)
            return event

        return to_domain_event

    def _handles_topic(self, topic: str) -> bool:
        try:
            event_type = resolve_topic(topic)
        except Exception:  # a topic from code that no longer exists: no read model can handle it
            return False
        return any(projection.handler_for(event_type) is not None for projection in self.projections)

    def _routes(self, event_type: type) -> list[tuple[ReadModelProjection, Handler]]:
        """The projections handling `event_type`, with their handlers (computed once per type)."""
        routes = self._handlers.get(event_type)
        if routes is None:
            routes = self._handlers[event_type] = [
                (projection, handler)
                for projection in self.projections
                if (handler := projection.handler_for(event_type)) is not None
            ]
        return routes

    def _needs(self, event_type: type) -> list[tuple[str, Callable[[Any], Iterable[RowRef]]]]:
        """The projections whose handler of `event_type` reads rows, with what they read (once per type)."""
        needs = self._row_needs.get(event_type)
        if needs is None:
            needs = self._row_needs[event_type] = [
                (projection.name, reads)
                for projection, _ in self._routes(event_type)
                if (reads := projection.needs_for(event_type)) is not None
            ]
        return needs

    def _rows_needed(self, events: Iterable[tuple[int, Any]], seen: dict[str, int]) -> dict[str, list[Key]]:
        wanted: dict[str, list[Key]] = defaultdict(list)
        for notification_id, event in events:
            for name, reads in self._needs(type(event)):
                if notification_id > seen[name]:
                    for table, key in reads(event):
                        wanted[table].append(key)
        return wanted

    def _apply(self, events: Iterable[tuple[int, Any]], seen: dict[str, int], batch: Batch) -> None:
        routes_by_type = self._handlers
        # Usually every projection of the group is at the same position, so every event is new to all.
        check = len(set(seen.values())) > 1
        for notification_id, event in events:
            routes = routes_by_type.get(type(event)) or self._routes(type(event))
            for projection, handler in routes:
                if check and notification_id <= seen[projection.name]:
                    continue
                try:
                    handler(event, batch)
                except Exception as exc:
                    raise ProjectionFailed(
                        f"read model {projection.name} failed on event #{notification_id} "
                        f"({type(event).__qualname__} of {event.originator_id}): {exc}"
                    ) from exc


def _decoding_of(notification: Notification) -> _Decoding:
    """What decoding events of this notification's topic needs: class, its version, id type, id converter."""
    cls = resolve_topic(notification.topic)
    id_type = type(notification.originator_id)
    return cls, getattr(cls, "class_version", 1), id_type, find_id_convertor(cls, cast(Hashable, id_type))
