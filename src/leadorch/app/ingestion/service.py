"""Ingestion: what one version of a CRM order means for us, decided once and recorded with its reasons.

For every order version (from the webhook inbox or the poller) the service decides, in this order:
a version already decided on is a duplicate; an older version than one already used is only noted
(never regress); a deletion hands the lead to the shop; an order that already made a lead is handed
to the shop when staff took it over in the CRM (messaged, set an appointment, authorized, invoiced,
paid), otherwise its details are mirrored (and the customer re-read: consent changes reach the lead);
a new order goes through the website-lead rule and, when it qualifies, is re-read from the CRM (the
newest version wins), its customer and vehicle are fetched, and either it joins the open lead of the
same customer and vehicle (a repeat quote: one lead, one cadence) or the `Lead`, its
`TouchPointSchedule` and the `OrderIntake` decision are saved in ONE transaction.
Ids are deterministic, so a concurrent duplicate import collides in the event store; the retry then
finds the decision already made. Only the import that created the lead enqueues touch 1 and alerts
the staff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from leadorch.app.booking.shop_changes import ShopCalendarChanges
from leadorch.app.config.errors import UnknownTenant
from leadorch.app.config.models import LocationConfig
from leadorch.app.crm import crm_for
from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.ingestion.inbox import InboxRow, InboxStatus, OrderChange, WebhookInbox
from leadorch.app.ingestion.order_reading import (
    consent_evidence_of,
    contact_of,
    requested_services,
    snapshot,
    unreachable_because,
    vehicle_of,
)
from leadorch.app.ingestion.staff_alert import NewLeadFacts, send_new_lead_alert
from leadorch.app.ingestion.tenancy import TenantView, TenantViews
from leadorch.app.leads.lookup import open_leads_of
from leadorch.app.observability.metrics import LEADS_CREATED
from leadorch.app.touches.actors import DISPATCH_TOUCH
from leadorch.app.worker.enqueue import enqueue
from leadorch.domain import ids
from leadorch.domain.consent import ConsentEvidence
from leadorch.domain.errors import DomainError
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
from leadorch.ports.crm import Crm, CrmCustomer, CrmError, CrmNotFound, CrmOrder, CrmVehicle

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)
T = TypeVar("T")

CLAIM_LEASE = timedelta(minutes=5)
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


class IngestionService:
    """Turns CRM order versions into lead decisions. One instance per container is enough."""

    def __init__(
        self,
        container: Container,
        *,
        crm: Callable[[str], Crm] | None = None,
        run: Callable[[Coroutine[Any, Any, Any]], Any] | None = None,
    ) -> None:
        self.container = container
        self.store: EventStore = container.store
        self.clock = container.clock
        self.inbox = WebhookInbox(container.db)
        self.tenants = TenantViews(container)
        self.crm_for_tenant = crm or (lambda tenant_id: crm_for(container, tenant_id))
        self.run_crm = run or container.crm.run
        self.shop_changes = ShopCalendarChanges(container)

    # ---------------------------------------------------------------------------------- inbox rows

    def process_delivery(self, request_id: str) -> IngestDecision | None:
        """Claim a pending inbox row, decide on it and close it; None if it was not ours to process.

        A temporary CRM failure puts the row back for the relay (after a backoff); any other error is
        raised after giving the row back, so nothing is lost either way.
        """
        row = self.inbox.claim(request_id, now=self.clock.now(), lease=CLAIM_LEASE)
        if row is None:
            return None
        return self.process_claimed(row)

    def process_claimed(self, row: InboxRow) -> IngestDecision | None:
        if row.appointment is not None:
            self._process_appointment(row)
            return None
        if row.order is None:
            self.inbox.finish(
                row.request_id, status=InboxStatus.REJECTED, reason="no order row", now=self.clock.now()
            )
            return None
        try:
            decision = self.process_order(
                row.tenant_id, row.order, source=row.source, received_at=row.received_at, change=row.change
            )
        except UnknownTenant as exc:
            self.inbox.finish(
                row.request_id, status=InboxStatus.REJECTED, reason=str(exc), now=self.clock.now()
            )
            return None
        except CrmError as exc:
            log.warning("order %s not processed yet, will retry: %s", row.order.id, exc)
            self.inbox.release(row.request_id, reason=f"will retry: {exc}", now=self.clock.now())
            return None
        except BaseException as exc:
            self.inbox.release(
                row.request_id, reason=f"will retry: {type(exc).__name__}: {exc}", now=self.clock.now()
            )
            raise
        if decision.duplicate and decision.outcome is IntakeOutcome.LEAD_CREATED and row.attempts > 1:
            # An earlier attempt saved the lead and stopped before closing the row: finish its work.
            self._after_lead_created(row.tenant_id, decision.lead_id)
        status = InboxStatus.REJECTED if decision.outcome is IntakeOutcome.REJECTED else InboxStatus.PROCESSED
        self.inbox.finish(row.request_id, status=status, reason=decision.summary, now=self.clock.now())
        return decision

    def _process_appointment(self, row: InboxRow) -> None:
        """A change in the shop's calendar (see `booking/shop_changes.py`), closed with what it did."""
        assert row.appointment is not None
        try:
            change = self.shop_changes.apply(
                row.tenant_id, row.appointment, deleted=row.change is OrderChange.DELETE
            )
        except DomainError as exc:  # the row breaks a rule of ours (e.g. it ends before it starts)
            self.inbox.finish(
                row.request_id, status=InboxStatus.REJECTED, reason=str(exc), now=self.clock.now()
            )
            return
        except BaseException as exc:
            self.inbox.release(
                row.request_id, reason=f"will retry: {type(exc).__name__}: {exc}", now=self.clock.now()
            )
            raise
        status = InboxStatus.IGNORED if change.outcome == "ignored" else InboxStatus.PROCESSED
        self.inbox.finish(row.request_id, status=status, reason=change.summary, now=self.clock.now())

    # ------------------------------------------------------------------------------ order versions

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
                self._after_lead_created(tenant_id, decision.lead_id)
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
        crm = self.crm_for_tenant(tenant_id)
        superseded: list[OrderVersion] = []
        # The three reads are independent: asked at once, a new lead costs one CRM round trip, not three.
        latest_or_error, customer_or_error, vehicle_or_error = self._call(
            _gather(
                crm.get_order(order.id),
                _maybe(_customer_of(crm, order)),
                _maybe(crm.get_vehicle(order.vehicle_id) if order.vehicle_id else None),
            )
        )
        if isinstance(latest_or_error, CrmNotFound):
            return self._save_rejection(tenant_id, version, [f"order {order.id} no longer exists in the CRM"])
        latest = _value(latest_or_error)
        if latest.updated_date > order.updated_date:
            superseded.append(version)
            if (latest.customer_id, latest.vehicle_id) != (order.customer_id, order.vehicle_id):
                customer_or_error, vehicle_or_error = self._call(
                    _gather(
                        _maybe(_customer_of(crm, latest)),
                        _maybe(crm.get_vehicle(latest.vehicle_id) if latest.vehicle_id else None),
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
        customer = _value(customer_or_error)
        vehicle: CrmVehicle | None = None
        notes: list[str] = []
        if order.vehicle_id:
            if isinstance(vehicle_or_error, CrmNotFound):
                notes.append(f"vehicle {order.vehicle_id} was not found in the CRM")
            else:
                vehicle = _value(vehicle_or_error)
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

    def _after_lead_created(self, tenant_id: str, lead_id: str | None) -> None:
        """Touch 1 right away (speed to lead), then the staff alert. Neither may undo the import."""
        if lead_id is None:
            return
        schedule_id = str(ids.schedule_id(lead_id))
        enqueue(self.container, DISPATCH_TOUCH, tenant_id, schedule_id, inline=False)  # else: the tick
        try:
            self.alert_staff(tenant_id, lead_id)
        except Exception:
            log.exception("new-lead alert for lead %s failed", lead_id)

    def alert_staff(self, tenant_id: str, lead_id: str) -> list[Any]:

        lead = self.store.load(UUID(lead_id), Lead, tenant_id)
        view = self.tenants.get(tenant_id)
        location = next(
            (loc for loc in view.locations_by_crm_id.values() if loc.location_id == lead.location_id), None
        )
        if location is None:
            return []
        facts = NewLeadFacts(
            lead_id=lead_id,
            first_name=lead.contact.first_name,
            vehicle=lead.vehicle.description,
            services=lead.services,
        )
        return send_new_lead_alert(
            messenger=self.container.messenger,
            tenant=view.tenant,
            location=location,
            facts=facts,
            settings=self.container.settings,
        )

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
            contact, consent, vehicle = self._current_parties(tenant_id, order, current)
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
            if takeover is not None and lead.status is LeadStatus.BOOKED:
                note = f"not handed to the shop: the customer booked through the assistant ({takeover})"
                intake.record_unchanged(version, note=note, at=now)
                return IngestDecision(IntakeOutcome.UNCHANGED, (note,), str(lead_id)), [intake]
            if takeover is not None:
                lead.hand_to_shop(reason=takeover, at=now)
                if schedule is not None:
                    schedule.stop(reason=f"handed to the shop: {takeover}", now=now)
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

    def _current_parties(
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
                customer = self._call(
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
                vehicle = vehicle_of(self._call(crm.get_vehicle(order.vehicle_id)))
            except CrmNotFound:
                vehicle = None
        return contact, consent, vehicle

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
                if own_order and lead.status not in (LeadStatus.HANDLED_BY_SHOP, LeadStatus.BOOKED):
                    lead.hand_to_shop(reason=DELETED_REASON, at=now)
                    schedule = self._schedule(tenant_id, lead_id)
                    if schedule is not None:
                        schedule.stop(reason=f"handed to the shop: {DELETED_REASON}", now=now)
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

    def _schedule(self, tenant_id: str, lead_id: UUID) -> TouchPointSchedule | None:
        try:
            return self.store.load(ids.schedule_id(lead_id), TouchPointSchedule, tenant_id)
        except NotFound:
            return None

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        result: T = self.run_crm(coroutine)
        return result


async def _gather(*reads: Coroutine[Any, Any, Any]) -> list[Any]:
    """Run CRM reads concurrently; each result is its value or the exception it raised."""
    return list(await asyncio.gather(*reads, return_exceptions=True))


async def _maybe(read: Coroutine[Any, Any, T] | None) -> T | None:
    return None if read is None else await read


def _value(result: Any) -> Any:
    """A gathered result, re-raising what the read raised (other than what the caller handled)."""
    if isinstance(result, BaseException):
        raise result
    return result


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


def _customer_of(crm: Crm, order: CrmOrder) -> Coroutine[Any, Any, CrmCustomer] | None:
    """The read of the order's customer, with the contact the order names (None: no customer)."""
    if not order.customer_id:
        return None
    return crm.get_customer(order.customer_id, email_id=order.email_id, phone_number_id=order.phone_number_id)
