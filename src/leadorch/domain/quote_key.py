"""Which lead a customer's quotes for one vehicle at one location go to.

A repeat quote joins the customer's open lead instead of starting a second cadence. The commonest
repeat is a form sent twice in a few seconds: both orders are imported at once, before any read
model shows the first lead. `CustomerQuotes` is the natural key that makes that safe: one per
(tenant, location, CRM customer, CRM vehicle), saved in the same transaction as the lead it names, so
of two imports racing to create leads for the same key one loses on optimistic concurrency, decides
again, and joins the other's lead. When that lead is over (booked, lost, the shop's), the next quote
makes a new lead and the key names it from then on.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from leadorch.domain.errors import InvalidValue
from leadorch.domain.ids import NAMESPACE
from leadorch.domain.instants import require_instant
from leadorch.domain.tenancy import TenantAggregate


def customer_quotes_id(
    tenant_id: str, location_id: str, crm_customer_id: str, crm_vehicle_id: str | None
) -> UUID:
    """The id of the key of a customer's quotes for a vehicle (None: no vehicle) at a location."""
    parts = []
    for name, value in (
        ("tenant_id", tenant_id),
        ("location_id", location_id),
        ("crm_customer_id", crm_customer_id),
    ):
        if not isinstance(value, str) or not value.strip():
            raise InvalidValue(f"{name} must be a non-empty string, not {value!r}")
        parts.append(f"{len(value)}:{value}")  # length-prefixed: no two keys can collide
    vehicle = crm_vehicle_id or ""
    return uuid5(NAMESPACE, f"customer-quotes/{'/'.join(parts)}/{len(vehicle)}:{vehicle}")


class CustomerQuotes(TenantAggregate):
    """The lead a customer's quotes for one vehicle at one location currently go to."""

    class Opened(Aggregate.Created):
        tenant_id: str
        lead_id: str

        def apply(self, aggregate: CustomerQuotes) -> None:
            aggregate.tenant_id = self.tenant_id
            aggregate.lead_id = self.lead_id

    class LeadChosen(TenantAggregate.Event):
        """The previous lead was over; quotes go to `lead_id` from now on."""

        lead_id: str

        def apply(self, aggregate: CustomerQuotes) -> None:
            aggregate.lead_id = self.lead_id

    tenant_id: str
    lead_id: str

    def __init__(self) -> None:
        """State is set by `Opened.apply`, so recording and replaying share one path."""

    @classmethod
    def open(
        cls,
        *,
        tenant_id: str,
        location_id: str,
        crm_customer_id: str,
        crm_vehicle_id: str | None,
        lead_id: UUID | str,
        at: datetime,
    ) -> CustomerQuotes:
        """The key of this customer's quotes for the vehicle, naming lead `lead_id`."""
        return cls._create(
            cls.Opened,
            id=customer_quotes_id(tenant_id, location_id, crm_customer_id, crm_vehicle_id),
            timestamp=require_instant(at),
            tenant_id=tenant_id,
            lead_id=str(lead_id),
        )

    def choose(self, lead_id: UUID | str, *, at: datetime) -> None:
        """Quotes go to `lead_id` from now on (the caller checked the previous lead is over)."""
        at = require_instant(at)
        if str(lead_id) != self.lead_id:
            self.trigger_event(self.LeadChosen, timestamp=at, lead_id=str(lead_id))
