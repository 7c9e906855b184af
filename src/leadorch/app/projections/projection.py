"""What a read model is: a name, its tables, and one handler per event type it cares about.

Like the library's `Projection.process_event`, handlers are registered with `singledispatchmethod`
(`@handle.register` on a method annotated with the event class). A handler may only read and write
its own tables through the `Batch`, and must be a pure function of the event and those rows: no clock,
no configuration, no other read model. That is what makes a rebuild from zero give the same tables as
years of incremental processing.

`needs` (also per event type) names the rows a handler will read, so the runner can fetch them for a
whole batch in a few queries instead of one per event; a row it forgets is still read correctly, only
more slowly.

Why not the library's `eventsourcing.projection.Projection`: that one owns a view (a
`TrackingRecorder`) and `process_event(event, tracking)` writes one event and its tracking record in
its own transaction. Ours is handed a shared `Batch` instead, never sees a tracking record (the
`ReadModelRunner` moves one position per read model for a whole batch of events) and declares its
tables and `needs`, so one runner can prefetch, coalesce and write many read models' rows together and
rebuild them into scratch copies. Different contract, so a different name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from functools import singledispatchmethod
from typing import Any, ClassVar

from leadorch.app.projections.batch import Batch, Key
from leadorch.app.projections.tables import Table

RowRef = tuple[str, Key]
Handler = Callable[[Any, Batch], None]

_ID_CACHE_SIZE = 50_000
_ids: dict[int, str] = {}


def aggregate_id(event: Any) -> str:
    """The id of the aggregate that recorded `event`, as text (the key of most read-model rows).

    Every read model asks this of every event, and an aggregate records dozens of events, so the text
    of recent ids is kept (by the UUID's integer: one slot read and one dict lookup, where formatting
    a UUID costs more than all the rest of some handlers).
    """
    originator = event.originator_id
    try:
        return _ids[originator.int]
    except KeyError:
        text = str(originator)
        if len(_ids) >= _ID_CACHE_SIZE:
            _ids.clear()
        _ids[originator.int] = text
        return text
    except AttributeError:  # not a UUID
        return str(originator)


class ReadModelProjection:
    """Base class: subclasses set `name` and `tables` and register handlers on `handle` (and `needs`)."""

    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]
    # Roughly how much work a replay of this read model is, relative to others (to share a rebuild
    # between processes): about the number of handlers run per event of a typical history.
    replay_cost: ClassVar[float] = 1.0

    @singledispatchmethod
    def handle(self, event: object, batch: Batch) -> None:
        """Events this read model does not show change nothing."""

    @singledispatchmethod
    def needs(self, event: object) -> Iterable[RowRef]:
        """The rows the handler of `event` reads (none by default)."""
        return ()

    def __init__(self) -> None:
        self._handlers: dict[type, Handler | None] = {}
        self._needs: dict[type, Callable[[Any], Iterable[RowRef]] | None] = {}

    def handler_for(self, event_type: type) -> Handler | None:
        """The bound handler for `event_type`, or None when this read model ignores it (cached)."""
        try:
            return self._handlers[event_type]
        except KeyError:
            handler: Handler | None = _bound(self, "handle", event_type)
            self._handlers[event_type] = handler
            return handler

    def needs_for(self, event_type: type) -> Callable[[Any], Iterable[RowRef]] | None:
        """The bound `needs` implementation for `event_type`, or None when it reads no rows (cached)."""
        try:
            return self._needs[event_type]
        except KeyError:
            needs: Callable[[Any], Iterable[RowRef]] | None = _bound(self, "needs", event_type)
            self._needs[event_type] = needs
            return needs

    def rows_needed(self, event: object) -> Iterable[RowRef]:
        needs = self.needs_for(type(event))
        return () if needs is None else needs(event)

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise KeyError(f"read model {self.name} has no table {name!r}")


def _bound(instance: ReadModelProjection, method_name: str, event_type: type) -> Any:
    """The implementation of `method_name` registered for `event_type`, bound; None for the default."""
    descriptor = inspect.getattr_static(instance, method_name)
    dispatcher = descriptor.dispatcher
    implementation = dispatcher.dispatch(event_type)
    if implementation is dispatcher.registry[object]:
        return None
    return implementation.__get__(instance, type(instance))
