"""The admin API (`/api/admin/...`): tenants, locations, the catalog and the configuration audit.

The same operations as the `leadorch tenants|locations|catalog` commands, through the same
`ConfigService`. Bodies are msgspec Structs, so the OpenAPI schema is exact. Secrets go in
(CRM credentials) but never come out: a tenant shows `crm_api_key_set: true`, and its API token is
returned once, when it is issued. Creating and listing tenants needs the operator's admin token;
everything else is also open to the tenant's own token, for its own tenant only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec
from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from leadorch.app.bootstrap import Container
from leadorch.app.config.errors import InvalidConfiguration
from leadorch.app.config.models import (
    DEFAULT_BOOKING_HORIZON_DAYS,
    AuditEntry,
    CatalogEntry,
    LocationConfig,
    PlannedTouchConfig,
    SendingWindowConfig,
    StaffAlert,
    TenantConfig,
    TouchTemplate,
)
from leadorch.app.config.service import ConfigService
from leadorch.app.http.auth import Principal, require_super_admin, super_admin, tenant_access
from leadorch.app.senders import refusal_for, senders_lacking

# -- bodies ---------------------------------------------------------------------------------------------


class TenantCreate(msgspec.Struct, frozen=True, kw_only=True):
    tenant_id: str
    name: str
    website_status_ids: list[str] = msgspec.field(default_factory=list)
    crm_api_key: str | None = None
    crm_webhook_secret: str | None = None


class TenantCreated(msgspec.Struct, frozen=True, kw_only=True):
    """The new tenant and its API token: shown this once, only its hash is stored."""

    tenant: TenantConfig
    api_token: str


class TenantUpdate(msgspec.Struct, frozen=True, kw_only=True):
    name: str | None = None
    website_status_ids: list[str] | None = None
    max_sms_segments: int | None = None
    catalog_generic_words: list[str] | None = None
    assistant_answers_messages: bool | None = None
    """Whether the assistant answers texts and emailed replies (false: staff answer from the inbox)."""
    live_conversation_minutes: int | None = None
    """An answer within this long of the customer's message goes at once; later ones keep quiet hours."""


class DemoMode(msgspec.Struct, frozen=True, kw_only=True):
    """`enabled: false` needs the admin token and `confirm` repeating the tenant's id."""

    enabled: bool
    confirm: str | None = None


class AllowedAddress(msgspec.Struct, frozen=True, kw_only=True):
    """An email address or a phone number that may receive messages in demo mode."""

    address: str


class CrmCredentials(msgspec.Struct, frozen=True, kw_only=True):
    """Either or both; a value left out is kept as it is."""

    api_key: str | None = None
    webhook_secret: str | None = None


class ApiTokenIssued(msgspec.Struct, frozen=True, kw_only=True):
    api_token: str


class Templates(msgspec.Struct, frozen=True, kw_only=True):
    """The tenant's own templates by touch number (replacing all previous ones; {} = defaults)."""

    templates: dict[int, TouchTemplate]


class TouchPlanBody(msgspec.Struct, frozen=True, kw_only=True):
    """The tenant's own touch plan; null restores the default 13-touch plan."""

    touches: list[PlannedTouchConfig] | None


class LocationCreate(msgspec.Struct, frozen=True, kw_only=True):
    location_id: str
    name: str
    crm_location_id: str
    time_zone: str
    phone: str | None = None
    address: str | None = None
    weekly_hours: dict[str, list[str]] = msgspec.field(default_factory=dict)
    window: SendingWindowConfig | None = None
    capacity: int = 1
    min_lead_minutes: int = 120
    slot_granularity_minutes: int = 30
    booking_horizon_days: int = DEFAULT_BOOKING_HORIZON_DAYS
    sms_from_number: str | None = None
    email_from: str | None = None


class LocationUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """Fields to change (left out = unchanged; "" clears phone, address, sms_from_number, email_from)."""

    name: str | None = None
    crm_location_id: str | None = None
    time_zone: str | None = None
    phone: str | None = None
    address: str | None = None
    capacity: int | None = None
    min_lead_minutes: int | None = None
    slot_granularity_minutes: int | None = None
    booking_horizon_days: int | None = None
    sms_from_number: str | None = None
    email_from: str | None = None
    # The bookable technicians' ShopMonkey user ids ([] lists none: capacity counts the bays).
    technician_ids: list[str] | None = None
    # Whether the assistant answers this shop's texts and emailed replies (the tenant's must be on too).
    assistant_answers_messages: bool | None = None


class WeeklyHours(msgspec.Struct, frozen=True, kw_only=True):
    """Day name -> "HH:MM-HH:MM" intervals; a day left out is closed."""

    weekly_hours: dict[str, list[str]]


class SpecialHours(msgspec.Struct, frozen=True, kw_only=True):
    """Hours for one date; no intervals = closed all day."""

    hours: list[str] = msgspec.field(default_factory=list)
    note: str = ""


class StaffContactBody(msgspec.Struct, frozen=True, kw_only=True):
    email: str | None = None
    phone: str | None = None
    alerts: list[StaffAlert] = msgspec.field(default_factory=list)


class LocationPrice(msgspec.Struct, frozen=True, kw_only=True):
    price_cents: int


# -- dependencies ---------------------------------------------------------------------------------------


def _config(container: NamedDependency[Container]) -> ConfigService:
    return container.config


_DEPENDENCIES = {
    "config": Provide(_config, sync_to_thread=False),
    "access": Provide(tenant_access, sync_to_thread=True),
    "admin": Provide(super_admin, sync_to_thread=True),
}


# -- tenants --------------------------------------------------------------------------------------------


class TenantsController(Controller):
    path = "/api/admin/tenants"
    tags = ["admin"]
    dependencies = _DEPENDENCIES

    @post("/", guards=[require_super_admin], status_code=HTTP_201_CREATED, sync_to_thread=True)
    def create(
        self,
        data: JSONBody[TenantCreate],
        admin: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> TenantCreated:
        """Create a tenant (demo mode on) and issue its API token."""
        created = config.create_tenant(
            data.tenant_id,
            name=data.name,
            website_status_ids=data.website_status_ids,
            crm_api_key=data.crm_api_key,
            crm_webhook_secret=data.crm_webhook_secret,
            actor=admin.actor,
        )
        return TenantCreated(tenant=created.tenant, api_token=created.api_token)

    @get("/", guards=[require_super_admin], sync_to_thread=True)
    def list_all(self, config: NamedDependency[ConfigService]) -> list[TenantConfig]:
        return config.tenants()

    @get("/{tenant_id:str}", sync_to_thread=True)
    def show(
        self,
        tenant_id: FromPath[str],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> TenantConfig:
        return config.tenant(tenant_id)

    @patch("/{tenant_id:str}", sync_to_thread=True)
    def update(
        self,
        tenant_id: FromPath[str],
        data: JSONBody[TenantUpdate],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> TenantConfig:
        return config.update_tenant(
            tenant_id,
            name=data.name,
            website_status_ids=data.website_status_ids,
            max_sms_segments=data.max_sms_segments,
            catalog_generic_words=data.catalog_generic_words,
            assistant_answers_messages=data.assistant_answers_messages,
            live_conversation_minutes=data.live_conversation_minutes,
            actor=access.actor,
        )

    @put("/{tenant_id:str}/demo-mode", sync_to_thread=True)
    def demo_mode(
        self,
        tenant_id: FromPath[str],
        data: JSONBody[DemoMode],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> TenantConfig:
        """Demo mode on: only allow-listed addresses get messages. Off (the operator's act, confirmed with
        the tenant's id; a tenant token gets 403): real customers do."""
        return config.set_demo_mode(
            tenant_id,
            data.enabled,
            actor=access.actor,
            by_operator=access.is_super_admin,
            confirm=data.confirm,
        )

    @post("/{tenant_id:str}/allow-list", status_code=HTTP_200_OK, sync_to_thread=True)
    def allow(
        self,
        tenant_id: FromPath[str],
        data: JSONBody[AllowedAddress],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> TenantConfig:
        return config.allow_address(tenant_id, data.address, actor=access.actor)

    @delete("/{tenant_id:str}/allow-list/{address:str}", status_code=HTTP_200_OK, sync_to_thread=True)
    def disallow(
        self,
        tenant_id: FromPath[str],
        address: FromPath[str],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> TenantConfig:
        return config.disallow_address(tenant_id, address, actor=access.actor)

    @put("/{tenant_id:str}/crm-credentials", sync_to_thread=True)
    def crm_credentials(
        self,
        tenant_id: FromPath[str],
        data: JSONBody[CrmCredentials],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> TenantConfig:
        """Store the ShopMonkey API key and/or webhook secret (encrypted; never returned)."""
        return config.set_crm_credentials(
            tenant_id, api_key=data.api_key, webhook_secret=data.webhook_secret, actor=access.actor
        )

    @post("/{tenant_id:str}/api-token", status_code=HTTP_201_CREATED, sync_to_thread=True)
    def rotate_token(
        self,
        tenant_id: FromPath[str],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> ApiTokenIssued:
        """Issue a new API token for the tenant; the previous one stops working."""
        return ApiTokenIssued(api_token=config.rotate_api_token(tenant_id, actor=access.actor))

    @put("/{tenant_id:str}/templates", sync_to_thread=True)
    def templates(
        self,
        tenant_id: FromPath[str],
        data: JSONBody[Templates],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> TenantConfig:
        return config.set_templates(tenant_id, data.templates, actor=access.actor)

    @put("/{tenant_id:str}/touch-plan", sync_to_thread=True)
    def touch_plan(
        self,
        tenant_id: FromPath[str],
        data: JSONBody[TouchPlanBody],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> TenantConfig:
        plan = None if data.touches is None else [msgspec.to_builtins(t) for t in data.touches]
        return config.set_touch_plan(tenant_id, plan, actor=access.actor)

    @get("/{tenant_id:str}/audit", sync_to_thread=True)
    def audit(
        self,
        tenant_id: FromPath[str],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        before_seq: Annotated[int | None, QueryParameter(ge=1)] = None,
    ) -> list[AuditEntry]:
        """The tenant's configuration changes, newest first (page with `before_seq`)."""
        return config.audit(tenant_id, limit=limit, before_seq=before_seq)

    @get("/{tenant_id:str}/catalog", sync_to_thread=True)
    def catalog(
        self,
        tenant_id: FromPath[str],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
        location_id: FromQuery[str | None] = None,
    ) -> list[CatalogEntry]:
        """The active services, with a location's effective prices when `location_id` is given."""
        return config.catalog(tenant_id, location_id)


# -- locations ------------------------------------------------------------------------------------------


class LocationsController(Controller):
    path = "/api/admin/tenants/{tenant_id:str}/locations"
    tags = ["admin"]
    dependencies = _DEPENDENCIES

    @post("/", status_code=HTTP_201_CREATED, sync_to_thread=True)
    def create(
        self,
        tenant_id: FromPath[str],
        data: JSONBody[LocationCreate],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
        container: NamedDependency[Container],
    ) -> LocationConfig:
        config.tenant(tenant_id)  # an unknown tenant is a 404 before anything else
        gaps = senders_lacking(data.sms_from_number, data.email_from, container.settings)
        if gaps:  # with real credentials, a location without a sender fails every message
            raise InvalidConfiguration(refusal_for(gaps, named=lambda gap: gap.field))
        return config.add_location(
            tenant_id,
            data.location_id,
            name=data.name,
            crm_location_id=data.crm_location_id,
            time_zone=data.time_zone,
            phone=data.phone,
            address=data.address,
            weekly_hours=data.weekly_hours,
            window=data.window,
            capacity=data.capacity,
            min_lead_minutes=data.min_lead_minutes,
            slot_granularity_minutes=data.slot_granularity_minutes,
            booking_horizon_days=data.booking_horizon_days,
            sms_from_number=data.sms_from_number,
            email_from=data.email_from,
            actor=access.actor,
        )

    @get("/", sync_to_thread=True)
    def list_all(
        self,
        tenant_id: FromPath[str],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> list[LocationConfig]:
        return config.locations(tenant_id)

    @get("/{location_id:str}", sync_to_thread=True)
    def show(
        self,
        tenant_id: FromPath[str],
        location_id: FromPath[str],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> LocationConfig:
        return config.location(tenant_id, location_id)

    @patch("/{location_id:str}", sync_to_thread=True)
    def update(
        self,
        tenant_id: FromPath[str],
        location_id: FromPath[str],
        data: JSONBody[LocationUpdate],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> LocationConfig:
        return config.update_location(
            tenant_id, location_id, actor=access.actor, **msgspec.structs.asdict(data)
        )

    @put("/{location_id:str}/hours", sync_to_thread=True)
    def hours(
        self,
        tenant_id: FromPath[str],
        location_id: FromPath[str],
        data: JSONBody[WeeklyHours],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> LocationConfig:
        return config.set_hours(tenant_id, location_id, data.weekly_hours, actor=access.actor)

    @put("/{location_id:str}/exceptions/{day:date}", sync_to_thread=True)
    def set_exception(
        self,
        tenant_id: FromPath[str],
        location_id: FromPath[str],
        day: FromPath[date],
        data: JSONBody[SpecialHours],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> LocationConfig:
        """Special hours for one date (a holiday: no hours = closed)."""
        return config.set_date_exception(
            tenant_id, location_id, day, data.hours, note=data.note, actor=access.actor
        )

    @delete("/{location_id:str}/exceptions/{day:date}", status_code=HTTP_200_OK, sync_to_thread=True)
    def remove_exception(
        self,
        tenant_id: FromPath[str],
        location_id: FromPath[str],
        day: FromPath[date],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> LocationConfig:
        return config.remove_date_exception(tenant_id, location_id, day, actor=access.actor)

    @put("/{location_id:str}/sending-window", sync_to_thread=True)
    def sending_window(
        self,
        tenant_id: FromPath[str],
        location_id: FromPath[str],
        data: JSONBody[SendingWindowConfig],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> LocationConfig:
        return config.set_sending_window(
            tenant_id, location_id, start=data.start, end=data.end, days=data.days, actor=access.actor
        )

    @put("/{location_id:str}/staff/{name:str}", sync_to_thread=True)
    def set_staff(
        self,
        tenant_id: FromPath[str],
        location_id: FromPath[str],
        name: FromPath[str],
        data: JSONBody[StaffContactBody],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> LocationConfig:
        """Add the staff contact `name`, or replace the one with that name."""
        return config.set_staff_contact(
            tenant_id,
            location_id,
            name=name,
            email=data.email,
            phone=data.phone,
            alerts=data.alerts,
            actor=access.actor,
        )

    @delete("/{location_id:str}/staff/{name:str}", status_code=HTTP_200_OK, sync_to_thread=True)
    def remove_staff(
        self,
        tenant_id: FromPath[str],
        location_id: FromPath[str],
        name: FromPath[str],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> LocationConfig:
        return config.remove_staff_contact(tenant_id, location_id, name, actor=access.actor)

    @put("/{location_id:str}/prices/{service_id:str}", sync_to_thread=True)
    def set_price(
        self,
        tenant_id: FromPath[str],
        location_id: FromPath[str],
        service_id: FromPath[str],
        data: JSONBody[LocationPrice],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> CatalogEntry:
        """The location's own price for a service (overrides the tenant-wide price)."""
        return config.set_location_price(
            tenant_id, location_id, service_id, data.price_cents, actor=access.actor
        )

    @delete("/{location_id:str}/prices/{service_id:str}", status_code=HTTP_200_OK, sync_to_thread=True)
    def clear_price(
        self,
        tenant_id: FromPath[str],
        location_id: FromPath[str],
        service_id: FromPath[str],
        access: NamedDependency[Principal],
        config: NamedDependency[ConfigService],
    ) -> CatalogEntry:
        """Remove the location's own price: the tenant-wide price applies again."""
        return config.set_location_price(tenant_id, location_id, service_id, None, actor=access.actor)


# -- operator-wide --------------------------------------------------------------------------------------


@get(
    "/api/admin/audit",
    guards=[require_super_admin],
    dependencies={"config": Provide(_config, sync_to_thread=False)},
    sync_to_thread=True,
    tags=["admin"],
)
def audit_all(
    config: NamedDependency[ConfigService],
    limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    before_seq: Annotated[int | None, QueryParameter(ge=1)] = None,
) -> list[AuditEntry]:
    """Every configuration change, all tenants, newest first."""
    return config.audit(None, limit=limit, before_seq=before_seq)
