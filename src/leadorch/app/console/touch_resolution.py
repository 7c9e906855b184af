"""Settling an uncertain touch: a person says whether its message went out after all.

A touch is uncertain when it was claimed and never confirmed (the worker died mid-send); it is never
sent again automatically. Someone who checked the provider's log records the answer here, through the
domain's `TouchPointSchedule.resolve_uncertain`, so the cadence's counts and the outbox agree with
what the customer received.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.leads.use_cases import lead_uuid, load_schedule
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

OUTCOMES = ("sent", "not_sent")


def resolve_uncertain_touch(
    container: Container, tenant_id: str, lead_id: UUID | str, *, touch_number: int, outcome: str, by: str
) -> None:
    """Record that uncertain touch `touch_number` of the lead was `outcome` ("sent" or "not_sent").

    A missing lead (or another tenant's) is `NotFound`; a touch that is not uncertain, or a bad
    outcome, is the domain's error naming why.
    """
    store: EventStore = container.store
    uuid = lead_uuid(lead_id)

    def command() -> list[TouchPointSchedule]:
        store.load(uuid, Lead, tenant_id)  # the lead must be this tenant's
        schedule = load_schedule(store, tenant_id, uuid)
        if schedule is None:
            raise NotFound(f"lead {uuid} has no touch schedule")
        schedule.resolve_uncertain(
            touch_number=touch_number,
            outcome=outcome,  # type: ignore[arg-type]  # the domain refuses anything else by name
            by=by,
            now=container.clock.now(),
        )
        return [schedule]

    store.run(command)
