"""Ingestion's background jobs: process an inbox delivery, relay what is pending, poll, sync catalogs.

Every job is safe to run twice (two worker processes each run a scheduler): deliveries are claimed,
polls take a lease per tenant, and catalog syncs converge on the CRM's list.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from leadorch.app.crm_health import check_webhooks
from leadorch.app.ingestion.catalog import sync_catalog
from leadorch.app.ingestion.inbox import WebhookInbox, workers_listen
from leadorch.app.ingestion.inbox_feed import PROCESS_DELIVERY, InboxFeed, send_due_deliveries
from leadorch.app.ingestion.poller import CrmPoller, tenants_to_poll
from leadorch.app.ingestion.service import IngestionService
from leadorch.app.observability.logging import bind
from leadorch.app.worker.specs import ActorSpec, PeriodicSpec

log = logging.getLogger(__name__)

RELAY_INTERVAL_SECONDS = 5.0
WEBHOOK_CHECK_INTERVAL_SECONDS = 600.0
CATALOG_INTERVAL_SECONDS = 24 * 3600.0
_lock = threading.Lock()


def ingestion_service(container: Any) -> IngestionService:
    """The container's ingestion service (built once)."""
    service = container.extras.get("ingestion")
    if service is None:
        with _lock:
            service = container.extras.get("ingestion")
            if service is None:
                service = IngestionService(container)
                container.extras["ingestion"] = service
    return service  # type: ignore[no-any-return]


def process_inbox_delivery(container: Any, request_id: str) -> None:
    with bind(delivery_id=request_id):
        decision = ingestion_service(container).process_delivery(request_id)
        if decision is not None:
            with bind(lead_id=decision.lead_id):
                log.info("delivery %s: %s", request_id, decision.summary)


def relay_inbox(container: Any) -> int:
    """Re-send pending deliveries nobody is working on: an acknowledged delivery is never lost."""
    runtime = container.extras["runtime"]
    due = send_due_deliveries(WebhookInbox(container.db), runtime, now=container.clock.now())
    if due:
        log.info("relayed %d pending deliveries", len(due))
    return len(due)


def poll_crm(container: Any) -> None:
    """Fan out one poll per tenant with a CRM connection."""
    runtime = container.extras["runtime"]
    for tenant_id in tenants_to_poll(container):
        runtime.send("poll_tenant", tenant_id)


def poll_tenant(container: Any, tenant_id: str) -> None:
    result = CrmPoller(container, ingestion_service(container)).poll(tenant_id)
    if result.busy:
        log.info("tenant %s is being polled by another worker", tenant_id)
    elif result.versions_new or result.appointment_versions_new:
        log.info(
            "poll of tenant %s found %d new order versions (%s) and %d appointment versions",
            tenant_id,
            result.versions_new,
            result.outcomes,
            result.appointment_versions_new,
        )


def sync_catalogs(container: Any) -> None:
    """Fan out one catalog sync per tenant with a CRM connection."""
    runtime = container.extras["runtime"]
    for tenant_id in tenants_to_poll(container):
        runtime.send("sync_catalog", tenant_id)


def sync_tenant_catalog(container: Any, tenant_id: str) -> None:
    result = sync_catalog(container, tenant_id)
    log.info(
        "catalog of tenant %s synced: %d added, %d updated, %d deactivated",
        tenant_id,
        len(result.added),
        len(result.updated),
        len(result.deactivated),
    )


def check_crm_webhooks(container: Any) -> None:
    """Whether each tenant's ShopMonkey webhook fell into its error state (shown on /ready, the console)."""
    check_webhooks(container)


ACTORS: list[ActorSpec] = [
    ActorSpec(PROCESS_DELIVERY, process_inbox_delivery, queue="ingest"),
    ActorSpec("relay_inbox", relay_inbox, queue="ingest", max_retries=0),
    ActorSpec("poll_crm", poll_crm, queue="ingest", max_retries=0),
    ActorSpec("poll_tenant", poll_tenant, queue="ingest", max_retries=0, time_limit_ms=15 * 60_000),
    ActorSpec("sync_catalogs", sync_catalogs, queue="ingest", max_retries=0),
    ActorSpec("check_crm_webhooks", check_crm_webhooks, queue="ingest", max_retries=0),
    ActorSpec("sync_catalog", sync_tenant_catalog, queue="ingest", max_retries=3, time_limit_ms=10 * 60_000),
]


def inbox_feed(container: Any, runtime: Any) -> InboxFeed | None:
    """Listen for webhook deliveries committed by the API when the workers are woken by commits."""
    return InboxFeed(container, runtime) if workers_listen(container) else None


FEEDS = [inbox_feed]

PERIODIC: list[PeriodicSpec] = [
    PeriodicSpec("relay_inbox", lambda settings: RELAY_INTERVAL_SECONDS),
    PeriodicSpec("poll_crm", lambda settings: float(settings.poll_interval_seconds)),
    PeriodicSpec("sync_catalogs", lambda settings: CATALOG_INTERVAL_SECONDS),
    PeriodicSpec("check_crm_webhooks", lambda settings: WEBHOOK_CHECK_INTERVAL_SECONDS),
]
