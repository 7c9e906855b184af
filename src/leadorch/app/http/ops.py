"""Readiness and metrics for the person on call.

`GET /health` says the process is alive; `GET /ready` says it can do its job: the database
answers, Redis answers (when configured), every live read-model table has the columns its projection
declares (else it names the `projections rebuild` to run), and the read models are caught up with the
log within a bound. It is `degraded` (still 200) while a provider refuses our credentials, a location
has no sender for a provider whose real credentials are set, ShopMonkey does not know a configured
location id, or a ShopMonkey webhook is in its error state (`app/crm_health.py`), naming each.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from leadorch.app.bootstrap import Container
from leadorch.app.crm_health import CrmHealth
from leadorch.app.observability.metrics import PROJECTION_LAG, REGISTRY
from leadorch.app.projections.registry import all_projections
from leadorch.app.projections.shape import out_of_shape

MAX_PROJECTION_LAG = 1000


def _degraded_providers(container: Container) -> list[str]:
    """Providers refusing our credentials: the API still takes webhooks (200), but nothing goes out
    through them until the operator fixes the key (`touches/provider_circuit.py`)."""
    from leadorch.app.touches.provider_circuit import open_circuits

    return [
        f"{provider} refuses our credentials ({reason}); sending through it paused, retried after {until.isoformat()}"
        for provider, (until, reason) in sorted(open_circuits(container.db).items())
    ]


def _locations_without_senders(container: Container) -> list[str]:
    """Locations whose messages a provider with real credentials would refuse for want of a sender."""
    from leadorch.app.senders import every_location, locations_without_senders

    return locations_without_senders(every_location(container.config), container.settings)


def _check_database(container: Container) -> str | None:
    try:
        with container.db.transaction() as cur:
            cur.execute("SELECT 1")
        container.store.recorder.max_notification_id()
    except Exception as exc:
        return f"database: {type(exc).__name__}"
    return None


def _check_redis(container: Container) -> str | None:
    if not container.settings.redis_url:
        return None
    try:
        import redis

        redis.Redis.from_url(container.settings.redis_url, socket_timeout=1).ping()
    except Exception as exc:
        return f"redis: {type(exc).__name__}"
    return None


def _check_read_model_shapes(container: Container) -> str | None:
    """A read model whose live table lacks declared columns fails every write: name the fix."""
    try:
        stale = out_of_shape(container.db, all_projections())
    except Exception as exc:
        return f"read models: {type(exc).__name__}"
    if not stale:
        return None
    names = " ".join(sorted(stale))
    details = "; ".join(difference for differences in stale.values() for difference in differences)
    return f"read models need a rebuild ({details}): run `leadorch projections rebuild {names}`"


def _check_projections(container: Container) -> tuple[str | None, dict[str, int]]:
    daemon = container.projections
    if not daemon.running:  # this process does not follow the log (a test app, a CLI)
        return None, {}
    try:
        lags: dict[str, int] = daemon.lag()
    except Exception as exc:
        return f"projections: {type(exc).__name__}", {}
    for name, lag in lags.items():
        PROJECTION_LAG.labels(projection=name).set(lag)
    behind = [name for name, lag in lags.items() if lag > MAX_PROJECTION_LAG]
    return (f"projections behind: {', '.join(sorted(behind))}" if behind else None), lags


class OpsController(Controller):
    path = "/"
    tags = ["ops"]

    @get("/health", sync_to_thread=False)
    def health(self) -> dict[str, str]:
        """Liveness: the process is up and serving."""
        return {"status": "ok"}

    @get("/ready", sync_to_thread=True)
    def ready(self, container: NamedDependency[Container]) -> Response[dict[str, Any]]:
        """Readiness: database, Redis and projection lag."""
        problems = [p for p in (_check_database(container), _check_redis(container)) if p]
        if not problems:
            shape_problem = _check_read_model_shapes(container)
            if shape_problem:
                problems.append(shape_problem)
        projection_problem, lags = _check_projections(container)
        if projection_problem:
            problems.append(projection_problem)
        degraded = (
            []
            if problems
            else _degraded_providers(container)
            + _locations_without_senders(container)
            + CrmHealth(container.db).problems()
        )
        body = {
            "status": "not ready" if problems else ("degraded" if degraded else "ready"),
            "problems": problems,
            "degraded": degraded,
            "projection_lag": lags,
        }
        return Response(body, status_code=HTTP_200_OK if not problems else HTTP_503_SERVICE_UNAVAILABLE)

    @get("/metrics", sync_to_thread=False, include_in_schema=False)
    def metrics(self) -> Response[bytes]:
        """Prometheus exposition of this process's metrics."""
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
