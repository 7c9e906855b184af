"""When each touch of a cadence is due: planned inside the sending terms, not at their edge.

The due time of a touch is a pure function (`due_time`) of the plan, the lead's arrival and the
`SendingTerms` (the location's window and the recipient's legal hours and cap):

- a touch on day 0 is due when the lead arrived, or at the next moment the terms allow (speed to lead);
- touch k is due on the location's date (arrival's local date + day_k), at the arrival's local time of
  day moved into that day's allowed stretch, and at least `sending_terms.PLANNING_MARGIN` before the
  stretch closes; a date with no allowed moment gives the next one that has one;
- always on a local day after the previous touch's, so nobody gets two touches a day.

Why the margin: a lead that arrives after the window closed would otherwise have touches 2–13 planned at
the window's last second. A tick a second late then finds each one outside the window, moves it to the
next day, and, since every touch follows the previous one's day, the delay carries through the plan. With
the margin, a tick up to that late still claims each touch on its planned day.

Across DST changes the answer is computed in local wall-clock time and converted to an instant with
`instants.first_instant_at_or_after`, then checked by converting back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from leadorch.domain.cadence import PlannedTouch
from leadorch.domain.errors import InvalidValue
from leadorch.domain.instants import require_instant, wall_clock, zone
from leadorch.domain.sending_terms import SendingTerms


def due_time(
    plan_touch: PlannedTouch,
    anchor: datetime,
    previous_sent_local_date: date | None,
    terms: SendingTerms,
    *,
    shift_days: int = 0,
    not_before: datetime | None = None,
    solicitations: Sequence[datetime] | None = None,
) -> datetime:
    """When `plan_touch` is due (UTC), for a lead that arrived at `anchor` (see the module's rules).

    `previous_sent_local_date` is the location's date the previous touch went out (None for the first).
    `shift_days` moves the plan's days later (after a pause, so overdue touches are not sent in a
    burst); `not_before` is an earliest instant, typically "now" when rescheduling; `solicitations`
    are the earlier solicitations to the number, for the cap (None when the touch is not one).
    """
    anchor = require_instant(anchor, "anchor")
    if isinstance(shift_days, bool) or not isinstance(shift_days, int) or shift_days < 0:
        raise InvalidValue(f"shift_days must be a whole number from 0, not {shift_days!r}")
    arrival = wall_clock(anchor, zone(terms.location_zone))
    offset = plan_touch.day + shift_days

    def planned(day: date) -> datetime:
        if previous_sent_local_date is not None and day <= previous_sent_local_date:
            day = previous_sent_local_date + timedelta(days=1)
        return terms.planned_on(day, arrival.time(), solicitations=solicitations)

    if offset == 0:
        due = terms.next_allowed(anchor, solicitations=solicitations)
    else:
        due = planned(arrival.date() + timedelta(days=offset))
    if not_before is not None and due < require_instant(not_before, "not_before"):
        due = terms.next_plannable(not_before, solicitations=solicitations)
    if previous_sent_local_date is not None and terms.local_date(due) <= previous_sent_local_date:
        due = planned(previous_sent_local_date + timedelta(days=1))
    return due
