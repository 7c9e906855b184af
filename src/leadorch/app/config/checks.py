"""Whole-value checks the configuration service applies before anything is saved.

`validation` checks single fields; these check a whole location, window or contact (each field, then
the domain's own rules through its value objects) and the tenant's credentials, returning the value
normalised, or raising `InvalidConfiguration` naming what is wrong.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

import msgspec

from leadorch.app.config import hours, validation
from leadorch.app.config.errors import InvalidConfiguration
from leadorch.app.config.models import STAFF_ALERTS, LocationConfig, SendingWindowConfig, StaffContact
from leadorch.domain.cadence import SendingWindow
from leadorch.domain.errors import InvalidValue

WEBHOOK_SECRET_PREFIX = "whsec_"


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidConfiguration(f"{name} must be true or false, not {value!r}")
    return value


def checked_location(location: LocationConfig) -> LocationConfig:
    """`location` with every field checked and normalised (the whole location, after any edit)."""
    checked = msgspec.structs.replace(
        location,
        name=validation.text(location.name, "location name"),
        crm_location_id=validation.text(location.crm_location_id, "CRM location id", max_length=100),
        time_zone=validation.time_zone(location.time_zone),
        phone=None if location.phone is None else validation.phone(location.phone, "location phone"),
        address=None
        if location.address is None
        else validation.text(location.address, "location address", max_length=300),
        weekly_hours=hours.weekly_hours(location.weekly_hours),
        window=checked_window(location.window),
        capacity=validation.whole_number(location.capacity, "capacity (bays)", minimum=1, maximum=100),
        technician_ids=technician_ids(location.technician_ids),
        min_lead_minutes=validation.whole_number(
            location.min_lead_minutes, "minimum lead time in minutes", minimum=0, maximum=60 * 24 * 30
        ),
        slot_granularity_minutes=slot_granularity(location.slot_granularity_minutes),
        booking_horizon_days=validation.whole_number(
            location.booking_horizon_days, "booking horizon in days", minimum=1, maximum=365
        ),
        assistant_answers_messages=_flag(
            location.assistant_answers_messages, "whether the assistant answers texts and emails"
        ),
        sms_from_number=None
        if location.sms_from_number is None
        else validation.phone(location.sms_from_number, "SMS sender number"),
        email_from=None
        if location.email_from is None
        else validation.email(location.email_from, "sender email"),
    )
    try:
        checked.business_hours()
    except InvalidValue as error:
        raise InvalidConfiguration(str(error)) from None
    return checked


def technician_ids(ids: object) -> list[str]:
    """Bookable technicians' CRM user ids: each once, in the given order (the first free one is booked)."""
    if isinstance(ids, str) or not isinstance(ids, list | tuple):
        raise InvalidConfiguration("technician ids must be a list of CRM user ids")
    checked = [validation.text(ident, "technician id", max_length=100) for ident in ids]
    if len(checked) > 100:
        raise InvalidConfiguration("at most 100 technicians per location")
    return list(dict.fromkeys(checked))


def checked_window(window: SendingWindowConfig) -> SendingWindowConfig:
    """A sending window the domain accepts (inside 08:00–21:00, start before end, some day), normalised."""
    start = validation.clock_time(window.start, "sending window start")
    end = validation.clock_time(window.end, "sending window end")
    days = hours.days(window.days, "sending window days")
    try:
        SendingWindow(start=start, end=end, days=frozenset(hours.day_index(d) for d in days))
    except InvalidValue as error:
        raise InvalidConfiguration(str(error)) from None
    return SendingWindowConfig(start=f"{start:%H:%M}", end=f"{end:%H:%M}", days=days)


def slot_granularity(minutes: int) -> int:
    """Slot starts every `minutes`: 5 to 240, dividing a day so the grid is the same every day."""
    validation.whole_number(minutes, "slot granularity in minutes", minimum=5, maximum=240)
    if (24 * 60) % minutes:
        raise InvalidConfiguration(
            f"slot granularity must divide a day evenly (e.g. 15, 30, 60), not {minutes}"
        )
    return minutes


def staff_contact(name: str, email: str | None, phone: str | None, alerts: Sequence[str]) -> StaffContact:
    """A contact who can be reached (an email and/or a phone) about known alerts."""
    checked_name = validation.text(name, "staff name")
    if not email and not phone:
        raise InvalidConfiguration(f"staff contact {checked_name!r} needs an email address or a phone number")
    wanted = []
    for alert in alerts:
        if alert not in STAFF_ALERTS:
            raise InvalidConfiguration(f"alert {alert!r} is not one of {', '.join(STAFF_ALERTS)}")
        if alert not in wanted:
            wanted.append(alert)
    return StaffContact(
        name=checked_name,
        email=validation.email(email, "staff email") if email else None,
        phone=validation.phone(phone, "staff phone") if phone else None,
        alerts=sorted(wanted),  # type: ignore[arg-type]
    )


def status_ids(values: Sequence[str]) -> list[str]:
    """CRM workflow status ids, de-duplicated in the order given."""
    if isinstance(values, str):
        values = [values]
    checked: list[str] = []
    for value in values:
        status = validation.text(value, "website workflow status id", max_length=100)
        if status not in checked:
            checked.append(status)
    return checked


def catalog_words(values: Sequence[str]) -> list[str]:
    """Words of service names, lower-case letters and digits only, de-duplicated in the order given."""
    if isinstance(values, str):
        values = [values]
    checked: list[str] = []
    for value in values:
        word = validation.text(value, "catalog generic word", max_length=50).lower()
        if not word.isalnum():
            raise InvalidConfiguration(
                f"catalog generic word {value!r} must be one word of letters or digits"
            )
        if word not in checked:
            checked.append(word)
    if len(checked) > 200:
        raise InvalidConfiguration(f"at most 200 catalog generic words, not {len(checked)}")
    return checked


def service_id(value: str) -> str:
    """A catalog id: the CRM's canned-service id, or an operator's own (no spaces)."""
    checked = validation.text(value, "service id", max_length=100)
    if any(ch.isspace() for ch in checked):
        raise InvalidConfiguration(f"service id {value!r} must not contain spaces")
    return checked


def crm_api_key(value: str) -> str:
    """An API key as pasted: one token, no whitespace inside (a stray line break breaks every call)."""
    key = validation.text(value, "CRM API key", max_length=4096)
    if any(ch.isspace() for ch in key):
        raise InvalidConfiguration("CRM API key must not contain spaces or line breaks")
    return key


def webhook_secret(value: str) -> str:
    """A Standard Webhooks signing secret as ShopMonkey shows it: `whsec_` then base64."""
    secret = validation.text(value, "webhook secret", max_length=512)
    encoded = secret.removeprefix(WEBHOOK_SECRET_PREFIX)
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if not secret.startswith(WEBHOOK_SECRET_PREFIX) or len(decoded) < 16:
        raise InvalidConfiguration(
            "webhook secret must be the whsec_… signing secret ShopMonkey shows for the webhook"
        )
    return secret
