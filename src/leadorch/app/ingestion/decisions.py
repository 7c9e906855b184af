"""Ingestion's decisions: what one version of a CRM order means for us, decided once and recorded with
its reasons.

For every order version (from the webhook inbox or the poller) it decides, in this order:
a version already decided on is a duplicate; an older version than one already used is only noted
(never regress); a deletion hands the lead to the shop; an order that already made a lead is handed
to the shop when staff took it over in the CRM (messaged, set an appointment, authorized, invoiced,
paid), otherwise its details are mirrored (and the customer re-read: consent changes reach the lead;
a new phone number or another location moves the cadence's sending terms with it);
a new order goes through the website-lead rule and, when it qualifies, is re-read from the CRM (the
newest version wins), its customer and vehicle are fetched, and either it joins the open lead of the
same customer and vehicle (a repeat quote: one lead, one cadence) or the `Lead`, its
`TouchPointSchedule` and the `OrderIntake` decision are saved in ONE transaction.
Ids are deterministic, so a concurrent duplicate import collides in the event store; the retry then
finds the decision already made. Only the import that created the lead enqueues touch 1 and alerts
the staff (`new_lead_follow_up.py`).

This module changes when the rules of a decision change; the inbox lifecycle (`deliveries.py`) and the
CRM reads (`crm_reads.py`) change for reasons of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from leadorch.app.config.models import LocationConfig
from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.ingestion.crm_reads import CrmReads, customer_of, gather, maybe, value
from leadorch.app.ingestion.inbox import OrderChange
from leadorch.app.ingestion.new_lead_follow_up import NewLeadFollowUp
from leadorch.app.ingestion.order_reading import (
    consent_evidence_of,
    contact_of,
    requested_services,
    snapshot,
    unreachable_because,
    vehicle_of,
)
from leadorch.app.ingestion.tenancy import TenantView, TenantViews
from leadorch.app.leads.lookup import open_leads_of
from leadorch.app.observability.metrics import LEADS_CREATED
from leadorch.domain import ids
from leadorch.domain.consent import ConsentEvidence
from leadorch.domain.errors import DomainError, IllegalTransition
from leadorch.domain.handoff import hand_to_shop
from leadorch.domain.intake import (
    IntakeOutcome,
    IntakeSource,
    OrderIntake,
    OrderVersion,
    intake_id,
)
from leadorch.domain.lead import Lead
from leadorch.domain.quote_key import CustomerQuotes, customer_quotes_id
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.values import Channel, Contact, LeadStatus, Vehicle
from leadorch.domain.website_lead import evaluate, shop_takeover_reason
from leadorch.ports.crm import CrmCustomer, CrmNotFound, CrmOrder, CrmVehicle

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

DELETED_REASON = "the order was deleted in the CRM"


@dataclass(frozen=True)
class IngestDecision:
    """What was decided about one order version."""

    outcome: IntakeOutcome
    reasons: tuple[str, ...] = ()
    lead_id: str | None = None
    duplicate: bool = False
    lead_created: bool = False

    @property
    def summary(self) -> str:
        prefix = "duplicate of an earlier decision: " if self.duplicate else ""
        detail = "; ".join(self.reasons)
        return f"{prefix}{self.outcome}" + (f": {detail}" if detail else "")


@dataclass
class _NewLead:
    """Everything read from the CRM for a qualifying order, ready to become a lead."""

    order: CrmOrder
    version: OrderVersion
    superseded: list[OrderVersion]
    customer: CrmCustomer
    vehicle: CrmVehicle | None
    location: LocationConfig
    contact: Contact
    consent: list[ConsentEvidence]
    notes: list[str] = field(default_factory=list)

    def granted(self, channel: Channel) -> bool:
        return any(evidence.granted for evidence in self.consent if evidence.channel is channel)


class _Raced(Exception):
    """Another worker decided on this order between our read and our save; decide again."""


class _NothingToJoin(Exception):
    """The open lead a repeat quote was to join has closed since the read model said it was open."""


class OrderDecisions:
    """Decides on order versions and saves each decision with the aggregates it changes."""

    def __init__(
        self, container: Container, tenants: TenantViews, reads: CrmReads, follow_up: NewLeadFollowUp
    ) -> None:
        self.container = container
        self.store: EventStore = container.store
        self.clock = container.clock
        self.tenants = tenants
        self.reads = reads
        self.follow_up = follow_up

    def process_order(
        self,
        tenant_id: str,
        order: CrmOrder,
        *,
        source: str,
        received_at: datetime,
        change: OrderChange = OrderChange.UPSERT,
    ) -> IngestDecision:
        """Decide on one version of `order` (see the module docstring) and record the decision."""
        for _ in range(3):
            try:
                decision = self._decide(tenant_id, order, IntakeSource(source), received_at, change)
            except _Raced:
                continue
            if decision.lead_created:
                LEADS_CREATED.labels(source=source).inc()
                self.follow_up.after_lead_created(tenant_id, decision.lead_id)
            return decision
        raise RuntimeError(f"order {order.id} kept changing under concurrent imports")

    def _decide(
        self,
        tenant_id: str,
        order: CrmOrder,
        source: IntakeSource,
        received_at: datetime,
        change: OrderChange,
    ) -> IngestDecision:
        view = self.tenants.get(tenant_id)
        version = _version(order, source)
        if change is OrderChange.DELETE:
            return self._save_deletion(tenant_id, version)
        intake = self._intake(tenant_id, order.id)
        if intake is not None:
            seen = self._already_decided(intake, version)
            if seen is not None:
                return seen
            if intake.lead_id is not None:
                return self._update_existing_lead(view, order, version, UUID(intake.lead_id))
        verdict = evaluate(snapshot(order), view.criteria)
        if not verdict.accepted:
            return self._save_rejection(tenant_id, version, list(verdict.reasons))
        prepared = self._prepare_new_lead(view, order, version)
        if isinstance(prepared, IngestDecision):
            return prepared
        try:
            joined = self._join_open_lead(tenant_id, prepared)
            if joined is not None:
                return joined
            return self._save_new_lead(tenant_id, prepared, received_at)
        except DomainError as exc:  # what the CRM holds breaks a rule of the lead: permanent, say which
            reason = f"the order cannot become a lead: {exc}"
            return self._save_rejection(tenant_id, prepared.version, [reason], superseded=prepared.superseded)

    # ------------------------------------------------------------------------------------ new lead

    def _prepare_new_lead(
        self, view: TenantView, order: CrmOrder, version: OrderVersion
    ) -> _NewLead | IngestDecision:
        """Re-read the order (the newest version wins), then its customer and vehicle."""
        tenant_id = view.tenant.tenant_id
        crm = self.reads.crm_for_tenant(tenant_id)
        superseded: list[OrderVersion] = []
        # The three reads are independent: asked at once, a new lead costs one CRM round trip, not three.
        latest_or_error, customer_or_error, vehicle_or_error = self.reads.call(
            gather(
                crm.get_order(order.id),
                maybe(customer_of(crm, order)),
                maybe(crm.get_vehicle(order.vehicle_id) if order.vehicle_id else None),
            )
        )
        if isinstance(latest_or_error, CrmNotFound):
            return self._save_rejection(tenant_id, version, [f"order {order.id} no longer exists in the CRM"])
        latest = value(latest_or_error)
        if latest.updated_date > order.updated_date:
            superseded.append(version)
            if (latest.customer_id, latest.vehicle_id) != (order.customer_id, order.vehicle_id):
                customer_or_error, vehicle_or_error = self.reads.call(
                    gather(
                        maybe(customer_of(crm, latest)),
                        maybe(crm.get_vehicle(latest.vehicle_id) if latest.vehicle_id else None),
                    )
                )
            order, version = latest, _version(latest, IntakeSource.FETCH)
            verdict = evaluate(snapshot(order), view.criteria)
            if not verdict.accepted:
                return self._save_rejection(tenant_id, version, list(verdict.reasons), superseded=superseded)
        if not order.customer_id:
            return self._save_rejection(
                tenant_id, version, ["the order has no customer"], superseded=superseded
            )
        if isinstance(customer_or_error, CrmNotFound):
            reason = f"customer {order.customer_id} of the order was not found in the CRM"
            return self._save_rejection(tenant_id, version, [reason], superseded=superseded)
        customer = value(customer_or_error)
        vehicle: CrmVehicle | None = None
        notes: list[str] = []
        if order.vehicle_id:
            if isinstance(vehicle_or_error, CrmNotFound):
                notes.append(f"vehicle {order.vehicle_id} was not found in the CRM")
            else:
                vehicle = value(vehicle_or_error)
        contact = contact_of(customer)
        consent = consent_evidence_of(contact, customer, at=self.clock.now())
        if not any(evidence.granted for evidence in consent):
            reason = "the customer cannot be contacted: " + unreachable_because(contact, customer)
            return self._save_rejection(tenant_id, version, [reason], superseded=superseded)
        location = view.location_for(order.location_id)
        assert location is not None  # the website-lead rule accepted the order, so its location is known
        return _NewLead(
            order=order,
            version=version,
            superseded=superseded,
            customer=customer,
            vehicle=vehicle,
            location=location,
            contact=contact,
            consent=consent,
            notes=notes,
        )

    def _save_new_lead(self, tenant_id: str, new: _NewLead, received_at: datetime) -> IngestDecision:
        tenant = self.tenants.get(tenant_id).tenant
        now = self.clock.now()
        arrived = min(received_at, now)

        def command() -> tuple[IngestDecision, Sequence[Aggregate | None]]:
            intake = self._intake(tenant_id, new.order.id) or OrderIntake.open(
                tenant_id=tenant_id, order_id=new.order.id, at=now
            )
            if intake.made_lead or intake.has_seen(new.version.updated_date):
                raise _Raced()
            for older in new.superseded:
                if not intake.has_seen(older.updated_date):
                    intake.record_superseded(older, by=new.version.updated_date, at=now)
            lead = Lead.register(
                tenant_id=tenant_id,
                location_id=new.location.location_id,
                crm_order_id=new.order.id,
                crm_customer_id=new.customer.id,
                crm_vehicle_id=_vehicle_id(new),
                contact=new.contact,
                vehicle=vehicle_of(new.vehicle),
                services=requested_services(new.order),
                email_consent=new.granted(Channel.EMAIL),
                sms_consent=new.granted(Channel.SMS),
                consent_evidence=new.consent,
                at=arrived,
            )
            schedule = TouchPointSchedule.start(
                tenant_id=tenant_id,
                lead_id=str(lead.id),
                location_id=new.location.location_id,
                plan=tenant.touch_plan(),
                window=new.location.sending_window(),
                time_zone=new.location.time_zone,
                email_ok=lead.can_contact("email"),
                sms_ok=lead.can_contact("sms"),
                at=now,
                anchor=arrived,
                recipient=self.container.recipients.context_for(lead.contact.phone),
            )
            intake.record_lead_created(new.version, lead_id=lead.id, at=now)
            decision = IngestDecision(
                IntakeOutcome.LEAD_CREATED, tuple(new.notes), lead_id=str(lead.id), lead_created=True
            )
            key = self._customer_quotes(tenant_id, new)
            if key is None:
                key = self._open_customer_quotes(tenant_id, new, lead.id, now)
            elif not self.store.load(UUID(key.lead_id), Lead, tenant_id).is_closed:
                raise _Raced()  # another import just made this customer's lead: this quote joins it
            else:
                key.choose(lead.id, at=now)
            return decision, [lead, schedule, intake, key]

        return self._decide_and_save(command)

    def _join_open_lead(self, tenant_id: str, new: _NewLead) -> IngestDecision | None:
        """A repeat quote: the same customer and vehicle already have an open lead at this location, so
        the quote joins it (services merged, the one cadence goes on, the lead's timeline says so)
        instead of starting a second lead with a second 13-touch cadence. None: no open lead to join.

        The lead is the one the customer's `CustomerQuotes` key names (saved with every new lead, so two
        quotes imported at once make one lead: the second save loses on the key and decides again), or,
        for leads imported before the key was kept, the newest open one in the `leads` read model. A lead
        closed since is refused by the domain (`Lead.join_quote`), and the quote becomes a lead of its own.
        """
        key = self._customer_quotes(tenant_id, new)
        if key is not None:
            lead_id = UUID(key.lead_id)
        else:  # leads imported before the key was kept are found in the read model
            candidates = open_leads_of(
                self.container.db,
                tenant_id,
                location_id=new.location.location_id,
                crm_customer_id=new.customer.id,
                crm_vehicle_id=_vehicle_id(new),
            )
            if not candidates:
                return None
            lead_id = UUID(candidates[0].lead_id)
        now = self.clock.now()

        def command() -> tuple[IngestDecision, Sequence[Aggregate | None]]:
            intake = self._intake(tenant_id, new.order.id) or OrderIntake.open(
                tenant_id=tenant_id, order_id=new.order.id, at=now
            )
            if intake.made_lead or intake.has_seen(new.version.updated_date):
                raise _Raced()
            key = self._customer_quotes(tenant_id, new)
            if key is not None and key.lead_id != str(lead_id):
                raise _Raced()
            lead = self.store.load(lead_id, Lead, tenant_id)
            if lead.is_closed:
                raise _NothingToJoin()
            for older in new.superseded:
                if not intake.has_seen(older.updated_date):
                    intake.record_superseded(older, by=new.version.updated_date, at=now)
            lead.join_quote(crm_order_id=new.order.id, services=requested_services(new.order), at=now)
            lead.update_details(at=now, contact=new.contact)
            schedule = self._schedule(tenant_id, lead_id)
            self._follow_the_number(lead, schedule, now)
            _record_crm_consent(lead, schedule, new.consent, now)
            reason = f"a repeat quote: joined the customer's open lead for the same vehicle (order {lead.crm_order_id})"
            intake.record_joined_lead(new.version, lead_id=lead_id, reason=reason, at=now)
            decision = IngestDecision(IntakeOutcome.JOINED_LEAD, (reason, *new.notes), lead_id=str(lead_id))
            key = key or self._open_customer_quotes(tenant_id, new, lead_id, now)
            return decision, [lead, schedule, intake, key]

        try:
            return self._decide_and_save(command)
        except _NothingToJoin:
            return None

    # ------------------------------------------------------------------------------- existing lead

    def _update_existing_lead(
        self, view: TenantView, order: CrmOrder, version: OrderVersion, lead_id: UUID
    ) -> IngestDecision:
        """A new version of an order that belongs to lead `lead_id`: its own order, or a repeat quote
        that joined it (whose services are merged in; it never moves the lead to its customer, vehicle
        or location)."""
        tenant_id = view.tenant.tenant_id
        current = self.store.load(lead_id, Lead, tenant_id)
        repeat_quote = current.crm_order_id != order.id
        takeover = shop_takeover_reason(snapshot(order))
        contact: Contact | None = None
        vehicle: Vehicle | None = None
        consent: list[ConsentEvidence] = []
        if takeover is None and current.status is not LeadStatus.HANDLED_BY_SHOP:
            contact, consent, vehicle = self.reads.current_parties(tenant_id, order, current)
        location = view.location_for(order.location_id)
        now = self.clock.now()

        def command() -> tuple[IngestDecision, Sequence[Aggregate | None]]:
            intake = self._intake(tenant_id, order.id)
            assert intake is not None
            seen = self._already_decided(intake, version, save=False)
            if seen is not None:
                raise _Raced()
            lead = self.store.load(lead_id, Lead, tenant_id)
            schedule = self._schedule(tenant_id, lead_id)
            if lead.status is LeadStatus.HANDLED_BY_SHOP:
                note = "the shop already handles this lead"
                intake.record_unchanged(version, note=note, at=now)
                return IngestDecision(IntakeOutcome.UNCHANGED, (note,), str(lead_id)), [intake]
            if takeover is not None:
                try:
                    hand_to_shop(lead, schedule, reason=takeover, at=now)
                except IllegalTransition as refused:
                    note = f"not handed to the shop ({takeover}): {refused}"
                    intake.record_unchanged(version, note=note, at=now)
                    return IngestDecision(IntakeOutcome.UNCHANGED, (note,), str(lead_id)), [intake]
                intake.record_handed_to_shop(version, reason=takeover, at=now)
                return IngestDecision(IntakeOutcome.HANDED_TO_SHOP, (takeover,), str(lead_id)), [
                    lead,
                    schedule,
                    intake,
                ]
            if repeat_quote:
                if not lead.is_closed:
                    lead.join_quote(crm_order_id=order.id, services=requested_services(order), at=now)
                lead.update_details(at=now, contact=contact)
            else:
                lead.update_details(
                    at=now,
                    contact=contact,
                    vehicle=vehicle,
                    services=requested_services(order),
                    crm_customer_id=order.customer_id or None,
                    crm_vehicle_id=order.vehicle_id or None,
                    location_id=location.location_id if location else None,
                )
            self._follow_the_number(lead, schedule, now)
            _follow_the_location(lead, schedule, location, now)
            consent_changed = _record_crm_consent(lead, schedule, consent, now)
            changed = sorted(
                {name for event in lead.pending_events for name in getattr(event, "changes", {})}
                | {"services" for event in lead.pending_events if isinstance(event, Lead.QuoteJoined)}
                | {
                    f"{event.channel}_consent"
                    if Channel(event.channel) in consent_changed
                    else f"{event.channel}_consent_evidence"
                    for event in lead.pending_events
                    if isinstance(event, Lead.ConsentChanged)
                }
            )
            if changed:
                intake.record_lead_updated(version, changed=changed, at=now)
                return IngestDecision(IntakeOutcome.LEAD_UPDATED, tuple(changed), str(lead_id)), [
                    lead,
                    schedule,
                    intake,
                ]
            note = "nothing the lead uses changed"
            intake.record_unchanged(version, note=note, at=now)
            return IngestDecision(IntakeOutcome.UNCHANGED, (note,), str(lead_id)), [intake]

        return self._decide_and_save(command)

    # ------------------------------------------------------------------------------ simple records

    def _already_decided(
        self, intake: OrderIntake, version: OrderVersion, *, save: bool = True
    ) -> IngestDecision | None:
        """A decision for a version already seen (duplicate) or older than one used (superseded)."""
        outcome = intake.outcome_of(version.updated_date)
        if outcome is not None:
            return IngestDecision(outcome, (), intake.lead_id, duplicate=True)
        if intake.is_superseded(version.updated_date):
            if not save:
                return IngestDecision(IntakeOutcome.SUPERSEDED, (), intake.lead_id)
            latest = intake.latest_updated_date
            assert latest is not None
            return self._save_record(
                intake.tenant_id,
                version,
                lambda i, now: i.record_superseded(version, by=latest, at=now),
                IngestDecision(
                    IntakeOutcome.SUPERSEDED,
                    (f"a newer version ({latest.isoformat()}) was used",),
                    intake.lead_id,
                ),
            )
        return None

    def _save_rejection(
        self,
        tenant_id: str,
        version: OrderVersion,
        reasons: list[str],
        *,
        superseded: Sequence[OrderVersion] = (),
    ) -> IngestDecision:
        def record(intake: OrderIntake, now: datetime) -> None:
            for older in superseded:
                if not intake.has_seen(older.updated_date):
                    intake.record_superseded(older, by=version.updated_date, at=now)
            intake.record_rejected(version, reasons=reasons, at=now)

        return self._save_record(
            tenant_id, version, record, IngestDecision(IntakeOutcome.REJECTED, tuple(reasons))
        )

    def _save_deletion(self, tenant_id: str, version: OrderVersion) -> IngestDecision:
        now = self.clock.now()

        def command() -> tuple[IngestDecision, Sequence[Aggregate | None]]:
            intake = self._intake(tenant_id, version.order_id) or OrderIntake.open(
                tenant_id=tenant_id, order_id=version.order_id, at=now
            )
            if intake.deleted:
                return IngestDecision(IntakeOutcome.DELETED, (), intake.lead_id, duplicate=True), []
            changed: list[Aggregate | None] = [intake]
            if intake.lead_id is not None:
                lead_id = UUID(intake.lead_id)
                lead = self.store.load(lead_id, Lead, tenant_id)
                own_order = lead.crm_order_id == version.order_id  # a deleted repeat quote leaves it be
                if own_order:
                    schedule = self._schedule(tenant_id, lead_id)
                    with suppress(IllegalTransition):  # a lead booked through the assistant keeps it
                        hand_to_shop(lead, schedule, reason=DELETED_REASON, at=now)
                        changed += [lead, schedule]
            intake.record_deleted(version, reason=DELETED_REASON, at=now)
            return IngestDecision(IntakeOutcome.DELETED, (DELETED_REASON,), intake.lead_id), changed

        return self._decide_and_save(command)

    def _save_record(
        self,
        tenant_id: str,
        version: OrderVersion,
        record: Callable[[OrderIntake, datetime], None],
        decision: IngestDecision,
    ) -> IngestDecision:
        now = self.clock.now()

        def command() -> tuple[IngestDecision, Sequence[Aggregate | None]]:
            intake = self._intake(tenant_id, version.order_id) or OrderIntake.open(
                tenant_id=tenant_id, order_id=version.order_id, at=now
            )
            if intake.has_seen(version.updated_date):
                raise _Raced()
            if decision.outcome is not IntakeOutcome.SUPERSEDED and intake.is_superseded(
                version.updated_date
            ):
                raise _Raced()
            record(intake, now)
            return decision, [intake]

        return self._decide_and_save(command)

    # ------------------------------------------------------------------------------------ plumbing

    def _decide_and_save(
        self, command: Callable[[], tuple[IngestDecision, Sequence[Aggregate | None]]]
    ) -> IngestDecision:
        def without_none() -> tuple[IngestDecision, list[Aggregate]]:
            decision, aggregates = command()
            return decision, [aggregate for aggregate in aggregates if aggregate is not None]

        decision: IngestDecision = self.store.decide(without_none)
        return decision

    def _intake(self, tenant_id: str, order_id: str) -> OrderIntake | None:
        try:
            return self.store.load(intake_id(tenant_id, order_id), OrderIntake, tenant_id)
        except NotFound:
            return None

    def _customer_quotes(self, tenant_id: str, new: _NewLead) -> CustomerQuotes | None:
        key = customer_quotes_id(tenant_id, new.location.location_id, new.customer.id, _vehicle_id(new))
        try:
            return self.store.load(key, CustomerQuotes, tenant_id)
        except NotFound:
            return None

    def _open_customer_quotes(
        self, tenant_id: str, new: _NewLead, lead_id: UUID, now: datetime
    ) -> CustomerQuotes:
        return CustomerQuotes.open(
            tenant_id=tenant_id,
            location_id=new.location.location_id,
            crm_customer_id=new.customer.id,
            crm_vehicle_id=_vehicle_id(new),
            lead_id=lead_id,
            at=now,
        )

    def _follow_the_number(self, lead: Lead, schedule: TouchPointSchedule | None, now: datetime) -> None:
        """A new phone number in the CRM moves the cadence's sending rules with it: the state and zones
        its legal hours and cap are read by are the new number's (a customer who moved from San Diego to
        Miami is texted by Florida's rules from now on)."""
        if schedule is None or not any(
            isinstance(event, Lead.DetailsUpdated) and "phone" in event.changes
            for event in lead.pending_events
        ):
            return
        schedule.change_recipient(
            recipient=self.container.recipients.context_for(lead.contact.phone),
            reason="the customer's phone number changed in the CRM",
            now=now,
        )

    def _schedule(self, tenant_id: str, lead_id: UUID) -> TouchPointSchedule | None:
        try:
            return self.store.load(ids.schedule_id(lead_id), TouchPointSchedule, tenant_id)
        except NotFound:
            return None


def _follow_the_location(
    lead: Lead, schedule: TouchPointSchedule | None, location: LocationConfig | None, now: datetime
) -> None:
    """The CRM moved the lead to another of the tenant's locations: the cadence is sent by that shop
    from now on, so its next touches are planned in that shop's sending window and time zone (a move
    from San Diego to Brooklyn plans them on Brooklyn's clocks)."""
    if (
        schedule is None
        or location is None
        or not any(
            isinstance(event, Lead.DetailsUpdated) and "location_id" in event.changes
            for event in lead.pending_events
        )
    ):
        return
    schedule.change_location_terms(
        location_id=location.location_id,
        window=location.sending_window(),
        time_zone=location.time_zone,
        reason=f"the CRM moved the lead to location {location.location_id}",
        now=now,
    )


def _record_crm_consent(
    lead: Lead, schedule: TouchPointSchedule | None, consent: list[ConsentEvidence], now: datetime
) -> list[Channel]:
    """Record what the CRM now says about each channel's consent; the cadence follows (a channel
    withdrawn is disabled, one granted is used again while the cadence runs). Returns the channels whose
    consent changed."""
    changed = []
    for evidence in consent:
        before = lead.can_contact(evidence.channel)
        lead.record_crm_consent(evidence, at=now)
        after = lead.can_contact(evidence.channel)
        if before == after:
            continue
        changed.append(evidence.channel)
        if schedule is None:
            continue
        if not after:
            schedule.disable_channel(
                channel=evidence.channel, reason=f"consent withdrawn in the CRM: {evidence.reason}", now=now
            )
        elif schedule.is_active:
            schedule.enable_channel(channel=evidence.channel, now=now)
    if schedule is not None and changed and not any(lead.can_contact(c) for c in Channel):
        schedule.stop(reason="no channel has consent any more", now=now)
    return changed


def _vehicle_id(new: _NewLead) -> str | None:
    """The vehicle a new lead is for, as the lead records it (`Lead.crm_vehicle_id`)."""
    return new.vehicle.id if new.vehicle else None


def _version(order: CrmOrder, source: IntakeSource) -> OrderVersion:
    return OrderVersion(
        order_id=order.id, location_id=order.location_id, updated_date=order.updated_date, source=source
    )
