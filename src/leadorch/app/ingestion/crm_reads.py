"""Reading an order's parties from the CRM: the calls, run on the CRM's event loop, and what a missing
record means.

Kept apart from the decisions so that how we talk to the CRM (concurrent reads, a customer or vehicle
the CRM no longer has) can change without touching what an order version means for a lead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from leadorch.app.ingestion.order_reading import consent_evidence_of, contact_of, vehicle_of
from leadorch.domain.consent import ConsentEvidence
from leadorch.domain.lead import Lead
from leadorch.domain.values import Contact, Vehicle
from leadorch.ports.crm import Crm, CrmCustomer, CrmNotFound, CrmOrder

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

T = TypeVar("T")


class CrmReads:
    """The tenant's CRM client and the runner its coroutines need, with the reads ingestion makes."""

    def __init__(
        self,
        container: Container,
        crm_for_tenant: Callable[[str], Crm],
        run_crm: Callable[[Coroutine[Any, Any, Any]], Any],
    ) -> None:
        self.clock = container.clock
        self.crm_for_tenant = crm_for_tenant
        self.run_crm = run_crm

    def current_parties(
        self, tenant_id: str, order: CrmOrder, lead: Lead
    ) -> tuple[Contact | None, list[ConsentEvidence], Vehicle | None]:
        """The order's customer as the CRM holds it now (contact and consent: a customer corrected in
        the CRM, a number opted in or out, reaches the lead this way), and its vehicle when the order
        now points at another one. A customer the CRM no longer has leaves the lead as it is."""
        crm = self.crm_for_tenant(tenant_id)
        contact: Contact | None = None
        consent: list[ConsentEvidence] = []
        vehicle = None
        if order.customer_id:
            try:
                customer = self.call(
                    crm.get_customer(
                        order.customer_id, email_id=order.email_id, phone_number_id=order.phone_number_id
                    )
                )
            except CrmNotFound:
                customer = None
            if customer is not None:
                contact = contact_of(customer)
                consent = consent_evidence_of(contact, customer, at=self.clock.now())
        if order.vehicle_id and order.vehicle_id != lead.crm_vehicle_id:
            try:
                vehicle = vehicle_of(self.call(crm.get_vehicle(order.vehicle_id)))
            except CrmNotFound:
                vehicle = None
        return contact, consent, vehicle

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        result: T = self.run_crm(coroutine)
        return result


async def gather(*reads: Coroutine[Any, Any, Any]) -> list[Any]:
    """Run CRM reads concurrently; each result is its value or the exception it raised."""
    return list(await asyncio.gather(*reads, return_exceptions=True))


async def maybe(read: Coroutine[Any, Any, T] | None) -> T | None:
    return None if read is None else await read


def value(result: Any) -> Any:
    """A gathered result, re-raising what the read raised (other than what the caller handled)."""
    if isinstance(result, BaseException):
        raise result
    return result


def customer_of(crm: Crm, order: CrmOrder) -> Coroutine[Any, Any, CrmCustomer] | None:
    """The read of the order's customer, with the contact the order names (None: no customer)."""
    if not order.customer_id:
        return None
    return crm.get_customer(order.customer_id, email_id=order.email_id, phone_number_id=order.phone_number_id)
