"""A plain registered lead for the event-store tests, which care about saving aggregates, not their story."""

from __future__ import annotations

from datetime import UTC, datetime

from leadorch.domain.lead import Lead
from leadorch.domain.values import Contact

AT = datetime(2025, 6, 2, 17, 0, tzinfo=UTC)


def registered_lead(order: str = "o-1") -> Lead:
    """A website lead for ShopMonkey order `order` (email consent only), registered at `AT`."""
    return Lead.register(
        tenant_id="tint-co",
        location_id="san-diego",
        crm_order_id=order,
        crm_customer_id="c-1",
        crm_vehicle_id=None,
        contact=Contact("Maria", "Lopez", "maria@example.com", None),
        vehicle=None,
        services=["Premium Tint"],
        email_consent=True,
        sms_consent=False,
        at=AT,
    )
