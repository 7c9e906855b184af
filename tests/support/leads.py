"""One builder for the leads and touch schedules tests start from.

A test names only what its story is about (`a_lead(order="o-7", sms_consent=False)`) and the builder fills
in the rest: a website lead of the tint shop in San Diego, with the default cadence and sending window.
`arrived()` gives the lead and its started schedule as ingestion creates them: the schedule's channels are
the ones the lead can be reached on, and both start when the lead arrives.

Worlds wired to a tenant's configuration take the cadence from it with `at_location(location, plan)`.
Pure domain: the domain tests use it as well as the app tests.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from leadorch.domain.cadence import DEFAULT_PLAN, DEFAULT_WINDOW, SendingWindow, TouchPlan
from leadorch.domain.consent import ConsentEvidence
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.sending_rules import UNKNOWN_RECIPIENT, RecipientContext
from leadorch.domain.values import Channel, Contact, Vehicle

if TYPE_CHECKING:
    from leadorch.app.config.models import LocationConfig

AT = datetime(2025, 6, 2, 17, 0, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class LeadBuilder:
    """Everything `Lead.register` and `TouchPointSchedule.start` need, with a plain default for each."""

    tenant_id: str = "tint-co"
    location_id: str = "san-diego"
    order: str = "o-1"
    customer: str | None = None
    """The CRM customer id; `cust-<order>` unless given."""
    vehicle_id: str | None = None
    first_name: str = "Maria"
    last_name: str = "Lopez"
    email: str | None = "maria@example.com"
    phone: str | None = "+16195550142"
    vehicle: Vehicle | None = None
    services: tuple[str, ...] = ("Premium Tint",)
    email_consent: bool = True
    sms_consent: bool = True
    consent_evidence: tuple[ConsentEvidence, ...] = ()
    """What each channel's consent rests on (none unless given, as for leads imported before it was kept)."""
    at: datetime = AT
    plan: TouchPlan = DEFAULT_PLAN
    window: SendingWindow = DEFAULT_WINDOW
    time_zone: str = "America/Los_Angeles"
    recipient: RecipientContext = UNKNOWN_RECIPIENT
    """Where the number presumably is, as ingestion's `RecipientLocator` would say (default: nothing known)."""

    def but(self, **changes: Any) -> LeadBuilder:
        """This lead with `changes` (field names as in `a_lead`)."""
        return replace(self, **changes)

    def at_location(self, location: LocationConfig, plan: TouchPlan) -> LeadBuilder:
        """This lead at a configured location, on its sending window and time zone and the tenant's `plan`."""
        return replace(
            self,
            location_id=location.location_id,
            window=location.sending_window(),
            time_zone=location.time_zone,
            plan=plan,
        )

    def registered(self) -> Lead:
        """The lead, registered at `at`; its id is `ids.lead_id(tenant_id, order)`."""
        return Lead.register(
            tenant_id=self.tenant_id,
            location_id=self.location_id,
            crm_order_id=self.order,
            crm_customer_id=self.customer if self.customer is not None else f"cust-{self.order}",
            crm_vehicle_id=self.vehicle_id,
            contact=Contact(self.first_name, self.last_name, self.email, self.phone),
            vehicle=self.vehicle,
            services=list(self.services),
            email_consent=self.email_consent,
            sms_consent=self.sms_consent,
            consent_evidence=self.consent_evidence,
            at=self.at,
        )

    def schedule_of(self, lead: Lead, *, at: datetime | None = None) -> TouchPointSchedule:
        """`lead`'s touch schedule on the channels it can be reached on, started at `at` (default: `self.at`)."""
        return TouchPointSchedule.start(
            tenant_id=lead.tenant_id,
            lead_id=str(lead.id),
            location_id=lead.location_id,
            plan=self.plan,
            window=self.window,
            time_zone=self.time_zone,
            email_ok=lead.can_contact(Channel.EMAIL),
            sms_ok=lead.can_contact(Channel.SMS),
            at=self.at if at is None else at,
            recipient=self.recipient,
        )

    def arrived(self) -> tuple[Lead, TouchPointSchedule]:
        """The lead and its started schedule, as ingestion creates them (save them together)."""
        lead = self.registered()
        return lead, self.schedule_of(lead)


def a_lead(**fields: Any) -> LeadBuilder:
    """A lead builder with `fields` instead of the defaults (see `LeadBuilder`)."""
    return LeadBuilder(**fields)
