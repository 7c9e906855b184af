"""`POST /webhooks/sendgrid/events`: SendGrid's Signed Event Webhook (what became of each email).

Verified with the key in `SENDGRID_EVENT_WEBHOOK_PUBLIC_KEY` (403 with the reason when the signature,
its timestamp or the key is missing or wrong; nothing is recorded), parsed (400 for a body that is not
an array of events), recorded and acted on (`touches/email_event_intake.py`), and only then answered
200: SendGrid retries anything else, so an event we answered is on record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from anyio import to_thread
from litestar import MediaType, Request, Response, post
from litestar.di import NamedDependency

from leadorch.adapters.sendgrid_events import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    EventWebhookRefused,
    parse_events,
    verify,
)
from leadorch.app.bootstrap import Container
from leadorch.app.touches.email_event_intake import receive_email_events

EVENTS_PATH = "/webhooks/sendgrid/events"
MAX_BODY_BYTES = 8 * 1024 * 1024  # batches are at most a few thousand events


def email_events_url(container: Container) -> str:
    """The HTTP POST URL to give SendGrid's Event Webhook."""
    return f"{container.settings.public_base_url.rstrip('/')}{EVENTS_PATH}"


@post(
    EVENTS_PATH,
    request_max_body_size=MAX_BODY_BYTES,
    status_code=200,
    tags=["webhooks"],
    summary="Receive SendGrid's signed Event Webhook",
)
async def receive_sendgrid_events(
    request: Request[Any, Any, Any], container: NamedDependency[Container]
) -> Response[dict[str, Any]]:
    """Record what SendGrid says became of our emails; settle the uncertain ones it names."""
    key = container.settings.sendgrid_event_webhook_public_key
    if not key:
        return _answer(
            403, detail="no Event Webhook verification key is set (SENDGRID_EVENT_WEBHOOK_PUBLIC_KEY)"
        )
    body = await request.body()
    try:
        verify(
            key,
            body,
            request.headers.get(SIGNATURE_HEADER),
            request.headers.get(TIMESTAMP_HEADER),
            now=datetime.now(UTC),  # the wall clock SendGrid signed by, not a test's or demo's clock
        )
        events = parse_events(body)
    except EventWebhookRefused as refused:
        return _answer(refused.status, detail=refused.reason)
    received = await to_thread.run_sync(lambda: receive_email_events(container, events))
    return _answer(200, recorded=received.recorded, settled=received.settled)


def _answer(status_code: int, **content: Any) -> Response[dict[str, Any]]:
    return Response(content=content, status_code=status_code, media_type=MediaType.JSON)
