"""Who a location's messages come from: its own senders, else the deployment's defaults.

Real Twilio refuses a text with no sender ("A 'From' phone number is required"), so with real Twilio
credentials a location without one would fail every text; real SendGrid only sends from a verified
sender or an authenticated domain, which `leads@<public host>` seldom is. So once a provider's
credentials are set, each location needs a sender on it: for SMS its own number (`--sms-from`), else the
deployment's Messaging Service (LEADORCH_DEFAULT_MESSAGING_SERVICE_SID, which picks a number from its
pool) or number (LEADORCH_DEFAULT_SMS_FROM); for email its own address (`--email-from`), else
LEADORCH_DEFAULT_EMAIL_FROM. `locations add` refuses a location without one, `serve` and `worker`
refuse to start (`check_location_senders`), and `/ready` names it (`missing_senders`).

Without credentials (the stand-ins, the embedded demo) nothing is required: the stand-in's number and
`leads@<public host>` stand in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from leadorch.app.config.models import LocationConfig
from leadorch.app.settings import ENV_NAMES, Settings, SettingsError

if TYPE_CHECKING:
    from leadorch.app.config.service import ConfigService

SMS_DEFAULTS = f"{ENV_NAMES['default_sms_from']} or {ENV_NAMES['default_messaging_service_sid']}"
EMAIL_DEFAULT = ENV_NAMES["default_email_from"]


@dataclass(frozen=True)
class Senders:
    """One location's senders, defaults applied: at most one of the two SMS senders is set."""

    sms_from_number: str | None
    messaging_service_sid: str | None
    email_from: str


@dataclass(frozen=True)
class MissingSender:
    """A sender a location lacks while the provider's real credentials are set."""

    channel: str  # "sms" | "email"
    flag: str  # the `locations add/update` option that sets it
    field: str  # the location's field (admin API) that sets it
    defaults: str  # the settings that would cover every location
    credentials: str  # the setting that makes it needed

    def describe(self, location: LocationConfig) -> str:
        what = "SMS" if self.channel == "sms" else "email"
        return (
            f"location {location.tenant_id}/{location.location_id} has no {what} sender: set it with "
            f"`leadorch locations update {location.tenant_id} {location.location_id} {self.flag} …`, "
            f"or set {self.defaults}"
        )


SMS_SENDER = MissingSender(
    channel="sms",
    flag="--sms-from",
    field="sms_from_number",
    defaults=SMS_DEFAULTS,
    credentials=ENV_NAMES["twilio_account_sid"],
)
EMAIL_SENDER = MissingSender(
    channel="email",
    flag="--email-from",
    field="email_from",
    defaults=EMAIL_DEFAULT,
    credentials=ENV_NAMES["sendgrid_api_key"],
)


def senders_for(location: LocationConfig, settings: Settings) -> Senders:
    """The location's own senders, else the deployment's; the email falls back to `leads@<public host>`."""
    defaults = deployment_senders(settings)
    return Senders(
        sms_from_number=location.sms_from_number or defaults.sms_from_number,
        messaging_service_sid=None if location.sms_from_number else defaults.messaging_service_sid,
        email_from=location.email_from or defaults.email_from,
    )


def deployment_senders(settings: Settings) -> Senders:
    """The deployment's default senders: the Messaging Service before the number (it picks from its
    pool); the email falls back to `leads@<public host>`. What the operator's alerts come from."""
    service_sid = settings.default_messaging_service_sid
    return Senders(
        sms_from_number=None if service_sid else settings.default_sms_from,
        messaging_service_sid=service_sid,
        email_from=settings.default_email_from or fallback_email_sender(settings.public_base_url),
    )


def fallback_email_sender(public_base_url: str) -> str:
    """The From address when nothing is configured (stand-ins only): `leads@` the deployment's host."""
    host = urlsplit(public_base_url).hostname or "localhost"
    return f"leads@{host if '.' in host else host + '.invalid'}"


def sends_real_sms(settings: Settings) -> bool:
    return bool(settings.twilio_account_sid and settings.twilio_auth_token)


def sends_real_email(settings: Settings) -> bool:
    return bool(settings.sendgrid_api_key)


def missing_senders(location: LocationConfig, settings: Settings) -> list[MissingSender]:
    """The senders `location` lacks for the providers whose credentials are set (none without any)."""
    return senders_lacking(location.sms_from_number, location.email_from, settings)


def senders_lacking(sms_from: str | None, email_from: str | None, settings: Settings) -> list[MissingSender]:
    """The senders a location with these own senders would lack (before it exists: `locations add`)."""
    missing = []
    if sends_real_sms(settings) and not (
        sms_from or settings.default_sms_from or settings.default_messaging_service_sid
    ):
        missing.append(SMS_SENDER)
    if sends_real_email(settings) and not (email_from or settings.default_email_from):
        missing.append(EMAIL_SENDER)
    return missing


def refusal_for(gaps: list[MissingSender], *, named: Callable[[MissingSender], str]) -> str:
    """One line saying which senders a new location needs and why (`named` picks flag or field)."""
    names = " and ".join(named(gap) for gap in gaps)
    reasons = "; ".join(f"{gap.credentials} is set and {gap.defaults} is not" for gap in gaps)
    return f"{names} required ({reasons}): messages would have no sender"


def every_location(config: ConfigService) -> list[LocationConfig]:
    """Every location of every tenant."""
    return [location for tenant in config.tenants() for location in config.locations(tenant.tenant_id)]


def locations_without_senders(locations: Iterable[LocationConfig], settings: Settings) -> list[str]:
    """One line per sender a location lacks, e.g. for `/ready`."""
    return [gap.describe(location) for location in locations for gap in missing_senders(location, settings)]


def check_location_senders(locations: Iterable[LocationConfig], settings: Settings) -> None:
    """Refuse to start sending while a location has no sender for a provider with real credentials."""
    gaps = locations_without_senders(locations, settings)
    if gaps:
        more = f" (and {len(gaps) - 1} more)" if len(gaps) > 1 else ""
        raise SettingsError(gaps[0] + more)
