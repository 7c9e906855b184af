"""A touch schedule as read models see it: the few columns that say when its next touch is due.

Two read models follow schedules (the touch engine's `due_touches`, and `leads` for "next touch due"),
and each keeps its own copy so it can be rebuilt alone; this module is the one place that mirrors the
aggregate's rule "due while active, not paused and no touch in flight" (`TouchPointSchedule.next_due_at`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadorch.app.projections.batch import Row
from leadorch.app.projections.tables import instant
from leadorch.domain.schedule import TouchPointSchedule as Schedule

COLUMNS: tuple[tuple[str, str], ...] = (
    ("schedule_id", "TEXT NOT NULL"),
    ("tenant_id", "TEXT NOT NULL"),
    ("lead_id", "TEXT NOT NULL"),
    ("location_id", "TEXT NOT NULL"),
    ("time_zone", "TEXT NOT NULL"),
    ("next_touch_number", "INTEGER"),
    ("due_at", "TEXT"),
    ("claimed_touch", "INTEGER"),
    ("paused_by", "TEXT"),
    ("stop_reason", "TEXT"),
    ("finished_at", "TEXT"),
    ("sent_count", "INTEGER NOT NULL"),
    ("last_sent_at", "TEXT"),
)


def started(event: Schedule.Started) -> Row:
    """The state a schedule starts in."""
    return {
        "schedule_id": str(event.originator_id),
        "tenant_id": event.tenant_id,
        "lead_id": str(event.lead_id),
        "location_id": event.location_id,
        "time_zone": event.time_zone,
        "next_touch_number": 1,
        "due_at": instant(event.next_due_at),
        "claimed_touch": None,
        "paused_by": None,
        "stop_reason": None,
        "finished_at": None,
        "sent_count": 0,
        "last_sent_at": None,
    }


def changes(event: Any, state: Row) -> dict[str, Any]:
    """The columns `event` changes, given the schedule's current state (empty when none)."""
    change = _CHANGES.get(type(event))
    return {} if change is None else change(event, state)


def _resumed(event: Any, state: Row) -> dict[str, Any]:
    if event.next_due_at is None:
        return {"paused_by": None}
    return {"paused_by": None, "due_at": instant(event.next_due_at)}


def _next_touch(event: Any, state: Row) -> dict[str, Any]:
    return {
        "claimed_touch": None,
        "next_touch_number": event.next_touch_number,
        "due_at": instant(event.next_due_at),
    }


# One function per event type (a dict lookup, not a chain of isinstance checks: this runs for most events).
_CHANGES: dict[type, Callable[[Any, Row], dict[str, Any]]] = {
    Schedule.TouchClaimed: lambda event, state: {"claimed_touch": event.touch_number},
    Schedule.TouchSent: lambda event, state: {
        "sent_count": state["sent_count"] + 1,
        "last_sent_at": instant(event.timestamp),
    },
    Schedule.UncertainTouchResolved: lambda event, state: (
        {"sent_count": state["sent_count"] + len(event.channels)} if event.outcome == "sent" else {}
    ),
    Schedule.TouchCompleted: _next_touch,
    Schedule.TouchSkipped: _next_touch,
    Schedule.TouchRescheduled: lambda event, state: {"due_at": instant(event.next_due_at)},
    Schedule.Held: lambda event, state: (
        {"due_at": instant(event.next_due_at)} if event.next_due_at is not None else {}
    ),
    Schedule.RecipientChanged: lambda event, state: (
        {"due_at": instant(event.next_due_at)} if event.next_due_at is not None else {}
    ),
    Schedule.SendingTermsChanged: lambda event, state: {
        "location_id": event.location_id,
        "time_zone": event.time_zone,
        **({"due_at": instant(event.next_due_at)} if event.next_due_at is not None else {}),
    },
    Schedule.Paused: lambda event, state: {"paused_by": event.by},
    Schedule.Resumed: _resumed,
    Schedule.Stopped: lambda event, state: {"stop_reason": event.reason},
    Schedule.Finished: lambda event, state: {"finished_at": instant(event.timestamp)},
}


def next_due_at(state: Row) -> str | None:
    """When the next touch may be claimed; None while stopped, finished, paused or a touch is in flight."""
    if state["stop_reason"] is not None or state["finished_at"] is not None:
        return None
    if state["paused_by"] is not None or state["claimed_touch"] is not None:
        return None
    return state["due_at"]  # type: ignore[no-any-return]


def due_and_status(state: Row) -> tuple[str | None, str]:
    """`next_due_at` and `status` in one look at the state (the lead list shows both, on every change)."""
    if state["stop_reason"] is not None:
        return None, "stopped"
    if state["finished_at"] is not None:
        return None, "finished"
    if state["paused_by"] is not None:
        return None, "paused"
    return (state["due_at"] if state["claimed_touch"] is None else None), "active"


def status(state: Row) -> str:
    """active, paused, stopped or finished."""
    if state["stop_reason"] is not None:
        return "stopped"
    if state["finished_at"] is not None:
        return "finished"
    return "paused" if state["paused_by"] is not None else "active"


# The schedule events after `Started` that read models follow (a union: one handler registration).
ScheduleChange = (
    Schedule.TouchClaimed
    | Schedule.TouchSent
    | Schedule.UncertainTouchResolved
    | Schedule.TouchCompleted
    | Schedule.TouchSkipped
    | Schedule.TouchRescheduled
    | Schedule.Held
    | Schedule.RecipientChanged
    | Schedule.SendingTermsChanged
    | Schedule.Paused
    | Schedule.Resumed
    | Schedule.Stopped
    | Schedule.Finished
)
