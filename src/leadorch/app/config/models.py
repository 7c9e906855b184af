"""What a tenant and its locations are configured with, as plain values (msgspec Structs).

These are what the repository returns, what the admin API sends and receives, and what the hot paths
read. They hold no secrets: a tenant only says whether its CRM credentials are set
(`ConfigRepository.crm_credentials` gives the decrypted values to the code that calls the CRM).
The `business_hours()`, `sending_window()`, `touch_plan()`… methods turn the stored form into the
domain's value objects, so the rules that use them stay in `leadorch.domain`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Literal

import msgspec

from leadorch.app.config.hours import day_index
from leadorch.domain.availability import ServiceLine
from leadorch.domain.cadence import DEFAULT_PLAN, SendingWindow, TouchPlan
from leadorch.domain.location import BusinessHours
from leadorch.domain.website_lead import WebsiteLeadCriteria

if TYPE_CHECKING:
    from leadorch.app.messages.templates import TouchTemplates

StaffAlert = Literal["new_lead", "handoff"]
STAFF_ALERTS: tuple[str, ...] = ("new_lead", "handoff")


DEFAULT_LIVE_CONVERSATION_MINUTES = 15
"""How long after a customer's message the conversation is live (an answer goes at once)."""


class PlannedTouchConfig(msgspec.Struct, frozen=True, kw_only=True):
    """One touch of a tenant's own plan (the shape of `domain.cadence.PlannedTouch.to_data()`)."""

    number: int
    day: int
    channels: list[str]


class TouchTemplate(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A tenant's own wording for one touch; a part left out keeps the default template's."""

    email_subject: str | None = None
    email_text: str | None = None
    email_html: str | None = None
    sms: str | None = None


DEFAULT_CATALOG_GENERIC_WORDS: tuple[str, ...] = (
    "the", "a", "and", "of", "with", "for", "package", "tint", "tinting", "window", "windows", "film",
    "service", "install", "installation",
)  # fmt: skip
"""Words in most service names of a tint shop (the first tenants' trade): a default, per tenant."""


class TenantConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A franchise or shop group: its CRM binding, lead rule, cadence, templates and demo mode.

    `catalog_generic_words` are the words its service names share ("package", "tint"…): the chat
    ignores them when it works out which service a customer named, so only distinctive words count.
    """

    tenant_id: str
    name: str
    website_status_ids: list[str] = msgspec.field(default_factory=list)
    demo_mode: bool = True
    allow_list: list[str] = msgspec.field(default_factory=list)
    custom_touch_plan: list[PlannedTouchConfig] | None = None
    templates: dict[int, TouchTemplate] = msgspec.field(default_factory=dict)
    max_sms_segments: int = 2
    assistant_answers_messages: bool = True
    """Whether the assistant answers texts and emailed replies (off: they wait in the inbox for staff)."""
    live_conversation_minutes: int = DEFAULT_LIVE_CONVERSATION_MINUTES
    """An answer within this many minutes of the customer's message goes at once; a later one keeps the
    sending rules of a touch."""
    catalog_generic_words: list[str] = msgspec.field(
        default_factory=lambda: list(DEFAULT_CATALOG_GENERIC_WORDS)
    )
    crm_api_key_set: bool = False
    crm_webhook_secret_set: bool = False
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def website_lead_criteria(self, location_crm_ids: Iterable[str]) -> WebsiteLeadCriteria:
        """The website-lead rule's parameters: this tenant's workflow statuses and CRM locations."""
        return WebsiteLeadCriteria(
            workflow_status_ids=frozenset(self.website_status_ids),
            location_ids=frozenset(location_crm_ids),
        )

    def touch_plan(self) -> TouchPlan:
        """The tenant's own plan, or the default 13-touch plan when it has none."""
        if self.custom_touch_plan is None:
            return DEFAULT_PLAN
        return TouchPlan.from_data([msgspec.to_builtins(touch) for touch in self.custom_touch_plan])

    def templates_for(self, touch_number: int) -> TouchTemplates:
        """The templates touch `touch_number` is rendered with: the tenant's parts over the defaults.

        A touch beyond the default 13 (a longer custom plan) starts from the last default touch.
        """
        from leadorch.app.messages.defaults import DEFAULT_TEMPLATES

        base = DEFAULT_TEMPLATES.get(touch_number) or DEFAULT_TEMPLATES[max(DEFAULT_TEMPLATES)]
        own = self.templates.get(touch_number)
        if own is None:
            return base
        return merged_templates(base, own)

    def may_message(self, address: str) -> bool:
        """Whether a message may go to `address` (normalised email or E.164): in demo mode only the allow-list."""
        return not self.demo_mode or address.strip().lower() in self.allow_list


class DateException(msgspec.Struct, frozen=True, kw_only=True):
    """Hours for one date that replace the weekly ones (a holiday: no intervals = closed all day)."""

    day: date
    hours: list[str] = msgspec.field(default_factory=list)
    note: str = ""


class SendingWindowConfig(msgspec.Struct, frozen=True, kw_only=True):
    """When messages may go out, local time; the domain refuses anything outside 08:00–21:00."""

    start: str = "09:00"
    end: str = "20:00"
    days: list[str] = msgspec.field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"])


class StaffContact(msgspec.Struct, frozen=True, kw_only=True):
    """Someone at the shop to alert, and about what ("new_lead", "handoff")."""

    name: str
    email: str | None = None
    phone: str | None = None
    alerts: list[StaffAlert] = msgspec.field(default_factory=list)


DEFAULT_BOOKING_HORIZON_DAYS = 60
"""Bookings are taken up to this many days ahead unless the location says otherwise."""


class LocationConfig(msgspec.Struct, frozen=True, kw_only=True):
    """One shop: where it is, when it is open, how many bays it has, whom to alert."""

    tenant_id: str
    location_id: str
    name: str
    crm_location_id: str
    time_zone: str
    phone: str | None = None
    address: str | None = None
    weekly_hours: dict[str, list[str]] = msgspec.field(default_factory=dict)
    exceptions: list[DateException] = msgspec.field(default_factory=list)
    window: SendingWindowConfig = msgspec.field(default_factory=SendingWindowConfig)
    capacity: int = 1
    min_lead_minutes: int = 120
    slot_granularity_minutes: int = 30
    # How far ahead the customer may book: a slot starts at most this many days from now.
    booking_horizon_days: int = DEFAULT_BOOKING_HORIZON_DAYS
    # The bookable technicians (CRM user ids): when listed, a slot needs one of them free and the booking
    # is assigned to them; when empty, `capacity` counts the bays.
    technician_ids: list[str] = msgspec.field(default_factory=list)
    # Whether the assistant answers this shop's texts and emailed replies (and the tenant's setting).
    assistant_answers_messages: bool = True
    staff: list[StaffContact] = msgspec.field(default_factory=list)
    sms_from_number: str | None = None
    email_from: str | None = None
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def business_hours(self) -> BusinessHours:
        """The opening hours as the domain's value (days counted from Sunday = 0)."""
        return BusinessHours(
            weekly={day_index(day): _time_ranges(spans) for day, spans in self.weekly_hours.items()},
            exceptions={exception.day: _time_ranges(exception.hours) for exception in self.exceptions},
        )

    def sending_window(self) -> SendingWindow:
        """The window messages may go out in, as the domain's value."""
        return SendingWindow(
            start=time.fromisoformat(self.window.start),
            end=time.fromisoformat(self.window.end),
            days=frozenset(day_index(day) for day in self.window.days),
        )

    @property
    def booking_horizon(self) -> timedelta:
        """How far ahead of now the latest bookable slot may start."""
        return timedelta(days=self.booking_horizon_days)

    @property
    def min_lead(self) -> timedelta:
        """How far ahead of now the earliest bookable slot is."""
        return timedelta(minutes=self.min_lead_minutes)

    def staff_to_alert(self, alert: StaffAlert) -> list[StaffContact]:
        """The contacts who asked for `alert`."""
        return [contact for contact in self.staff if alert in contact.alerts]


class CatalogEntry(msgspec.Struct, frozen=True, kw_only=True):
    """A service of the tenant's catalog, priced for one location when one is asked for.

    `price_cents` is what the customer pays there: the location's override if it has one, else the
    tenant-wide `base_price_cents`.
    """

    service_id: str
    name: str
    description: str = ""
    duration_minutes: int
    base_price_cents: int
    price_cents: int
    location_id: str | None = None
    price_overridden: bool = False
    bookable: bool = True
    active: bool = True
    crm_service_id: str | None = None

    def tenant_wide(self) -> CatalogService:
        """The service as stored for the whole tenant (no location price applied)."""
        return CatalogService(
            service_id=self.service_id,
            name=self.name,
            description=self.description,
            duration_minutes=self.duration_minutes,
            price_cents=self.base_price_cents,
            bookable=self.bookable,
            active=self.active,
            crm_service_id=self.crm_service_id,
        )

    def service_line(self) -> ServiceLine:
        """The service as a line of an appointment (the domain's value)."""
        return ServiceLine(
            service_id=self.service_id,
            name=self.name,
            duration_minutes=self.duration_minutes,
            price_cents=self.price_cents,
        )


class CatalogService(msgspec.Struct, frozen=True, kw_only=True):
    """A tenant-wide service as stored (no location price applied)."""

    service_id: str
    name: str
    description: str = ""
    duration_minutes: int
    price_cents: int
    bookable: bool = True
    active: bool = True
    crm_service_id: str | None = None


class CatalogSyncResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a catalog sync from the CRM changed, by service id."""

    added: list[str] = msgspec.field(default_factory=list)
    updated: list[str] = msgspec.field(default_factory=list)
    deactivated: list[str] = msgspec.field(default_factory=list)


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One configuration change: who made it, when, to what, and what changed.

    `changes` maps a field to `{"from": old, "to": new}`, or to "(changed)" for a secret.
    """

    seq: int
    at: datetime
    actor: str
    tenant_id: str | None
    action: str
    target: str
    changes: dict[str, object] = msgspec.field(default_factory=dict)


def merged_templates(base: TouchTemplates, own: TouchTemplate) -> TouchTemplates:
    """`base` with each part `own` sets replaced."""
    from leadorch.app.messages.templates import EmailTemplate, SmsTemplate, TouchTemplates

    return TouchTemplates(
        email=EmailTemplate(
            subject=own.email_subject if own.email_subject is not None else base.email.subject,
            text=own.email_text if own.email_text is not None else base.email.text,
            html=own.email_html if own.email_html is not None else base.email.html,
        ),
        sms=SmsTemplate(body=own.sms if own.sms is not None else base.sms.body),
    )


def _time_ranges(spans: Iterable[str]) -> tuple[tuple[time, time], ...]:
    ranges = []
    for span in spans:
        start, _, end = span.partition("-")
        ranges.append((time.fromisoformat(start), time.fromisoformat(end)))
    return tuple(ranges)
