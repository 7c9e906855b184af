"""The configuration use cases, shared by the admin CLI and the admin HTTP API.

Each operation checks what the operator gave (clear `InvalidConfiguration` messages), builds the new
state, and saves it through the repository with an audit row naming the actor and what changed.
Edits are read-modify-write with optimistic concurrency: a lost race re-reads and re-applies the
edit a few times before giving up with `ConcurrentEdit`. An edit that changes nothing writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from secrets import token_urlsafe
from typing import Any

import msgspec

from leadorch.app.config import checks, hours, validation
from leadorch.app.config.changes import field_changes, secret_changes
from leadorch.app.config.errors import ConcurrentEdit, InvalidConfiguration
from leadorch.app.config.models import (
    AuditEntry,
    CatalogEntry,
    CatalogService,
    CatalogSyncResult,
    DateException,
    LocationConfig,
    PlannedTouchConfig,
    SendingWindowConfig,
    TenantConfig,
    TouchTemplate,
)
from leadorch.app.config.repository import AuditRecord, ConfigRepository, CrmCredentials
from leadorch.app.config.template_check import check_templates
from leadorch.domain.cadence import TouchPlan
from leadorch.domain.errors import InvalidValue
from leadorch.ports.crm import CrmService

_EDIT_ATTEMPTS = 4


@dataclass(frozen=True)
class NewTenant:
    """A tenant just created, with its API token: shown this once, only its hash is kept."""

    tenant: TenantConfig
    api_token: str


def new_api_token() -> str:
    """A fresh tenant API token (256 random bits)."""
    return "lot_" + token_urlsafe(32)


class ConfigService:
    """Validated configuration changes, each audited; plus the reads the admin surfaces show."""

    def __init__(self, repository: ConfigRepository) -> None:
        self.repository = repository

    # -- reads ---------------------------------------------------------------------------------------

    def tenant(self, tenant_id: str) -> TenantConfig:
        return self.repository.tenant(tenant_id)

    def tenants(self) -> list[TenantConfig]:
        return self.repository.tenants()

    def tenant_id_for_token(self, token: str) -> str | None:
        return self.repository.tenant_id_for_token(token)

    def crm_credentials(self, tenant_id: str) -> CrmCredentials:
        return self.repository.crm_credentials(tenant_id)

    def location(self, tenant_id: str, location_id: str) -> LocationConfig:
        return self.repository.location(tenant_id, location_id)

    def locations(self, tenant_id: str) -> list[LocationConfig]:
        self.repository.tenant(tenant_id)
        return self.repository.locations(tenant_id)

    def catalog(self, tenant_id: str, location_id: str | None = None) -> list[CatalogEntry]:
        """The tenant's active services, with the location's effective prices when one is named."""
        self.repository.tenant(tenant_id)
        if location_id is not None:
            self.repository.location(tenant_id, location_id)
        return self.repository.catalog(tenant_id, location_id)

    def audit(
        self, tenant_id: str | None = None, *, limit: int = 100, before_seq: int | None = None
    ) -> list[AuditEntry]:
        if tenant_id is not None:
            self.repository.tenant(tenant_id)
        validation.whole_number(limit, "limit", minimum=1, maximum=1000)
        return self.repository.audit_entries(tenant_id, limit=limit, before_seq=before_seq)

    # -- tenants -------------------------------------------------------------------------------------

    def create_tenant(
        self,
        tenant_id: str,
        *,
        name: str,
        website_status_ids: Sequence[str] = (),
        crm_api_key: str | None = None,
        crm_webhook_secret: str | None = None,
        actor: str,
    ) -> NewTenant:
        """A new tenant, in demo mode with an empty allow-list, and its API token (returned once)."""
        tenant = TenantConfig(
            tenant_id=validation.slug(tenant_id, "tenant id"),
            name=validation.text(name, "tenant name"),
            website_status_ids=checks.status_ids(website_status_ids),
            demo_mode=True,
            crm_api_key_set=crm_api_key is not None,
            crm_webhook_secret_set=crm_webhook_secret is not None,
        )
        api_key = None if crm_api_key is None else checks.crm_api_key(crm_api_key)
        webhook_secret = None if crm_webhook_secret is None else checks.webhook_secret(crm_webhook_secret)
        secrets_set = [n for n, v in (("crm_api_key", api_key), ("crm_webhook_secret", webhook_secret)) if v]
        token = new_api_token()
        stored = self.repository.insert_tenant(
            tenant,
            api_token=token,
            crm_api_key=api_key,
            crm_webhook_secret=webhook_secret,
            audit=AuditRecord(
                actor=_actor(actor),
                action="tenant.create",
                target=_tenant_target(tenant.tenant_id),
                changes={
                    **field_changes(None, tenant),
                    **secret_changes(*secrets_set),
                    "api_token": "(changed)",
                },
            ),
        )
        return NewTenant(tenant=stored, api_token=token)

    def update_tenant(
        self,
        tenant_id: str,
        *,
        name: str | None = None,
        website_status_ids: Sequence[str] | None = None,
        max_sms_segments: int | None = None,
        actor: str,
    ) -> TenantConfig:
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = validation.text(name, "tenant name")
        if website_status_ids is not None:
            changes["website_status_ids"] = checks.status_ids(website_status_ids)
        if max_sms_segments is not None:
            changes["max_sms_segments"] = validation.whole_number(
                max_sms_segments, "max SMS segments", minimum=1, maximum=10
            )
        if not changes:
            raise InvalidConfiguration(
                "nothing to update: give a name, website status ids or max SMS segments"
            )
        if "max_sms_segments" in changes:  # the tenant's own SMS templates must still fit
            current = self.repository.tenant(tenant_id)
            check_templates(
                current.templates, self.repository.locations(tenant_id), changes["max_sms_segments"]
            )
        return self._edit_tenant(
            tenant_id, "tenant.update", actor, lambda t: msgspec.structs.replace(t, **changes)
        )

    def set_demo_mode(self, tenant_id: str, enabled: bool, *, actor: str) -> TenantConfig:
        """Demo mode on: only allow-listed addresses receive messages. Turning it off sends to real customers."""
        if not isinstance(enabled, bool):
            raise InvalidConfiguration(f"demo mode must be on or off, not {enabled!r}")
        action = "tenant.demo_mode.on" if enabled else "tenant.demo_mode.off"
        return self._edit_tenant(
            tenant_id, action, actor, lambda t: msgspec.structs.replace(t, demo_mode=enabled)
        )

    def allow_address(self, tenant_id: str, address: str, *, actor: str) -> TenantConfig:
        """Let demo-mode messages go to `address` (an email address or a phone number)."""
        normalised = validation.message_address(address)

        def add(tenant: TenantConfig) -> TenantConfig:
            if normalised in tenant.allow_list:
                return tenant
            return msgspec.structs.replace(tenant, allow_list=sorted([*tenant.allow_list, normalised]))

        return self._edit_tenant(tenant_id, "tenant.allow_list.add", actor, add)

    def disallow_address(self, tenant_id: str, address: str, *, actor: str) -> TenantConfig:
        normalised = validation.message_address(address)

        def remove(tenant: TenantConfig) -> TenantConfig:
            if normalised not in tenant.allow_list:
                raise InvalidConfiguration(f"{normalised} is not on the allow-list of tenant {tenant_id!r}")
            return msgspec.structs.replace(
                tenant, allow_list=[a for a in tenant.allow_list if a != normalised]
            )

        return self._edit_tenant(tenant_id, "tenant.allow_list.remove", actor, remove)

    def set_crm_credentials(
        self, tenant_id: str, *, api_key: str | None = None, webhook_secret: str | None = None, actor: str
    ) -> TenantConfig:
        """Replace the CRM API key and/or webhook secret (stored encrypted; the audit says only "(changed)")."""
        if api_key is None and webhook_secret is None:
            raise InvalidConfiguration("give a CRM API key, a webhook secret, or both")
        key = None if api_key is None else checks.crm_api_key(api_key)
        secret = None if webhook_secret is None else checks.webhook_secret(webhook_secret)
        names = [n for n, v in (("crm_api_key", key), ("crm_webhook_secret", secret)) if v is not None]
        self.repository.update_crm_credentials(
            tenant_id,
            api_key=key,
            webhook_secret=secret,
            audit=AuditRecord(
                actor=_actor(actor),
                action="tenant.crm_credentials",
                target=_tenant_target(tenant_id),
                changes=secret_changes(*names),
            ),
        )
        return self.repository.tenant(tenant_id)

    def rotate_api_token(self, tenant_id: str, *, actor: str) -> str:
        """A new API token for the tenant (returned once); the previous one stops working."""
        token = new_api_token()
        self.repository.update_api_token(
            tenant_id,
            api_token=token,
            audit=AuditRecord(
                actor=_actor(actor),
                action="tenant.api_token.rotate",
                target=_tenant_target(tenant_id),
                changes=secret_changes("api_token"),
            ),
        )
        return token

    def set_touch_plan(
        self, tenant_id: str, plan: Sequence[Mapping[str, Any]] | None, *, actor: str
    ) -> TenantConfig:
        """The tenant's own cadence (checked by the domain's `TouchPlan`), or None for the default plan."""
        custom: list[PlannedTouchConfig] | None = None
        if plan is not None:
            try:
                data = TouchPlan.from_data(list(plan)).to_data()
            except (InvalidValue, TypeError) as error:
                raise InvalidConfiguration(f"touch plan: {error}") from None
            custom = [PlannedTouchConfig(**touch) for touch in data]
        return self._edit_tenant(
            tenant_id,
            "tenant.touch_plan",
            actor,
            lambda t: msgspec.structs.replace(t, custom_touch_plan=custom),
        )

    def set_templates(
        self, tenant_id: str, templates: Mapping[int, TouchTemplate], *, actor: str
    ) -> TenantConfig:
        """Replace the tenant's own templates (touch number -> parts); each is rendered with samples first."""
        checked: dict[int, TouchTemplate] = {}
        for number, template in sorted(templates.items()):
            validation.whole_number(number, "template touch number", minimum=1, maximum=100)
            if not isinstance(template, TouchTemplate):
                raise InvalidConfiguration(f"template for touch {number} must give email and/or sms parts")
            if template == TouchTemplate():
                continue
            checked[number] = template
        tenant = self.repository.tenant(tenant_id)
        check_templates(checked, self.repository.locations(tenant_id), tenant.max_sms_segments)
        return self._edit_tenant(
            tenant_id, "tenant.templates", actor, lambda t: msgspec.structs.replace(t, templates=checked)
        )

    # -- locations -----------------------------------------------------------------------------------

    def add_location(
        self,
        tenant_id: str,
        location_id: str,
        *,
        name: str,
        crm_location_id: str,
        time_zone: str,
        phone: str | None = None,
        address: str | None = None,
        weekly_hours: Mapping[str, Sequence[str]] | None = None,
        window: SendingWindowConfig | None = None,
        capacity: int = 1,
        min_lead_minutes: int = 120,
        slot_granularity_minutes: int = 30,
        sms_from_number: str | None = None,
        email_from: str | None = None,
        actor: str,
    ) -> LocationConfig:
        location = checks.checked_location(
            LocationConfig(
                tenant_id=validation.slug(tenant_id, "tenant id"),
                location_id=validation.slug(location_id, "location id"),
                name=name,
                crm_location_id=crm_location_id,
                time_zone=time_zone,
                phone=phone,
                address=address,
                weekly_hours=hours.weekly_hours(weekly_hours or {}),
                window=window or SendingWindowConfig(),
                capacity=capacity,
                min_lead_minutes=min_lead_minutes,
                slot_granularity_minutes=slot_granularity_minutes,
                sms_from_number=sms_from_number,
                email_from=email_from,
            )
        )
        return self.repository.insert_location(
            location,
            audit=AuditRecord(
                actor=_actor(actor),
                action="location.create",
                target=_location_target(tenant_id, location_id),
                changes=field_changes(None, location),
            ),
        )

    def update_location(
        self, tenant_id: str, location_id: str, *, actor: str, **changes: Any
    ) -> LocationConfig:
        """Change any of: name, crm_location_id, time_zone, phone, address, capacity, min_lead_minutes,
        slot_granularity_minutes, sms_from_number, email_from ("" clears an optional one)."""
        editable = {
            "name", "crm_location_id", "time_zone", "phone", "address", "capacity", "min_lead_minutes",
            "slot_granularity_minutes", "sms_from_number", "email_from",
        }  # fmt: skip
        unknown = sorted(set(changes) - editable)
        if unknown:
            raise InvalidConfiguration(
                f"cannot update {', '.join(unknown)} this way; editable: {', '.join(sorted(editable))}"
            )
        given = {key: value for key, value in changes.items() if value is not None}
        if not given:
            raise InvalidConfiguration(f"nothing to update: give one of {', '.join(sorted(editable))}")
        for optional in ("phone", "address", "sms_from_number", "email_from"):
            if given.get(optional) == "":
                given[optional] = None
        return self._edit_location(
            tenant_id,
            location_id,
            "location.update",
            actor,
            lambda loc: msgspec.structs.replace(loc, **given),
        )

    def set_hours(
        self, tenant_id: str, location_id: str, weekly_hours: Mapping[str, Sequence[str]], *, actor: str
    ) -> LocationConfig:
        checked = hours.weekly_hours(weekly_hours)
        return self._edit_location(
            tenant_id,
            location_id,
            "location.hours",
            actor,
            lambda loc: msgspec.structs.replace(loc, weekly_hours=checked),
        )

    def set_date_exception(
        self,
        tenant_id: str,
        location_id: str,
        day: date | str,
        day_hours: Sequence[str] = (),
        *,
        note: str = "",
        actor: str,
    ) -> LocationConfig:
        """Special hours for one date; no hours = closed all day (a holiday)."""
        exception = DateException(
            day=validation.calendar_date(day),
            hours=validation.intervals(list(day_hours), f"hours on {day}"),
            note=note.strip(),
        )

        def put(location: LocationConfig) -> LocationConfig:
            others = [e for e in location.exceptions if e.day != exception.day]
            return msgspec.structs.replace(
                location, exceptions=sorted([*others, exception], key=lambda e: e.day)
            )

        return self._edit_location(tenant_id, location_id, "location.exception.set", actor, put)

    def remove_date_exception(
        self, tenant_id: str, location_id: str, day: date | str, *, actor: str
    ) -> LocationConfig:
        when = validation.calendar_date(day)

        def remove(location: LocationConfig) -> LocationConfig:
            if all(e.day != when for e in location.exceptions):
                raise InvalidConfiguration(
                    f"location {location_id!r} has no special hours on {when.isoformat()}"
                )
            return msgspec.structs.replace(
                location, exceptions=[e for e in location.exceptions if e.day != when]
            )

        return self._edit_location(tenant_id, location_id, "location.exception.remove", actor, remove)

    def set_sending_window(
        self,
        tenant_id: str,
        location_id: str,
        *,
        start: str,
        end: str,
        days: Sequence[str] | None = None,
        actor: str,
    ) -> LocationConfig:
        window = checks.checked_window(
            SendingWindowConfig(
                start=start, end=end, days=list(days) if days is not None else SendingWindowConfig().days
            )
        )
        return self._edit_location(
            tenant_id,
            location_id,
            "location.sending_window",
            actor,
            lambda loc: msgspec.structs.replace(loc, window=window),
        )

    def set_staff_contact(
        self,
        tenant_id: str,
        location_id: str,
        *,
        name: str,
        email: str | None = None,
        phone: str | None = None,
        alerts: Sequence[str] = (),
        actor: str,
    ) -> LocationConfig:
        """Add a staff contact, or replace the one with the same name (names compare case-insensitively)."""
        contact = checks.staff_contact(name, email, phone, alerts)

        def put(location: LocationConfig) -> LocationConfig:
            others = [c for c in location.staff if c.name.casefold() != contact.name.casefold()]
            return msgspec.structs.replace(
                location, staff=sorted([*others, contact], key=lambda c: c.name.casefold())
            )

        return self._edit_location(tenant_id, location_id, "location.staff.set", actor, put)

    def remove_staff_contact(
        self, tenant_id: str, location_id: str, name: str, *, actor: str
    ) -> LocationConfig:
        def remove(location: LocationConfig) -> LocationConfig:
            kept = [c for c in location.staff if c.name.casefold() != name.strip().casefold()]
            if len(kept) == len(location.staff):
                raise InvalidConfiguration(f"location {location_id!r} has no staff contact named {name!r}")
            return msgspec.structs.replace(location, staff=kept)

        return self._edit_location(tenant_id, location_id, "location.staff.remove", actor, remove)

    # -- catalog -------------------------------------------------------------------------------------

    def set_location_price(
        self, tenant_id: str, location_id: str, service_id: str, price_cents: int | None, *, actor: str
    ) -> CatalogEntry:
        """A location's own price for a service (None removes it: the tenant-wide price applies again)."""
        if price_cents is not None:
            validation.price_cents(price_cents)
        self.repository.location(tenant_id, location_id)
        before = self.repository.catalog_entry(tenant_id, service_id, location_id)
        if price_cents is None and not before.price_overridden:
            raise InvalidConfiguration(
                f"location {location_id!r} has no own price for service {service_id!r}"
            )
        self.repository.set_location_price(
            tenant_id,
            location_id,
            service_id,
            price_cents,
            audit=AuditRecord(
                actor=_actor(actor),
                action="catalog.price.set" if price_cents is not None else "catalog.price.clear",
                target=f"service:{tenant_id}/{service_id}@{location_id}",
                changes={
                    "price_cents": {
                        "from": before.price_cents,
                        "to": before.base_price_cents if price_cents is None else price_cents,
                    }
                },
            ),
        )
        return self.repository.catalog_entry(tenant_id, service_id, location_id)

    def put_service(self, tenant_id: str, service: CatalogService, *, actor: str) -> CatalogEntry:
        """Add or replace a tenant-wide service (the demo seed; shops whose CRM has no canned services)."""
        checked = msgspec.structs.replace(
            service,
            service_id=checks.service_id(service.service_id),
            name=validation.text(service.name, "service name"),
            description=service.description.strip(),
            duration_minutes=validation.whole_number(
                service.duration_minutes, "duration in minutes", minimum=1, maximum=24 * 60
            ),
            price_cents=validation.price_cents(service.price_cents),
        )
        existing = {e.service_id: e for e in self.repository.catalog(tenant_id, include_inactive=True)}
        before = existing.get(checked.service_id)
        changes = field_changes(None if before is None else before.tenant_wide(), checked)
        if changes:
            self.repository.put_service(
                tenant_id,
                checked,
                audit=AuditRecord(
                    actor=_actor(actor),
                    action="catalog.service.put",
                    target=f"service:{tenant_id}/{checked.service_id}",
                    changes=changes,
                ),
            )
        return self.repository.catalog_entry(tenant_id, checked.service_id)

    def upsert_crm_services(
        self, tenant_id: str, services: Sequence[CrmService], at: datetime
    ) -> CatalogSyncResult:
        """See `ConfigRepository.upsert_crm_services` (the CRM catalog sync calls this)."""
        return self.repository.upsert_crm_services(tenant_id, services, at)

    # -- edits ---------------------------------------------------------------------------------------

    def _edit_tenant(
        self, tenant_id: str, action: str, actor: str, edit: Callable[[TenantConfig], TenantConfig]
    ) -> TenantConfig:
        who = _actor(actor)
        for _ in range(_EDIT_ATTEMPTS):
            before = self.repository.tenant(tenant_id)
            after = edit(before)
            changes = field_changes(before, after)
            if not changes:
                return before
            try:
                return self.repository.update_tenant(
                    after,
                    expected_version=before.version,
                    audit=AuditRecord(
                        actor=who, action=action, target=_tenant_target(tenant_id), changes=changes
                    ),
                )
            except ConcurrentEdit:
                continue
        raise ConcurrentEdit(f"tenant {tenant_id!r} kept changing under this edit; try again")

    def _edit_location(
        self,
        tenant_id: str,
        location_id: str,
        action: str,
        actor: str,
        edit: Callable[[LocationConfig], LocationConfig],
    ) -> LocationConfig:
        who = _actor(actor)
        for _ in range(_EDIT_ATTEMPTS):
            before = self.repository.location(tenant_id, location_id)
            after = checks.checked_location(edit(before))
            changes = field_changes(before, after)
            if not changes:
                return before
            try:
                return self.repository.update_location(
                    after,
                    expected_version=before.version,
                    audit=AuditRecord(
                        actor=who,
                        action=action,
                        target=_location_target(tenant_id, location_id),
                        changes=changes,
                    ),
                )
            except ConcurrentEdit:
                continue
        raise ConcurrentEdit(f"location {location_id!r} kept changing under this edit; try again")


def _actor(actor: str) -> str:
    return validation.text(actor, "actor", max_length=200)


def _tenant_target(tenant_id: str) -> str:
    return f"tenant:{tenant_id}"


def _location_target(tenant_id: str, location_id: str) -> str:
    return f"location:{tenant_id}/{location_id}"
