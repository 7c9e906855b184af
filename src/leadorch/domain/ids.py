"""Deterministic aggregate ids derived from natural keys.

A lead's id comes from (tenant, CRM order id), and a schedule's from its lead's id, so importing the
same CRM order twice produces the same ids: the second save collides on version 1 in the event store
instead of creating a duplicate lead that would be messaged twice. Appointment ids have no natural key
and are chosen by the caller.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from leadorch.domain.errors import InvalidValue

# Fixed forever: changing it would give every existing lead a new id.
NAMESPACE = UUID("6d1f6c1e-3a0b-5c55-9a4e-2f0f5d0b7c11")


def _require_text(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"{name} must be a non-empty string, not {value!r}")
    return value


def lead_id(tenant_id: str, crm_order_id: str) -> UUID:
    """The id of the lead made from CRM order `crm_order_id` of tenant `tenant_id`."""
    tenant = _require_text(tenant_id, "tenant_id")
    order = _require_text(crm_order_id, "crm_order_id")
    # The tenant's length prefixes the key so ("a:b", "c") and ("a", "b:c") can never collide.
    return uuid5(NAMESPACE, f"lead/{len(tenant)}:{tenant}/{order}")


def schedule_id(lead_id: UUID | str) -> UUID:
    """The id of the touch-point schedule of the lead `lead_id` (a lead has at most one)."""
    try:
        lead = lead_id if isinstance(lead_id, UUID) else UUID(str(lead_id))
    except ValueError:
        raise InvalidValue(f"lead_id must be a UUID, not {lead_id!r}") from None
    return uuid5(NAMESPACE, f"schedule/{lead}")
