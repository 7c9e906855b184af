"""Guards against the CRM's silent traps: location ids it does not know, and webhooks it stopped sending.

ShopMonkey answers a `locationId` filter that matches no location with every location's rows, so a
mistyped location id fails silently (that store's quotes never match ours). Each configured location id
is therefore checked against `GET /v3/location`: `locations add` refuses an id the CRM does not list,
and `serve` / `worker` check every tenant's at start (a finding is logged and shown on `/ready` and in
the console; a CRM that cannot be reached then is noted, never a reason not to start).

A ShopMonkey webhook can fall into an error state and stop delivering. `check_webhooks` (periodic, in the
worker) reads `GET /v3/webhook` per tenant and records each webhook in error with its message; the
poller keeps bringing orders and appointments either way.

The findings are kept per tenant in the `crm_health` table (`CrmHealth`), replaced at each check, so
what the worker found is what the API's `/ready` shows.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from leadorch.app.db import Database
from leadorch.app.projections.tables import instant
from leadorch.ports.crm import Crm, CrmError, CrmWebhook

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container
    from leadorch.app.settings import Settings

log = logging.getLogger(__name__)

START_CHECK_SECONDS = 15.0


SCHEMA: list[str] = [
    """
    CREATE TABLE IF NOT EXISTS crm_health (
        tenant_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        problems TEXT NOT NULL,
        checked_at TEXT NOT NULL,
        PRIMARY KEY (tenant_id, kind)
    )
    """,
]


class CrmHealth:
    """What each tenant's CRM last said about our setup (`kind`: "locations", "webhooks"), as lines for
    `/ready` and the console. Kept in the database: the worker checks, the API shows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, tenant_id: str, kind: str, problems: list[str], *, now: datetime) -> None:
        with self.db.transaction() as cur:
            cur.execute(
                "INSERT INTO crm_health (tenant_id, kind, problems, checked_at) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (tenant_id, kind) DO UPDATE SET problems = excluded.problems, "
                "checked_at = excluded.checked_at",
                (tenant_id, kind, json.dumps(problems), instant(now)),
            )

    def problems(self, tenant_id: str | None = None) -> list[str]:
        """Every recorded finding (of one tenant, when given), by tenant, locations first."""
        with self.db.transaction() as cur:
            cur.execute("SELECT tenant_id, kind, problems FROM crm_health ORDER BY tenant_id, kind")
            rows = cur.fetchall()
        return [
            line
            for tenant, _, problems in rows
            if tenant_id in (None, tenant)
            for line in json.loads(problems)
        ]


async def unknown_location_ids(crm: Crm, wanted: Iterable[str]) -> list[str]:
    """The ids among `wanted` that the CRM does not list as one of its locations."""
    known = {location.id for location in await crm.list_locations()}
    return sorted({location_id for location_id in wanted if location_id not in known})


def webhook_problems(tenant_id: str, webhooks: list[CrmWebhook]) -> list[str]:
    """One line per webhook in error, with the CRM's message and since when."""
    lines = []
    for webhook in webhooks:
        if not webhook.error:
            continue
        since = f" since {webhook.error_date.isoformat()}" if webhook.error_date else ""
        message = webhook.error_message or "no message given"
        lines.append(
            f"tenant {tenant_id}: ShopMonkey webhook {webhook.name or webhook.id} ({webhook.url or 'no url'}) "
            f"is in an error state{since} and is not delivering: {message}; the poller keeps polling"
        )
    return lines


def check_location_exists(settings: Settings, api_key: str, tenant_id: str, crm_location_id: str) -> None:
    """For `locations add`: raise `CrmError` naming the id unless the tenant's CRM lists it."""
    from leadorch.app.crm import shopmonkey_client

    async def check() -> list[str]:
        async with shopmonkey_client(settings.shopmonkey_base_url, api_key) as crm:
            return await unknown_location_ids(crm, [crm_location_id])

    if asyncio.run(check()):
        raise CrmError(
            f"tenant {tenant_id}'s ShopMonkey has no location {crm_location_id!r} (GET /v3/location); "
            "ShopMonkey would answer a filter on it with every location's rows"
        )


def check_crm_locations(container: Container) -> list[str]:
    """At start: every tenant's configured location ids against its CRM; the findings, also recorded."""
    from leadorch.app.crm import crm_for

    config = container.config
    findings: list[str] = []
    for tenant in config.tenants():
        if not tenant.crm_api_key_set:
            continue
        locations = config.locations(tenant.tenant_id)
        wanted = {location.crm_location_id: location.location_id for location in locations}
        if not wanted:
            continue
        try:
            crm = crm_for(container, tenant.tenant_id)
            unknown = container.crm.run(unknown_location_ids(crm, wanted), timeout=START_CHECK_SECONDS)
        except (CrmError, TimeoutError) as exc:
            log.warning("tenant %s: ShopMonkey location ids not checked: %s", tenant.tenant_id, exc)
            continue
        lines = [
            f"location {tenant.tenant_id}/{wanted[crm_id]}: ShopMonkey has no location {crm_id!r}; "
            f"fix it with `leadorch locations update {tenant.tenant_id} {wanted[crm_id]} --crm-location-id …`"
            for crm_id in unknown
        ]
        for line in lines:
            log.error(line)
        CrmHealth(container.db).record(tenant.tenant_id, "locations", lines, now=container.clock.now())
        findings.extend(lines)
    return findings


def check_webhooks(container: Container) -> list[str]:
    """Periodic: each tenant's ShopMonkey webhooks' error state; the findings, also recorded."""
    from leadorch.app.crm import crm_for

    findings: list[str] = []
    for tenant in container.config.tenants():
        if not tenant.crm_api_key_set:
            continue
        try:
            crm = crm_for(container, tenant.tenant_id)
            webhooks = container.crm.run(crm.list_webhooks())
        except (CrmError, TimeoutError) as exc:
            log.warning("tenant %s: ShopMonkey webhooks not checked: %s", tenant.tenant_id, exc)
            continue
        lines = webhook_problems(tenant.tenant_id, webhooks)
        for line in lines:
            log.error(line)
        CrmHealth(container.db).record(tenant.tenant_id, "webhooks", lines, now=container.clock.now())
        findings.extend(lines)
    return findings


def start_crm_checks(container: Container) -> threading.Thread:
    """At `serve` / `worker` start, in the background (a slow CRM never delays the start): the location
    ids, then the webhooks' error state."""

    def run() -> None:
        try:
            check_crm_locations(container)
            check_webhooks(container)
        except Exception:  # a check must never take the process down
            log.exception("the start-up ShopMonkey checks failed")

    thread = threading.Thread(target=run, name="crm-checks", daemon=True)
    thread.start()
    return thread
