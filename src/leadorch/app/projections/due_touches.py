"""Read model `due_touches`: the work list of the touch engine, one row per schedule whose touch may go.

`schedules` keeps every schedule's state; `due_touches` holds only the schedules with a next touch that
could be claimed (active, not paused, nothing in flight), keyed by schedule and indexed by due time, so
"what is due now" stays an index range scan however many leads there are.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import singledispatchmethod

from leadorch.app.projections import schedule_state
from leadorch.app.projections.batch import Batch, Row
from leadorch.app.projections.projection import ReadModelProjection, RowRef, aggregate_id
from leadorch.app.projections.schedule_state import ScheduleChange
from leadorch.app.projections.tables import Table
from leadorch.domain.schedule import TouchPointSchedule as Schedule

SCHEDULES = Table(
    "schedules",
    columns=schedule_state.COLUMNS,
    key=("schedule_id",),
    indexes=(("by_lead", "lead_id"),),
)
DUE_TOUCHES = Table(
    "due_touches",
    columns=(
        ("schedule_id", "TEXT NOT NULL"),
        ("tenant_id", "TEXT NOT NULL"),
        ("lead_id", "TEXT NOT NULL"),
        ("location_id", "TEXT NOT NULL"),
        ("touch_number", "INTEGER NOT NULL"),
        ("due_at", "TEXT NOT NULL"),
    ),
    key=("schedule_id",),
    indexes=(("by_due_at", "due_at"), ("by_tenant", "tenant_id, due_at")),
)


class DueTouchesProjection(ReadModelProjection):
    name = "due_touches"
    tables = (SCHEDULES, DUE_TOUCHES)
    replay_cost = 2.5

    @singledispatchmethod
    def handle(self, event: object, batch: Batch) -> None:
        """Other events do not move a schedule."""

    @handle.register
    def _started(self, event: Schedule.Started, batch: Batch) -> None:
        state = schedule_state.started(event)
        batch.put("schedules", state)
        _show_due(state, schedule_state.next_due_at(state), batch)

    @handle.register
    def _changed(self, event: ScheduleChange, batch: Batch) -> None:
        key = (aggregate_id(event),)
        state = batch.row("schedules", key)
        if state is None:
            return
        changes = schedule_state.changes(event, state)
        if not changes:
            return
        was_due = schedule_state.next_due_at(state)
        batch.update("schedules", key, changes)  # `state` is the batch's row: it now shows them
        due = schedule_state.next_due_at(state)
        if due != was_due or "next_touch_number" in changes or "location_id" in changes:
            _show_due(state, due, batch)

    @singledispatchmethod
    def needs(self, event: object) -> Iterable[RowRef]:
        return ()

    @needs.register
    def _needs_schedule(self, event: ScheduleChange) -> Iterable[RowRef]:
        return (("schedules", (aggregate_id(event),)),)


def _show_due(state: Row, due_at: str | None, batch: Batch) -> None:
    """The schedule's `due_touches` row as its state says (`due_at`: when its next touch is due)."""
    if due_at is None:
        batch.delete("due_touches", (state["schedule_id"],))
        return
    batch.put(
        "due_touches",
        {
            "schedule_id": state["schedule_id"],
            "tenant_id": state["tenant_id"],
            "lead_id": state["lead_id"],
            "location_id": state["location_id"],
            "touch_number": state["next_touch_number"],
            "due_at": due_at,
        },
    )
