"""Handing a lead to the shop: the one place that says what it takes.

Staff taking an order over (in the CRM, the console or the CLI), a staff appointment and a deleted
order all end the same way: the lead is the shop's and its cadence stops for good. Both aggregates'
commands are called here so no caller can do one without the other, and the Lead's refusal (a lead
booked through the assistant stays the assistant's) is the only rule: callers report it, they do not
restate it.
"""

from __future__ import annotations

from datetime import datetime

from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.values import LeadStatus


def hand_to_shop(lead: Lead, schedule: TouchPointSchedule | None, *, reason: str, at: datetime) -> bool:
    """Hand `lead` to the shop and stop its cadence; True when this call handed it over, False when
    the shop already had it (its cadence is still made sure to be stopped).

    Raises the Lead's `IllegalTransition` when the lead was booked through the assistant; then
    neither aggregate changes.
    """
    already = lead.status is LeadStatus.HANDLED_BY_SHOP
    lead.hand_to_shop(reason=reason, at=at)
    if schedule is not None:
        schedule.stop(reason=f"handed to the shop: {reason}", now=at)
    return not already
