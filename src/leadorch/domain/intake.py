"""Order intake: what happened to every version of a CRM order we were shown, and why.

ShopMonkey tells us about an order through its webhook and, as a safety net, through polling; both may
show the same version (order id + `updatedDate`) several times, and versions may arrive out of order.
One `OrderIntake` per (tenant, CRM order) remembers each version it decided on, so the same version is
never acted on twice and an older version never undoes a newer one. Every decision is an
`OrderVersionSeen` event with its reasons: that is the ingest log.

The consent rule for a new lead's channels lives here too, because it is decided at intake from what
the CRM says about the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from leadorch.domain.consent import decide_channel_consent
from leadorch.domain.errors import IllegalTransition, InvalidValue
from leadorch.domain.ids import NAMESPACE
from leadorch.domain.instants import require_instant
from leadorch.domain.tenancy import TenantAggregate
from leadorch.domain.values import Channel


def intake_id(tenant_id: str, crm_order_id: str) -> UUID:
    """The id of the intake record of CRM order `crm_order_id` of tenant `tenant_id`."""
    for name, value in (("tenant_id", tenant_id), ("crm_order_id", crm_order_id)):
        if not isinstance(value, str) or not value.strip():
            raise InvalidValue(f"{name} must be a non-empty string, not {value!r}")
    # Length-prefixed like `ids.lead_id`, under another path so the two can never collide.
    return uuid5(NAMESPACE, f"intake/{len(tenant_id)}:{tenant_id}/{crm_order_id}")


class IntakeSource(StrEnum):
    """How the order version reached us."""

    WEBHOOK = "webhook"
    POLL = "poll"
    FETCH = "fetch"  # re-read from the CRM while processing: a newer version than the one delivered


class IntakeOutcome(StrEnum):
    """What was decided about one order version."""

    LEAD_CREATED = "lead_created"
    JOINED_LEAD = "joined_lead"  # a repeat quote of a customer and vehicle with an open lead joined it
    REJECTED = "rejected"
    HANDED_TO_SHOP = "handed_to_shop"
    LEAD_UPDATED = "lead_updated"
    UNCHANGED = "unchanged"
    SUPERSEDED = "superseded"
    DELETED = "deleted"


@dataclass(frozen=True)
class OrderVersion:
    """One version of a CRM order: the natural key of a delivery (`order_id`, `updated_date`)."""

    order_id: str
    location_id: str
    updated_date: datetime
    source: IntakeSource


def _parse_source(source: IntakeSource | str) -> IntakeSource:
    try:
        return IntakeSource(source)
    except ValueError:
        allowed = ", ".join(s.value for s in IntakeSource)
        raise InvalidValue(f"intake source must be one of {allowed}, not {source!r}") from None


def _reasons(reasons: list[str] | tuple[str, ...], *, required: bool) -> list[str]:
    if isinstance(reasons, str) or not all(isinstance(r, str) and r.strip() for r in reasons):
        raise InvalidValue(f"reasons must be a list of non-empty texts, not {reasons!r}")
    if required and not reasons:
        raise InvalidValue("a rejection needs at least one reason")
    return list(reasons)


class OrderIntake(TenantAggregate):
    """Every version of one CRM order that was decided on, and the lead it made (if any)."""

    class Opened(Aggregate.Created):
        tenant_id: str
        order_id: str

        def apply(self, aggregate: OrderIntake) -> None:
            aggregate.tenant_id = self.tenant_id
            aggregate.order_id = self.order_id
            aggregate.versions = {}
            aggregate.lead_id = None
            aggregate.latest_updated_date = None
            aggregate.deleted = False

    class OrderVersionSeen(TenantAggregate.Event):
        """One version of the order was decided on: a line of the ingest log.

        `outcome` is an `IntakeOutcome`; `accepted` says whether the order counts as a website lead
        (true when it became or updated a lead); `reasons` are every failed criterion for a rejection,
        the takeover for a hand-over, the changed fields for an update, or a note.
        """

        order_id: str
        location_id: str
        updated_date: datetime
        source: str
        accepted: bool
        reasons: list[str]
        lead_id: str | None
        outcome: str

        def apply(self, aggregate: OrderIntake) -> None:
            aggregate.versions = {**aggregate.versions, self.updated_date: IntakeOutcome(self.outcome)}
            if self.lead_id is not None:
                aggregate.lead_id = self.lead_id
            if aggregate.latest_updated_date is None or self.updated_date > aggregate.latest_updated_date:
                aggregate.latest_updated_date = self.updated_date
            if self.outcome == IntakeOutcome.DELETED:
                aggregate.deleted = True

    tenant_id: str
    order_id: str
    versions: dict[datetime, IntakeOutcome]
    lead_id: str | None
    latest_updated_date: datetime | None
    deleted: bool

    def __init__(self) -> None:
        """State is set by `Opened.apply`, so recording and replaying share one path."""

    @classmethod
    def open(cls, *, tenant_id: str, order_id: str, at: datetime) -> OrderIntake:
        """The intake record of a CRM order seen for the first time."""
        at = require_instant(at)
        return cls._create(
            cls.Opened,
            id=intake_id(tenant_id, order_id),
            timestamp=at,
            tenant_id=tenant_id,
            order_id=order_id,
        )

    # --------------------------------------------------------------------------------- queries

    def has_seen(self, updated_date: datetime) -> bool:
        """Whether the version last updated at `updated_date` was already decided on."""
        return require_instant(updated_date, "updated_date") in self.versions

    def is_superseded(self, updated_date: datetime) -> bool:
        """Whether a newer version than `updated_date` was already decided on (acting would regress)."""
        updated = require_instant(updated_date, "updated_date")
        return self.latest_updated_date is not None and updated < self.latest_updated_date

    def outcome_of(self, updated_date: datetime) -> IntakeOutcome | None:
        """What was decided about the version last updated at `updated_date`, if it was seen."""
        return self.versions.get(require_instant(updated_date, "updated_date"))

    @property
    def made_lead(self) -> bool:
        """Whether the order belongs to a lead (it made one, or joined one as a repeat quote)."""
        return self.lead_id is not None

    # -------------------------------------------------------------------------------- commands

    def record_rejected(self, version: OrderVersion, *, reasons: list[str], at: datetime) -> None:
        """The version does not make a lead; `reasons` says every rule it failed."""
        self._record(
            version, IntakeOutcome.REJECTED, accepted=False, reasons=_reasons(reasons, required=True), at=at
        )

    def record_lead_created(self, version: OrderVersion, *, lead_id: UUID | str, at: datetime) -> None:
        """The version qualified and became lead `lead_id`."""
        if self.lead_id is not None:
            raise IllegalTransition(
                f"cannot create a lead from order {self.order_id}: it already made lead {self.lead_id}"
            )
        self._record(
            version, IntakeOutcome.LEAD_CREATED, accepted=True, reasons=[], lead_id=str(lead_id), at=at
        )

    def record_joined_lead(
        self, version: OrderVersion, *, lead_id: UUID | str, reason: str, at: datetime
    ) -> None:
        """The version qualified as a repeat quote and joined the customer's open lead `lead_id`."""
        if self.lead_id is not None:
            raise IllegalTransition(
                f"cannot join order {self.order_id} to lead {lead_id}: it already belongs to lead {self.lead_id}"
            )
        self._record(
            version,
            IntakeOutcome.JOINED_LEAD,
            accepted=True,
            reasons=_reasons([reason], required=True),
            lead_id=str(lead_id),
            at=at,
        )

    def record_handed_to_shop(self, version: OrderVersion, *, reason: str, at: datetime) -> None:
        """Staff took the order over in the CRM, so its lead was handed to the shop."""
        self._require_lead("hand its lead to the shop")
        self._record(
            version,
            IntakeOutcome.HANDED_TO_SHOP,
            accepted=False,
            reasons=_reasons([reason], required=True),
            at=at,
        )

    def record_lead_updated(self, version: OrderVersion, *, changed: list[str], at: datetime) -> None:
        """The version changed details of the lead (`changed` names them)."""
        self._require_lead("update its lead")
        self._record(
            version,
            IntakeOutcome.LEAD_UPDATED,
            accepted=True,
            reasons=_reasons(changed, required=False),
            at=at,
        )

    def record_unchanged(self, version: OrderVersion, *, note: str, at: datetime) -> None:
        """The version was read and needed no action (`note` says why)."""
        self._record(
            version,
            IntakeOutcome.UNCHANGED,
            accepted=self.made_lead,
            reasons=_reasons([note], required=True),
            at=at,
        )

    def record_superseded(self, version: OrderVersion, *, by: datetime, at: datetime) -> None:
        """A newer version (`by`) was already used, so this older one is only noted, never acted on."""
        by = require_instant(by, "by")
        if not require_instant(version.updated_date, "updated_date") < by:
            raise InvalidValue(
                f"version {version.updated_date.isoformat()} is not older than {by.isoformat()}"
            )
        reason = f"superseded by the version updated at {by.isoformat()}"
        self._record(version, IntakeOutcome.SUPERSEDED, accepted=False, reasons=[reason], at=at)

    def record_deleted(self, version: OrderVersion, *, reason: str, at: datetime) -> None:
        """The order was deleted in the CRM."""
        if self.deleted:
            raise IllegalTransition(f"cannot record order {self.order_id} as deleted again")
        self._record(
            version, IntakeOutcome.DELETED, accepted=False, reasons=_reasons([reason], required=True), at=at
        )

    def _require_lead(self, action: str) -> None:
        if self.lead_id is None:
            raise IllegalTransition(f"cannot {action}: order {self.order_id} never made a lead")

    def _record(
        self,
        version: OrderVersion,
        outcome: IntakeOutcome,
        *,
        accepted: bool,
        reasons: list[str],
        at: datetime,
        lead_id: str | None = None,
    ) -> None:
        at = require_instant(at)
        if not isinstance(version, OrderVersion):
            raise InvalidValue(f"version must be an OrderVersion, not {type(version).__name__}")
        if version.order_id != self.order_id:
            raise InvalidValue(
                f"version of order {version.order_id} recorded on the intake of order {self.order_id}"
            )
        updated = require_instant(version.updated_date, "updated_date")
        if updated in self.versions and outcome is not IntakeOutcome.DELETED:
            raise IllegalTransition(
                f"cannot record order {self.order_id} updated at {updated.isoformat()} again: "
                f"it was already {self.versions[updated]}"
            )
        if not isinstance(version.location_id, str):
            raise InvalidValue(f"location_id must be text, not {version.location_id!r}")
        self.trigger_event(
            self.OrderVersionSeen,
            timestamp=at,
            order_id=self.order_id,
            location_id=version.location_id,
            updated_date=updated,
            source=_parse_source(version.source).value,
            accepted=accepted,
            reasons=reasons,
            lead_id=lead_id,
            outcome=outcome.value,
        )


@dataclass(frozen=True)
class ContactConsent:
    """Which channels a new lead may be contacted on."""

    email: bool
    sms: bool


def contact_consent(
    *,
    email: str | None,
    email_subscribed: bool,
    phone: str | None,
    sms_subscribed: bool,
    preferred_contact_method: str | None,
    marketing_opt_in: bool | None,
) -> ContactConsent:
    """The channels a website quote may be followed up on (the rule: `consent.decide_channel_consent`)."""

    def granted(channel: Channel, address: str | None, flag: bool) -> bool:
        return decide_channel_consent(
            channel,
            has_address=bool(address),
            address_flag=flag,
            preferred_contact_method=preferred_contact_method,
            marketing_opt_in=marketing_opt_in,
        ).granted

    return ContactConsent(
        email=granted(Channel.EMAIL, email, email_subscribed), sms=granted(Channel.SMS, phone, sms_subscribed)
    )
