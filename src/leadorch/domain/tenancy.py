"""Every aggregate belongs to one tenant, and every event it emits says which.

Read models, audits and replays select by tenant from the events alone, so each event carries
`tenant_id`. `TenantAggregate` puts it there once: its events derive from `TenantAggregate.Event`
(which declares the field) and `trigger_event` fills it in from the aggregate, so no command repeats
`tenant_id=self.tenant_id`. The creation event still takes it as an argument: it is where the aggregate
learns its tenant.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate


class TenantAggregate(Aggregate):
    """An aggregate of one tenant (`tenant_id` is set by its creation event)."""

    tenant_id: str

    class Event(Aggregate.Event):
        """An event of a tenant's aggregate."""

        tenant_id: str

    def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None:
        if issubclass(event_class, TenantAggregate.Event):
            kwargs.setdefault("tenant_id", self.tenant_id)
        super().trigger_event(event_class, **kwargs)
