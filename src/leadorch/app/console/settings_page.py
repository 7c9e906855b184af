"""The settings page: a tenant's and its locations' configuration as forms, with any errors in place.

Each form has a key (`tenant`, `location:<id>`, `hours:<id>`, `window:<id>`, `prices:<id>`,
`template:<n>`, `allow`); after a refused submission the page is built again with that form's errors
(field → message) and the values the person typed, so nothing they wrote is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from leadorch.app.config.hours import DAY_NAMES, format_weekly_hours
from leadorch.app.config.models import LocationConfig, TenantConfig
from leadorch.app.console import display
from leadorch.app.inbound_parse import InboundParseSetup, inbound_parse_setup

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

# Monday first, as the hours are written.
WEEK: tuple[str, ...] = (*DAY_NAMES[1:], DAY_NAMES[0])

FormErrors = dict[str, dict[str, str]]  # form key -> field -> message
FormValues = dict[str, dict[str, Any]]  # form key -> field -> what was typed


@dataclass(frozen=True)
class PriceRow:
    service_id: str
    name: str
    base_price: str
    price_field: str
    overridden: bool


@dataclass(frozen=True)
class LocationSettings:
    location: LocationConfig
    hours_text: str
    prices: list[PriceRow]


@dataclass(frozen=True)
class TemplateSettings:
    touch_number: int
    day: int
    channels: str
    customised: bool
    email_subject: str
    email_text: str
    email_html: str
    sms: str


@dataclass(frozen=True)
class SettingsPage:
    tenant: TenantConfig
    locations: list[LocationSettings]
    templates: list[TemplateSettings]
    inbound_parse: InboundParseSetup | None = None
    week: tuple[str, ...] = WEEK
    errors: FormErrors = field(default_factory=dict)
    values: FormValues = field(default_factory=dict)

    def error(self, form: str, name: str) -> str | None:
        """The message to show next to field `name` of form `form`, if it was refused."""
        return self.errors.get(form, {}).get(name)

    def value(self, form: str, name: str, default: Any) -> Any:
        """What the person typed into the field (after a refused submission), else the saved value."""
        return self.values.get(form, {}).get(name, default)


def build_settings_page(
    container: Container,
    tenant_id: str,
    *,
    errors: FormErrors | None = None,
    values: FormValues | None = None,
    reveal_key: bool = False,
) -> SettingsPage:
    """`reveal_key`: show the Inbound Parse URL's key (the operator only: see `app/inbound_parse.py`)."""
    config = container.config
    tenant = config.tenant(tenant_id)
    locations = []
    for location in config.locations(tenant_id):
        prices = [
            PriceRow(
                service_id=entry.service_id,
                name=entry.name,
                base_price=display.money(entry.base_price_cents),
                price_field=display.dollars_field(entry.price_cents) if entry.price_overridden else "",
                overridden=entry.price_overridden,
            )
            for entry in config.catalog(tenant_id, location.location_id)
        ]
        locations.append(LocationSettings(location, format_weekly_hours(location.weekly_hours), prices))
    templates = []
    for touch in tenant.touch_plan().touches:
        effective = tenant.templates_for(touch.number)
        templates.append(
            TemplateSettings(
                touch_number=touch.number,
                day=touch.day,
                channels=" + ".join(sorted(str(channel) for channel in touch.channels)),
                customised=touch.number in tenant.templates,
                email_subject=effective.email.subject,
                email_text=effective.email.text,
                email_html=effective.email.html,
                sms=effective.sms.body,
            )
        )
    return SettingsPage(
        tenant=tenant,
        locations=locations,
        templates=templates,
        inbound_parse=inbound_parse_setup(container, tenant_id, reveal_key=reveal_key),
        errors=errors or {},
        values=values or {},
    )
