"""`POST /webhooks/shopmonkey/{tenant_id}`: ShopMonkey's webhook, verified, stored, acknowledged.

Order rows (website quotes, staff taking a lead over) and appointment rows (staff moving, cancelling,
confirming or making appointments in the shop's calendar) are stored for processing; other tables are
kept as ignored.

The handler stays thin and fast: verify the Standard Webhooks signature with the tenant's secret,
parse, commit the raw delivery to the inbox, answer. Everything else (the website-lead rule, CRM
fetches, the lead) runs in a worker. The answer comes only after the commit, so a 2xx always means the
delivery is durable. Deliveries arriving together share one commit (group commit). On PostgreSQL with
Redis-backed workers the commit itself wakes the workers (`inbox_feed.py`), so the handler touches
neither Redis nor the broker; otherwise (the embedded default) it enqueues `process_inbox_delivery`
itself, and if that fails the answer is still 2xx and the relay sends the row later.

Answers: 200 `{"status": "accepted" | "duplicate" | "ignored"}`; 404 unknown tenant; 401 unsigned,
wrongly signed or stale (nothing stored); 400 with the reason for a signed delivery we cannot read (kept
in the inbox as rejected, for diagnosis); 413 for a body over `MAX_BODY_BYTES`.
"""

from __future__ import annotations

import functools
import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from litestar import MediaType, Request, Response, post
from litestar.exceptions import HTTPException
from litestar.params import FromPath, RawBody
from litestar.status_codes import (
    HTTP_200_OK,
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_404_NOT_FOUND,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from leadorch.adapters.shopmonkey_webhook import (
    WebhookPayloadError,
    WebhookSignatureError,
    parse_delivery,
    verify_delivery,
)
from leadorch.app.config.errors import SecretUnreadable
from leadorch.app.ingestion.delivery_job import PROCESS_INBOX_DELIVERY
from leadorch.app.ingestion.inbox import (
    RELAY_FIRST_DELAY,
    NewRow,
    appointment_row,
    ignored_row,
    order_row,
    unusable_row,
    workers_listen,
)
from leadorch.app.ingestion.tenancy import UnknownWebhookTenant
from leadorch.app.observability.logging import bind
from leadorch.app.observability.metrics import TENANT_SECRETS_UNREADABLE, WEBHOOK_DELIVERIES
from leadorch.app.worker.enqueue import enqueue

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
MAX_ID_LENGTH = 128
_COUNTERS: dict[str, Any] = {}  # the counter of each outcome, looked up once


def _answer(status_code: int, outcome: str, **content: str) -> Response[dict[str, str]]:
    """The answer to ShopMonkey, counted and logged by outcome (the one place every delivery ends)."""
    counter = _COUNTERS.get(outcome)
    if counter is None:
        counter = _COUNTERS[outcome] = WEBHOOK_DELIVERIES.labels(outcome=outcome)
    counter.inc()
    log.info("webhook delivery %s", outcome, extra={"fields": {"status_code": status_code}})
    return Response(content=content, status_code=status_code, media_type=MediaType.JSON)


def _too_large(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, str]]:
    """Litestar refuses an oversized body before the handler runs; count it like any other outcome."""
    with bind(
        delivery_id=_delivery_id(dict(request.headers)), tenant_id=request.path_params.get("tenant_id")
    ):
        return _answer(exc.status_code, "too_large", detail=f"the body is over {MAX_BODY_BYTES} bytes")


def _delivery_id(headers: dict[str, str]) -> str | None:
    """What names a delivery in every log line about it: ShopMonkey's request id (the inbox key)."""
    named = headers.get("x-request-id") or headers.get("webhook-id")
    return named[:MAX_ID_LENGTH] if named else None  # not yet verified: keep a forged one short


@post(
    "/webhooks/shopmonkey/{tenant_id:str}",
    request_max_body_size=MAX_BODY_BYTES,
    exception_handlers={HTTP_413_REQUEST_ENTITY_TOO_LARGE: _too_large},
    status_code=HTTP_200_OK,
    tags=["webhooks"],
    summary="Receive a ShopMonkey webhook (orders and appointments)",
)
async def receive_shopmonkey_webhook(
    request: Request[Any, Any, Any], tenant_id: FromPath[str], body: RawBody
) -> Response[dict[str, str]]:
    """Verify, store and acknowledge one ShopMonkey delivery (see the module docstring for the answers).

    It runs on the event loop: nothing here blocks but the tenant's secret on a cache miss (read in a
    thread) and the commit, which is awaited while the inbox writer's thread commits it with the rest
    of its batch.
    """
    headers = dict(request.headers)
    with bind(delivery_id=_delivery_id(headers), tenant_id=tenant_id):
        return await _receive(request, tenant_id, body, headers)


async def _receive(
    request: Request[Any, Any, Any], tenant_id: str, body: bytes, headers: dict[str, str]
) -> Response[dict[str, str]]:
    container = request.app.state["container"]
    now = container.clock.now()
    secrets = container.webhook_secrets
    try:
        if secrets.is_cached(tenant_id):
            secret = secrets.secret_for(tenant_id)
        else:
            secret = await anyio.to_thread.run_sync(secrets.secret_for, tenant_id)
    except UnknownWebhookTenant:
        return _answer(HTTP_404_NOT_FOUND, "unknown_tenant", detail=f"unknown tenant {tenant_id!r}")
    except SecretUnreadable:
        # Sealed under another LEADORCH_SECRET_KEY (stored from a shell without the server's key): ours
        # to fix, not ShopMonkey's, so a 503 it retries, and a line and a metric naming the tenant.
        TENANT_SECRETS_UNREADABLE.labels(tenant=tenant_id).inc()
        log.error(
            "tenant %s: its stored ShopMonkey webhook secret cannot be decrypted with this "
            "LEADORCH_SECRET_KEY; store it again with `leadorch tenants crm` in the server's environment",
            tenant_id,
        )
        return _answer(
            HTTP_503_SERVICE_UNAVAILABLE,
            "secret_unreadable",
            detail="this tenant's webhook secret cannot be read by the server; the operator is told",
        )
    if secret is None:
        return _answer(
            HTTP_401_UNAUTHORIZED,
            "unauthorized",
            detail="this tenant has no ShopMonkey webhook secret configured",
        )
    try:
        verify_delivery(body, headers, secret, now=now)
    except WebhookSignatureError as exc:
        return _answer(HTTP_401_UNAUTHORIZED, "unauthorized", detail=f"signature not accepted: {exc.reason}")
    except ValueError:
        log.error("tenant %s has a malformed ShopMonkey webhook secret", tenant_id)
        return _answer(
            HTTP_401_UNAUTHORIZED,
            "unauthorized",
            detail="the tenant's webhook secret cannot verify signatures",
        )
    writer = container.inbox_writer
    raw = body.decode("utf-8")  # verified, so it is the UTF-8 ShopMonkey signed
    try:
        delivery = parse_delivery(body, headers)
    except WebhookPayloadError as exc:
        request_id = (
            headers.get("x-request-id") or f"unusable:{headers.get('webhook-id', '')}:{uuid.uuid4().hex}"
        )
        await writer.submit(
            unusable_row(
                request_id=request_id,
                tenant_id=tenant_id,
                received_at=now,
                headers=headers,
                raw_body=raw,
                reason=exc.reason,
            )
        )
        return _answer(HTTP_400_BAD_REQUEST, "malformed", detail=exc.reason)
    if delivery.order is None and delivery.appointment is None:
        fresh = await writer.submit(
            ignored_row(
                request_id=delivery.request_id,
                tenant_id=tenant_id,
                received_at=now,
                headers=headers,
                raw_body=raw,
                table_name=delivery.table,
                operation=delivery.operation,
                reason=f"table {delivery.table!r} is not acted on",
            )
        )
        outcome = "ignored" if fresh else "duplicate"
        return _answer(HTTP_200_OK, outcome, status=outcome)
    listening = workers_listen(container)
    relay_after = timedelta(0) if listening else RELAY_FIRST_DELAY
    row: NewRow
    if delivery.order is not None:
        row = order_row(
            request_id=delivery.request_id,
            tenant_id=tenant_id,
            source="webhook",
            received_at=now,
            headers=headers,
            raw_body=raw,
            operation=delivery.operation,
            order=delivery.order,
            relay_after=relay_after,
        )
    else:
        assert delivery.appointment is not None
        # Staff changed the shop's calendar: slots are read from ShopMonkey again, not from the cache.
        container.calendar_cache.forget(tenant_id)
        row = appointment_row(
            request_id=delivery.request_id,
            tenant_id=tenant_id,
            source="webhook",
            received_at=now,
            headers=headers,
            raw_body=raw,
            operation=delivery.operation,
            appointment=delivery.appointment,
            relay_after=relay_after,
        )
    fresh = await writer.submit(row)
    if not fresh:
        return _answer(HTTP_200_OK, "duplicate", status="duplicate")
    if not listening:
        await _enqueue(container, delivery.request_id)
    return _answer(HTTP_200_OK, "accepted", status="accepted")


async def _enqueue(container: Container, request_id: str) -> None:
    """Hand the stored delivery to a worker now; if that fails the relay will, so never raise."""
    send = functools.partial(enqueue, container, PROCESS_INBOX_DELIVERY, request_id, inline=False)
    runtime = container.runtime
    if runtime is None or runtime.in_process:  # nothing to send, or an in-memory queue: nothing to wait for
        send()
    else:
        await anyio.to_thread.run_sync(send)
