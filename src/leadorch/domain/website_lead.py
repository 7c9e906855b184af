"""The website-lead rule: which CRM orders are fresh quote requests we may follow up automatically.

An order qualifies only if all nine criteria hold. Each tenant configures which workflow statuses and
locations count (`WebsiteLeadCriteria`); there are no ids in code. `evaluate` reports every failing
criterion, not just the first, so an operator sees at once why an order was not taken.

Once an order made a lead, `shop_takeover_reason` says whether shop staff have since taken it over
in the CRM (messaged the customer, set an appointment, authorized, invoiced or took payment); the
lead is then handed to the shop and the automation stops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from leadorch.domain.errors import InvalidValue

ESTIMATE_STATUS = "Estimate"
QUOTE_NAME_PREFIX = "New Quote"


class Criterion(StrEnum):
    """The nine things a website quote request must be."""

    WORKFLOW_STATUS = "workflow_status"
    ESTIMATE = "estimate"
    NOT_AUTHORIZED = "not_authorized"
    NO_MESSAGES = "no_messages"
    QUOTE_NAME = "quote_name"
    NO_APPOINTMENT = "no_appointment"
    NOT_INVOICED = "not_invoiced"
    NOT_PAID = "not_paid"
    KNOWN_LOCATION = "known_location"


@dataclass(frozen=True)
class OrderSnapshot:
    """The parts of a CRM order the rule reads, as the CRM reported them at one moment."""

    order_id: str
    location_id: str
    workflow_status_id: str | None
    status: str
    authorized: bool
    message_count: int
    name: str
    appointment_dates: tuple[datetime, ...]
    invoiced: bool
    paid: bool

    def __post_init__(self) -> None:
        if not isinstance(self.order_id, str) or not self.order_id:
            raise InvalidValue(f"order_id must be non-empty text, not {self.order_id!r}")
        if (
            isinstance(self.message_count, bool)
            or not isinstance(self.message_count, int)
            or self.message_count < 0
        ):
            raise InvalidValue(
                f"order {self.order_id}: message_count must be a count, not {self.message_count!r}"
            )
        dates = self.appointment_dates
        if isinstance(dates, (str, bytes)) or not isinstance(dates, Sequence):
            raise InvalidValue(f"order {self.order_id}: appointment_dates must be a sequence, not {dates!r}")
        object.__setattr__(self, "appointment_dates", tuple(dates))


@dataclass(frozen=True)
class WebsiteLeadCriteria:
    """A tenant's configuration of the rule: its website-lead workflow statuses and its locations."""

    workflow_status_ids: frozenset[str]
    location_ids: frozenset[str]
    name_prefix: str = QUOTE_NAME_PREFIX

    def __post_init__(self) -> None:
        for name in ("workflow_status_ids", "location_ids"):
            values = getattr(self, name)
            if isinstance(values, str):
                raise InvalidValue(f"{name} must be a set of ids, not the single string {values!r}")
            object.__setattr__(self, name, frozenset(values))
        if not self.name_prefix.strip():
            raise InvalidValue("name_prefix must be non-empty text")


@dataclass(frozen=True)
class Verdict:
    """Whether an order is a website lead, and every reason it is not."""

    accepted: bool
    reasons: tuple[str, ...]
    failed: tuple[Criterion, ...] = ()


def _checks(order: OrderSnapshot, criteria: WebsiteLeadCriteria) -> list[tuple[Criterion, bool, str]]:
    prefix = criteria.name_prefix
    return [
        (
            Criterion.WORKFLOW_STATUS,
            order.workflow_status_id in criteria.workflow_status_ids,
            f"workflow status {order.workflow_status_id!r} is not one of the tenant's website-lead statuses",
        ),
        (
            Criterion.ESTIMATE,
            order.status == ESTIMATE_STATUS,
            f"status is {order.status!r}, not {ESTIMATE_STATUS!r}",
        ),
        (Criterion.NOT_AUTHORIZED, not order.authorized, "the order is already authorized"),
        (
            Criterion.NO_MESSAGES,
            order.message_count == 0,
            f"the shop already exchanged {order.message_count} message(s) on the order",
        ),
        (
            Criterion.QUOTE_NAME,
            order.name.strip().casefold().startswith(prefix.casefold()),
            f"name {order.name!r} does not start with {prefix!r}",
        ),
        (Criterion.NO_APPOINTMENT, not order.appointment_dates, "the order already has an appointment"),
        (Criterion.NOT_INVOICED, not order.invoiced, "the order is invoiced"),
        (Criterion.NOT_PAID, not order.paid, "the order is paid"),
        (
            Criterion.KNOWN_LOCATION,
            order.location_id in criteria.location_ids,
            f"location {order.location_id!r} is not a configured location",
        ),
    ]


def evaluate(order: OrderSnapshot, criteria: WebsiteLeadCriteria) -> Verdict:
    """Whether `order` is a website quote request under `criteria`, with every failing reason."""
    failing = [(criterion, reason) for criterion, holds, reason in _checks(order, criteria) if not holds]
    return Verdict(
        accepted=not failing,
        reasons=tuple(reason for _, reason in failing),
        failed=tuple(criterion for criterion, _ in failing),
    )


def shop_takeover_reason(order: OrderSnapshot) -> str | None:
    """Why shop staff now own an order that already made a lead, or None if they have not taken it over."""
    if order.message_count > 0:
        return f"shop staff messaged the customer in the CRM ({order.message_count} message(s))"
    if order.appointment_dates:
        return "an appointment was set in the CRM"
    if order.authorized:
        return "the order was authorized in the CRM"
    if order.invoiced:
        return "the order was invoiced in the CRM"
    if order.paid:
        return "the order was paid in the CRM"
    return None
