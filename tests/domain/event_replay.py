"""Round-trips events through the store's codec and rebuilds aggregates from them.

Used by the property tests to check that every event an aggregate emits survives encoding
(`MsgspecTranscoder`, the production codec) and that replaying the decoded events yields the same
state as the aggregate that recorded them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from eventsourcing.application import project_aggregate
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Mapper

from leadorch.app.eventstore.codec import MsgspecTranscoder

A = TypeVar("A", bound=Aggregate)

MAPPER: Mapper[Any] = Mapper(transcoder=MsgspecTranscoder())


def through_the_store(events: Sequence[Any]) -> list[Any]:
    """`events` encoded as the store would save them, then decoded again."""
    return [MAPPER.to_domain_event(MAPPER.to_stored_event(event)) for event in events]


def rebuilt(events: Sequence[Any], kind: type[A]) -> A:
    """The aggregate replayed from `events` (after a trip through the codec)."""
    aggregate = project_aggregate(None, through_the_store(events))
    assert isinstance(aggregate, kind)
    return aggregate


def state_of(aggregate: Aggregate) -> dict[str, Any]:
    """Everything an aggregate knows, minus the pending-event buffer."""
    return {key: value for key, value in vars(aggregate).items() if key != "_pending_events"}


class Replica:
    """An aggregate rebuilt incrementally from the events its original emitted, through the codec.

    Equivalent to replaying every event from the start at each check, at a cost linear in the events.
    """

    def __init__(self) -> None:
        self.aggregate: Any = None
        self.seen = 0

    def catch_up(self, original: Aggregate) -> Any:
        """The replica after applying the events `original` emitted since the last call."""
        events = original.pending_events[self.seen :]
        self.aggregate = project_aggregate(self.aggregate, through_the_store(events))
        self.seen += len(events)
        return self.aggregate
