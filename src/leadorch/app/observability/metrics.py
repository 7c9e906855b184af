"""Prometheus metrics: what the person on call looks at first.

One registry per process; `GET /metrics` on the API serves the API's, and the worker serves its own
(`leadorch worker --metrics-port`).
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

WEBHOOK_DELIVERIES = Counter(
    "leadorch_webhook_deliveries_total",
    "CRM webhook deliveries by outcome "
    "(accepted, duplicate, ignored, malformed, unauthorized, unknown_tenant, too_large, secret_unreadable)",
    ["outcome"],
    registry=REGISTRY,
)
SPEED_TO_LEAD = Histogram(
    "leadorch_speed_to_lead_seconds",
    "From webhook receipt to the first touch accepted by the messaging provider",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600, 86400),
    registry=REGISTRY,
)
TOUCHES = Counter(
    "leadorch_touches_total",
    "Touch outcomes by channel (sent, failed, suppressed, uncertain, skipped)",
    ["channel", "outcome"],
    registry=REGISTRY,
)
SETTLEMENTS = Counter(
    "leadorch_uncertain_settlements_total",
    "Uncertain touches settled by asking the provider, by channel and way "
    "(confirmed_sent, confirmed_not_sent (then re-sent), unknown)",
    ["channel", "way"],
    registry=REGISTRY,
)
PROJECTION_LAG = Gauge(
    "leadorch_projection_lag_events",
    "Events in the log not yet applied to a read model",
    ["projection"],
    registry=REGISTRY,
)
ACTOR_FAILURES = Counter(
    "leadorch_actor_failures_total",
    "Background job failures (each retry counts)",
    ["actor"],
    registry=REGISTRY,
)
TENANT_SECRETS_UNREADABLE = Counter(
    "leadorch_tenant_secret_unreadable_total",
    "A tenant's stored secret could not be decrypted with this LEADORCH_SECRET_KEY (store it again)",
    ["tenant"],
    registry=REGISTRY,
)
PROVIDER_AUTH_FAILURES = Counter(
    "leadorch_provider_auth_failures_total",
    "A messaging provider refused our credentials (401/403, Twilio 20003): sending through it paused",
    ["provider"],
    registry=REGISTRY,
)
HTTP_ERRORS = Counter(
    "leadorch_http_errors_total",
    "Requests that ended in an unexpected server error (a bug: see the log line with its error id)",
    ["route", "status"],
    registry=REGISTRY,
)
LEADS_CREATED = Counter("leadorch_leads_created_total", "Leads created", ["source"], registry=REGISTRY)


def record_projection_lag(lags: Mapping[str, int]) -> None:
    """Set the lag gauge of each projection named in `lags` (events behind the head of the log)."""
    for projection, lag in lags.items():
        PROJECTION_LAG.labels(projection=projection).set(lag)
