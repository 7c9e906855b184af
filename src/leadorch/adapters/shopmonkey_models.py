"""ShopMonkey v3 wire models and their translation into the CRM port's value types.

The models accept unknown fields (ShopMonkey adds fields without a version change) and nulls where
ShopMonkey sends them, but the fields the lead rule depends on are required with their exact type:
a renamed or retyped field must fail loudly (as `msgspec.ValidationError`, naming the JSON path)
rather than silently look like a fresh lead. The webhook parser reuses `WireOrder`: webhook rows are
REST rows.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import msgspec
import phonenumbers

from leadorch.ports.crm import (
    CalendarEntry,
    CrmAppointment,
    CrmAppointmentRequest,
    CrmConsentRecord,
    CrmCustomer,
    CrmOrder,
    CrmService,
    CrmVehicle,
)

T = TypeVar("T")


class WireMeta(msgspec.Struct, rename="camel"):
    total: int | None = None
    has_more: bool = False


class Envelope(msgspec.Struct, Generic[T]):
    """Every ShopMonkey answer: `{"success": …, "data": …, "meta": …}`."""

    success: bool
    data: T
    meta: WireMeta | None = None


class ErrorEnvelope(msgspec.Struct):
    success: bool | None = None
    message: str | None = None
    code: str | None = None


class WireOrder(msgspec.Struct, rename="camel"):
    id: str
    location_id: str
    company_id: str
    customer_id: str | None
    vehicle_id: str | None
    workflow_status_id: str | None
    status: str
    authorized: bool
    message_count: int
    appointment_dates: list[str]
    invoiced: bool
    paid: bool
    created_date: datetime
    updated_date: datetime
    name: str | None = None
    complaint: str | None = None
    number: int | None = None
    generated_vehicle_name: str | None = None
    email_id: str | None = None
    phone_number_id: str | None = None


class WireEmail(msgspec.Struct, rename="camel"):
    id: str | None = None
    email: str | None = None
    primary: bool | None = None
    subscribed: bool | None = None


class WirePhoneNumber(msgspec.Struct, rename="camel"):
    id: str | None = None
    number: str | None = None
    # `Mobile` | `Landline` | `VoIP` | `Other`
    type: str | None = None
    primary: bool | None = None
    # The number's consent to automatic texts (phone numbers have no `subscribed` flag).
    opt_in: bool | None = None
    opt_in_verified_date: str | None = None


class WireCustomer(msgspec.Struct, rename="camel"):
    id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    emails: list[WireEmail] | None = None
    phone_numbers: list[WirePhoneNumber] | None = None
    marketing_opt_in: bool | None = None
    preferred_contact_method: str | None = None


class WireVehicle(msgspec.Struct, rename="camel"):
    id: str
    year: int | None = None
    make: str | None = None
    model: str | None = None
    submodel: str | None = None


class WireLabor(msgspec.Struct, rename="camel"):
    hours: float | None = None


class WireCannedService(msgspec.Struct, rename="camel"):
    id: str
    name: str
    total_cents: int
    bookable: bool
    deleted: bool = False
    location_id: str | None = None
    labors: list[WireLabor] | None = None


class WireTechnician(msgspec.Struct, rename="camel"):
    id: str
    first_name: str | None = None
    last_name: str | None = None


class WireAppointment(msgspec.Struct, rename="camel"):
    id: str
    start_date: datetime
    end_date: datetime
    name: str | None = None
    order_id: str | None = None
    customer_id: str | None = None
    vehicle_id: str | None = None
    location_id: str | None = None
    note: str | None = None
    confirmation_status: str | None = None
    confirmed: bool | None = None
    pending_confirmation: bool | None = None
    technician_ids: list[str] | None = None
    metadata: dict[str, Any] | None = None
    # The hydrated list's relation (the bare row carries only `technicianIds`).
    technicians: list[WireTechnician] | None = None
    recurring: bool | None = None
    created_date: datetime | None = None
    updated_date: datetime | None = None
    # The schema documents `cancellationNote`; rows have been seen with `cancelationNote`: read both.
    cancellation_note: str | None = None
    cancelation_note: str | None = None


# The name consent evidence read from ShopMonkey carries.
CONSENT_SOURCE = "shopmonkey"


class WireLocation(msgspec.Struct, rename="camel"):
    id: str
    name: str | None = None


class WireWebhook(msgspec.Struct, rename="camel"):
    id: str
    name: str | None = None
    url: str | None = None
    enabled: bool = False
    error: bool = False
    error_message: str | None = None
    error_date: datetime | None = None


# Where our own appointment id travels in an appointment's free `metadata`.
OUR_ID_KEY = "leadorchAppointmentId"
# ShopMonkey's `confirmationStatus` values, in the port's words.
CONFIRMATION_STATUSES = {"Confirmed": "confirmed", "Declined": "declined", "NoResponse": "no_response"}


def order_from_wire(row: WireOrder) -> CrmOrder:
    return CrmOrder(
        id=row.id,
        location_id=row.location_id,
        company_id=row.company_id,
        customer_id=row.customer_id,
        vehicle_id=row.vehicle_id,
        workflow_status_id=row.workflow_status_id,
        status=row.status,
        authorized=row.authorized,
        message_count=row.message_count,
        name=row.name,
        appointment_dates=list(row.appointment_dates),
        invoiced=row.invoiced,
        paid=row.paid,
        created_date=row.created_date,
        updated_date=row.updated_date,
        complaint=row.complaint,
        number=row.number,
        generated_vehicle_name=row.generated_vehicle_name,
        email_id=row.email_id,
        phone_number_id=row.phone_number_id,
    )


def customer_from_wire(
    row: WireCustomer, region: str, *, email_id: str | None = None, phone_number_id: str | None = None
) -> CrmCustomer:
    """The customer's contact for one order: the order's `emailId` / `phoneNumberId` when set, else the
    customer's primary (a mobile first, for the phone), with the fields each consent flag was read from."""
    email = _pick_email(row, email_id)
    phone = _pick_phone(row, region, phone_number_id)
    preferences = {
        "preferredContactMethod": row.preferred_contact_method,
        "marketingOptIn": row.marketing_opt_in,
    }
    return CrmCustomer(
        id=row.id,
        first_name=_clean(row.first_name),
        last_name=_clean(row.last_name),
        email=email.address if email else None,
        phone=phone.address if phone else None,
        # Email: the address's `subscribed`. SMS: the number's `optIn`, and never a landline. A missing
        # flag is read as "no": consent is never assumed.
        email_subscribed=bool(email and email.consents),
        sms_subscribed=bool(phone and phone.consents),
        preferred_contact_method=row.preferred_contact_method,
        marketing_opt_in=row.marketing_opt_in,
        email_consent_record=CrmConsentRecord(
            source=CONSENT_SOURCE, fields={**(email.fields if email else {"emails": None}), **preferences}
        ),
        sms_consent_record=CrmConsentRecord(
            source=CONSENT_SOURCE,
            fields={**(phone.fields if phone else {"phoneNumbers": None}), **preferences},
            verified_at=phone.verified_at if phone else None,
        ),
    )


def vehicle_from_wire(row: WireVehicle) -> CrmVehicle:
    return CrmVehicle(
        id=row.id,
        year=row.year,
        make=_clean(row.make),
        model=_clean(row.model),
        submodel=_clean(row.submodel),
    )


def service_from_wire(row: WireCannedService) -> CrmService:
    hours = sum(labor.hours or 0.0 for labor in row.labors or [])
    # Round away float noise (1.1 h is 66.00000000000001 min) before rounding up to the quarter hour.
    minutes = round(hours * 60, 6)
    return CrmService(
        id=row.id,
        name=row.name,
        price_cents=row.total_cents,
        duration_minutes=max(0, math.ceil(minutes / 15) * 15),
        bookable=row.bookable,
        deleted=row.deleted,
        location_id=row.location_id,
    )


def appointment_from_wire(row: WireAppointment) -> CrmAppointment:
    return CrmAppointment(
        id=row.id,
        start=row.start_date,
        end=row.end_date,
        name=row.name,
        order_id=row.order_id,
        customer_id=row.customer_id,
        vehicle_id=row.vehicle_id,
        location_id=row.location_id,
        note=row.note,
        confirmation_status=row.confirmation_status,
        confirmed=row.confirmed,
        pending_confirmation=row.pending_confirmation,
        technician_ids=tuple(row.technician_ids or ()),
        our_id=_our_id(row.metadata),
        confirmation=CONFIRMATION_STATUSES.get(row.confirmation_status or ""),
        cancelled=bool(row.cancellation_note or row.cancelation_note),
        # A row never updated has `updatedDate: null` (the create's answer, its INSERT webhook): its
        # version is its creation, so a late echo of the create is still known as older than an update.
        updated_date=row.updated_date or row.created_date,
    )


def calendar_entry_from_wire(row: WireAppointment) -> CalendarEntry:
    """One occurrence on the calendar; its technicians from `technicianIds` and the hydrated
    `technicians[]` together (either may be missing, depending on the surface that answered)."""
    technicians = [*(row.technician_ids or ()), *(t.id for t in row.technicians or ())]
    return CalendarEntry(
        id=row.id,
        start=row.start_date,
        end=row.end_date,
        technician_ids=tuple(sorted(set(technicians))),
        recurring=bool(row.recurring),
        our_id=_our_id(row.metadata),
        name=row.name,
    )


def _our_id(metadata: dict[str, Any] | None) -> str | None:
    value = (metadata or {}).get(OUR_ID_KEY)
    return value if isinstance(value, str) and value else None


def appointment_body(request: CrmAppointmentRequest) -> dict[str, Any]:
    """The `POST /v3/appointment` / `PUT /v3/appointment/{id}` body; empty optional fields are left out."""
    body: dict[str, Any] = {"customerId": request.customer_id, "vehicleId": request.vehicle_id}
    if request.order_id:
        body["orderId"] = request.order_id
    if request.location_id:
        body["locationId"] = request.location_id
    body |= {
        "startDate": wire_datetime(request.start),
        "endDate": wire_datetime(request.end),
        "allDay": False,
        "name": request.name,
        "color": request.color,  # required by ShopMonkey, so always sent
    }
    if request.note:
        body["note"] = request.note
    if request.technician_ids:
        # An array: a singular `technicianId` is accepted with 200 and dropped ("Unassigned").
        body["technicianIds"] = list(request.technician_ids)
    # We send our own confirmation and reminder: ShopMonkey's would make the customer get two of each.
    body |= {"sendConfirmation": False, "sendReminder": False, "useEmail": False, "useSMS": False}
    if request.our_id:
        body["metadata"] = {OUR_ID_KEY: request.our_id}
    return body


def local_wire_datetime(moment: datetime) -> str:
    """`search_replacement`'s form: the local wall-clock time with its offset (`2026-11-24T00:00:00-08:00`)."""
    if moment.tzinfo is None:
        raise ValueError("calendar bounds must be timezone-aware")
    return moment.replace(microsecond=0).isoformat()


def wire_datetime(moment: datetime) -> str:
    """ShopMonkey's timestamp form: UTC with milliseconds and a `Z` (`2026-11-24T17:00:00.000Z`)."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _clean(text: str | None) -> str | None:
    stripped = (text or "").strip()
    return stripped or None


class _Chosen(msgspec.Struct, frozen=True):
    """The address chosen for a channel, whether its own flag consents, and the fields that say so."""

    address: str
    consents: bool
    fields: dict[str, str | bool | int | None]
    verified_at: datetime | None = None


def _pick_email(row: WireCustomer, email_id: str | None = None) -> _Chosen | None:
    """The order's email, else primary, else the first subscribed one, else the first; blanks and
    non-addresses skipped."""
    usable = [
        (address, index, entry)
        for index, entry in enumerate(row.emails or [])
        if (address := _normal_email(entry.email))
    ]
    chosen = (
        next((item for item in usable if email_id and item[2].id == email_id), None)
        or next((item for item in usable if item[2].primary), None)
        or next((item for item in usable if item[2].subscribed), None)
        or next(iter(usable), None)
    )
    if chosen:
        address, index, entry = chosen
        fields: dict[str, str | bool | int | None] = {
            f"emails[{index}].id": entry.id,
            f"emails[{index}].primary": entry.primary,
            f"emails[{index}].subscribed": entry.subscribed,
        }
        if email_id:
            fields["order.emailId"] = email_id
        return _Chosen(address, bool(entry.subscribed), fields)
    # Older records keep the address in the top-level field; nothing says it was subscribed.
    legacy = _normal_email(row.email)
    return _Chosen(legacy, False, {"email": "(set)", "emails": None}) if legacy else None


def _normal_email(raw: str | None) -> str | None:
    address = (raw or "").strip().lower()
    return address if "@" in address.strip("@") else None


def _pick_phone(row: WireCustomer, region: str, phone_number_id: str | None = None) -> _Chosen | None:
    """The order's number, else primary mobile, else the first mobile, else the primary, else the first:
    the first that is valid. Its consent to texts is its `optIn`, never for a landline."""
    entries = list(enumerate(row.phone_numbers or []))

    def rank(item: tuple[int, WirePhoneNumber]) -> int:
        entry = item[1]
        if phone_number_id and entry.id == phone_number_id:
            return -1
        mobile = (entry.type or "").lower() == "mobile"
        return (0 if mobile else 2) + (0 if entry.primary else 1)

    for index, entry in sorted(entries, key=rank):  # sorted() is stable: ties keep ShopMonkey's order
        normal = _e164(entry.number, region)
        if normal:
            fields: dict[str, str | bool | int | None] = {
                f"phoneNumbers[{index}].id": entry.id,
                f"phoneNumbers[{index}].type": entry.type,
                f"phoneNumbers[{index}].primary": entry.primary,
                f"phoneNumbers[{index}].optIn": entry.opt_in,
                f"phoneNumbers[{index}].optInVerifiedDate": entry.opt_in_verified_date,
            }
            if phone_number_id:
                fields["order.phoneNumberId"] = phone_number_id
            consents = entry.opt_in is True and (entry.type or "").lower() != "landline"
            return _Chosen(normal, consents, fields, _instant_or_none(entry.opt_in_verified_date))
    legacy = _e164(row.phone, region)
    return _Chosen(legacy, False, {"phone": "(set)", "phoneNumbers": None}) if legacy else None


def _instant_or_none(text: str | None) -> datetime | None:
    """A ShopMonkey timestamp, or None when it is missing or unreadable (evidence, never a rule)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _e164(raw: str | None, region: str) -> str | None:
    if not raw or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
