"""The CRM port: what the application needs from the shop's management system.

The shop's CRM (ShopMonkey for the first tenant) owns orders, customers, vehicles, the service menu and
the calendar. The application reads website quotes and contact details from it and writes booked
appointments back. These value types are the CRM as the application sees it: vendor field names, wire
envelopes and contact sub-resources stay in the adapter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import msgspec

APPOINTMENT_COLORS = frozenset(
    {"aqua", "black", "blue", "brown", "gray", "green", "orange", "purple", "red", "yellow"}
)


class CrmError(Exception):
    """The CRM refused or failed a request; the message says which request and why."""


class CrmNotFound(CrmError):
    """The CRM has no record with the requested id."""


class CrmUnavailable(CrmError):
    """The CRM could not be reached or kept failing, even after retrying: try again later."""


class CrmContractError(CrmError):
    """The CRM answered with something that breaks the agreed shape; the message names the field."""


class CrmAuthError(CrmError):
    """The CRM rejected our credentials or their permissions."""


class CrmOrder(msgspec.Struct, frozen=True, kw_only=True):
    """A work order (estimate, repair order or invoice) as the lead rule reads it."""

    id: str
    location_id: str
    company_id: str
    customer_id: str | None
    vehicle_id: str | None
    workflow_status_id: str | None
    status: str
    authorized: bool
    message_count: int
    name: str | None
    appointment_dates: list[str]
    invoiced: bool
    paid: bool
    created_date: datetime
    updated_date: datetime
    complaint: str | None = None
    number: int | None = None
    generated_vehicle_name: str | None = None
    # The customer's email / phone number to use for this order instead of the primary one.
    email_id: str | None = None
    phone_number_id: str | None = None


class CrmConsentRecord(msgspec.Struct, frozen=True, kw_only=True):
    """Where one channel's consent flag was read in the CRM, as evidence for people.

    `fields` are the CRM's own field paths and the values seen (e.g. the chosen phone number's opt-in
    flag and type), plain data that nothing interprets; `verified_at` is when the CRM says the consent
    was verified, when it says.
    """

    source: str
    fields: dict[str, str | bool | int | None]
    verified_at: datetime | None = None


class CrmCustomer(msgspec.Struct, frozen=True, kw_only=True):
    """A customer with the one email and one phone we would contact, and their consent flags.

    `email` is stripped and lower-cased; `phone` is E.164. The flags are reported as the CRM holds
    them; what they mean for messaging is the application's decision. `email_consent_record` /
    `sms_consent_record` say which CRM fields the flags (and the customer-wide preferences) were read
    from.
    """

    id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    email_subscribed: bool
    sms_subscribed: bool
    preferred_contact_method: str | None
    marketing_opt_in: bool | None
    email_consent_record: CrmConsentRecord | None = None
    sms_consent_record: CrmConsentRecord | None = None


class CrmVehicle(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    year: int | None
    make: str | None
    model: str | None
    submodel: str | None


class CrmService(msgspec.Struct, frozen=True, kw_only=True):
    """A canned service from the shop's menu: what it costs and how long the bay is busy."""

    id: str
    name: str
    price_cents: int
    duration_minutes: int
    bookable: bool
    deleted: bool
    location_id: str | None


class OrderListing(msgspec.Struct, frozen=True, kw_only=True):
    """Every order version the CRM listed as updated at or after a moment: each (id, `updated_date`) once,
    oldest first, none older than asked for.

    `complete` is False when the listing could not be read to its end (it kept growing, or kept
    disagreeing with its own total): a caller keeping a cursor must not move it past such a listing.
    `rows_returned` and `passes` say how much reading that took (for the poll's record).
    """

    orders: list[CrmOrder]
    complete: bool
    rows_returned: int = 0
    passes: int = 0


class AppointmentListing(msgspec.Struct, frozen=True, kw_only=True):
    """Every appointment version the CRM lists as changed (updated, or created) at or after a moment:
    each (id, `updated_date`) once, oldest first. Deleted appointments are not listed (only the
    webhook tells of those). `complete` as for `OrderListing`."""

    appointments: list[CrmAppointment]
    complete: bool
    rows_returned: int = 0


class CrmAppointmentRequest(msgspec.Struct, frozen=True, kw_only=True):
    """What to put on the shop's calendar. Times must be timezone-aware and `end` after `start`."""

    customer_id: str
    vehicle_id: str
    start: datetime
    end: datetime
    name: str
    order_id: str | None = None
    location_id: str | None = None
    color: str = "blue"
    note: str | None = None
    # The technicians the appointment is assigned to (empty: the calendar's unassigned column).
    technician_ids: tuple[str, ...] = ()
    # Our own appointment id, stored with the CRM's appointment so a retried create can find it.
    our_id: str | None = None

    def __post_init__(self) -> None:
        if not self.customer_id:
            raise ValueError("appointment customer_id must not be empty")
        if not self.vehicle_id:
            raise ValueError("appointment vehicle_id must not be empty")
        if not self.name.strip():
            raise ValueError("appointment name must not be blank")
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("appointment start and end must be timezone-aware")
        if self.end <= self.start:
            raise ValueError(
                f"appointment end {self.end.isoformat()} is not after start {self.start.isoformat()}"
            )
        if self.color not in APPOINTMENT_COLORS:
            raise ValueError(f"appointment color {self.color!r} is not one of {sorted(APPOINTMENT_COLORS)}")


class CrmAppointment(msgspec.Struct, frozen=True, kw_only=True):
    """An appointment as the CRM stored it.

    `confirmation` is the customer's answer as the CRM records it: "confirmed", "declined" or
    "no_response" (None: not said). `cancelled` is true when staff cancelled it (a deleted one is not
    listed at all). `updated_date` is the CRM's time of this version (its last update, else its creation; None when
    the CRM did not say).
    """

    id: str
    start: datetime
    end: datetime
    name: str | None = None
    order_id: str | None = None
    customer_id: str | None = None
    vehicle_id: str | None = None
    location_id: str | None = None
    note: str | None = None
    confirmation_status: str | None = None
    confirmed: bool | None = None
    pending_confirmation: bool | None = None
    technician_ids: tuple[str, ...] = ()
    our_id: str | None = None
    confirmation: str | None = None
    cancelled: bool = False
    updated_date: datetime | None = None


class CalendarEntry(msgspec.Struct, frozen=True, kw_only=True):
    """Time the shop's calendar holds at a location: an appointment (staff's or ours) or one occurrence
    of a recurring block (lunch, office time).

    `technician_ids` empty: the calendar's unassigned column, which still takes a bay. `our_id` is our
    own appointment id when we created it, so the application does not count our bookings twice.
    """

    id: str
    start: datetime
    end: datetime
    technician_ids: tuple[str, ...] = ()
    recurring: bool = False
    our_id: str | None = None
    name: str | None = None


class CrmLocation(msgspec.Struct, frozen=True, kw_only=True):
    """A location (store) of the shop's CRM company."""

    id: str
    name: str | None = None


class CrmWebhook(msgspec.Struct, frozen=True, kw_only=True):
    """A webhook registered in the CRM, with its error state: in error it has stopped delivering."""

    id: str
    name: str | None
    url: str | None
    enabled: bool
    error: bool
    error_message: str | None = None
    error_date: datetime | None = None


class Crm(Protocol):
    """Reads leads' context from the shop's CRM and keeps its calendar in step with our bookings.

    Every method raises `CrmNotFound`, `CrmUnavailable`, `CrmContractError`, `CrmAuthError` or
    another `CrmError`; nothing vendor-specific escapes.
    """

    async def list_orders_updated_since(self, since: datetime) -> OrderListing:
        """Every order version updated at or after `since` (timezone-aware), however the CRM pages it."""
        ...

    async def list_appointments_changed_since(self, since: datetime) -> AppointmentListing:
        """Every appointment version changed at or after `since` (timezone-aware): staff's edits in the
        calendar, for a poller that must not depend on the webhook alone."""
        ...

    async def list_locations(self) -> list[CrmLocation]:
        """Every location of the company: how a configured location id is known to exist (the CRM
        answers a filter on an unknown location with every location's rows)."""
        ...

    async def list_webhooks(self) -> list[CrmWebhook]:
        """The webhooks registered with the CRM, with their error state."""
        ...

    async def get_order(self, order_id: str) -> CrmOrder: ...

    async def get_customer(
        self, customer_id: str, *, email_id: str | None = None, phone_number_id: str | None = None
    ) -> CrmCustomer:
        """The customer, with the contact an order names (`email_id` / `phone_number_id`) or else the
        primary one."""
        ...

    async def get_vehicle(self, vehicle_id: str) -> CrmVehicle: ...

    async def list_services(self, location_id: str | None = None) -> list[CrmService]:
        """Every canned service (all pages), bookable or not, for the location when one is given."""
        ...

    async def appointments_on_order(self, order_id: str) -> list[CrmAppointment]:
        """Every appointment the CRM holds for the order (all pages, only that order's).

        How a create that failed in our eyes but was applied by the CRM is found again, so a retry
        adopts it instead of booking the slot twice.
        """
        ...

    async def calendar(
        self, location_id: str, start: datetime, end: datetime, *, technician_ids: Sequence[str] = ()
    ) -> list[CalendarEntry]:
        """Everything on the location's calendar overlapping [start, end), each occurrence once, by start.

        `start` and `end` are timezone-aware, in the location's zone (the CRM reads local days).
        `technician_ids`: whose recurring blocks to read, besides the technicians of the range's
        appointments (a CRM may only show a technician's blocks when asked for that technician).
        """
        ...

    async def create_appointment(self, request: CrmAppointmentRequest) -> CrmAppointment: ...

    async def update_appointment(
        self, appointment_id: str, request: CrmAppointmentRequest
    ) -> CrmAppointment: ...

    async def delete_appointment(self, appointment_id: str) -> None: ...
