"""A tenant's settings: creating it, its CRM binding and token, demo mode, lead rule, cadence, templates.

Each operation checks what the operator gave (clear `InvalidConfiguration` messages) and saves the new
state through the repository with an audit row naming the actor and what changed.
Edits are read-modify-write with optimistic concurrency: a lost race re-reads and re-applies the
edit a few times before giving up with `ConcurrentEdit`. An edit that changes nothing writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from secrets import token_urlsafe
from typing import Any

import msgspec

from leadorch.app.config import checks, validation
from leadorch.app.config.changes import EDIT_ATTEMPTS, checked_actor, field_changes, secret_changes
from leadorch.app.config.errors import ConcurrentEdit, InvalidConfiguration, OperatorOnly
from leadorch.app.config.models import (
    PlannedTouchConfig,
    TenantConfig,
    TouchTemplate,
)
from leadorch.app.config.repository import AuditRecord, ConfigRepository, CrmCredentials
from leadorch.app.config.template_check import check_templates
from leadorch.domain.cadence import TouchPlan
from leadorch.domain.errors import InvalidValue


@dataclass(frozen=True)
class NewTenant:
    """A tenant just created, with its API token: shown this once, only its hash is kept."""

    tenant: TenantConfig
    api_token: str


def new_api_token() -> str:
    """A fresh tenant API token (256 random bits)."""
    return "lot_" + token_urlsafe(32)


class TenantSettings:
    """The tenant-wide settings of `ConfigService`."""

    def __init__(self, repository: ConfigRepository) -> None:
        self.repository = repository

    def tenant(self, tenant_id: str) -> TenantConfig:
        return self.repository.tenant(tenant_id)

    def tenants(self) -> list[TenantConfig]:
        return self.repository.tenants()

    def tenant_id_for_token(self, token: str) -> str | None:
        return self.repository.tenant_id_for_token(token)

    def crm_credentials(self, tenant_id: str) -> CrmCredentials:
        return self.repository.crm_credentials(tenant_id)

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
                actor=checked_actor(actor),
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
        catalog_generic_words: Sequence[str] | None = None,
        assistant_answers_messages: bool | None = None,
        live_conversation_minutes: int | None = None,
        actor: str,
    ) -> TenantConfig:
        changes: dict[str, Any] = {}
        if assistant_answers_messages is not None:
            if not isinstance(assistant_answers_messages, bool):
                raise InvalidConfiguration(
                    "whether the assistant answers texts and emails must be true or false"
                )
            changes["assistant_answers_messages"] = assistant_answers_messages
        if live_conversation_minutes is not None:
            changes["live_conversation_minutes"] = validation.whole_number(
                live_conversation_minutes, "live conversation minutes", minimum=1, maximum=24 * 60
            )
        if name is not None:
            changes["name"] = validation.text(name, "tenant name")
        if website_status_ids is not None:
            changes["website_status_ids"] = checks.status_ids(website_status_ids)
        if max_sms_segments is not None:
            changes["max_sms_segments"] = validation.whole_number(
                max_sms_segments, "max SMS segments", minimum=1, maximum=10
            )
        if catalog_generic_words is not None:
            changes["catalog_generic_words"] = checks.catalog_words(catalog_generic_words)
        if not changes:
            raise InvalidConfiguration(
                "nothing to update: give a name, website status ids, max SMS segments, catalog generic words, "
                "whether the assistant answers texts and emails, or the live conversation minutes"
            )
        if "max_sms_segments" in changes:  # the tenant's own SMS templates must still fit
            current = self.repository.tenant(tenant_id)
            check_templates(
                current.templates, self.repository.locations(tenant_id), changes["max_sms_segments"]
            )
        return self._edit_tenant(
            tenant_id, "tenant.update", actor, lambda t: msgspec.structs.replace(t, **changes)
        )

    def set_demo_mode(
        self,
        tenant_id: str,
        enabled: bool,
        *,
        actor: str,
        by_operator: bool = False,
        confirm: str | None = None,
    ) -> TenantConfig:
        """Demo mode on: only allow-listed addresses receive messages. Turning it off sends to real customers.

        Because that cannot be taken back (a message sent is sent), turning it off is the operator's act
        (`by_operator`: the admin token, or the CLI on the server), never a tenant token's, and a deliberate
        one: `confirm` must repeat the tenant's id, so no single click or replayed request does it. The
        audit row names `actor`.
        """
        if not isinstance(enabled, bool):
            raise InvalidConfiguration(f"demo mode must be on or off, not {enabled!r}")
        if not enabled:
            if not by_operator:
                raise OperatorOnly(
                    "only the operator (the admin token) can turn demo mode off: "
                    "it sends messages to real customers"
                )
            if (confirm or "").strip() != tenant_id:
                raise InvalidConfiguration(
                    f"to turn demo mode off, confirm with the tenant's id ({tenant_id!r}): "
                    "messages will go to real customers"
                )
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
                actor=checked_actor(actor),
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
                actor=checked_actor(actor),
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

    def _edit_tenant(
        self, tenant_id: str, action: str, actor: str, edit: Callable[[TenantConfig], TenantConfig]
    ) -> TenantConfig:
        who = checked_actor(actor)
        for _ in range(EDIT_ATTEMPTS):
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


def _tenant_target(tenant_id: str) -> str:
    return f"tenant:{tenant_id}"
