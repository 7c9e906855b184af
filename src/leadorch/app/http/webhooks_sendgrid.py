"""`POST /webhooks/sendgrid/inbound`: customers' emailed replies, from SendGrid's Inbound Parse.

SendGrid posts each received email as a multipart form. Inbound Parse cannot sign its requests, so the
URL configured in SendGrid carries a key derived from `LEADORCH_SECRET_KEY`
(`/webhooks/sendgrid/inbound?key=…`, printed by `inbound_parse_url`); a request without it is 403
and changes nothing. A readable reply is matched to its lead by the sender's address and recorded
like an SMS reply (`app/leads/inbound.py`); an auto-reply (out-of-office, bounce) is only recorded, and
answered `{"intent": "auto_reply", "auto_reply": kind}`. SendGrid retries anything but a 2xx for days, so an email
we cannot use is still answered 200 and only logged.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from litestar import MediaType, Request, Response, post
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK, HTTP_403_FORBIDDEN

from leadorch.adapters.sendgrid_inbound import MalformedInboundEmail, parse_inbound_email
from leadorch.app.bootstrap import Container
from leadorch.app.leads.inbound import email_thread, handle_inbound_email

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 20 * 1024 * 1024  # SendGrid's own limit for a parsed message is 30 MB with attachments
INBOUND_PATH = "/webhooks/sendgrid/inbound"
KEY_PURPOSE = "sendgrid-inbound-parse"


def inbound_parse_url(container: Container) -> str:
    """The URL to configure as the Inbound Parse destination in SendGrid."""
    key = container.links.webhook_key(KEY_PURPOSE)
    return f"{container.settings.public_base_url.rstrip('/')}{INBOUND_PATH}?key={key}"


def _answer(status_code: int, **content: str) -> Response[dict[str, str]]:
    return Response(content=content, status_code=status_code, media_type=MediaType.JSON)


@post(
    INBOUND_PATH,
    request_max_body_size=MAX_BODY_BYTES,
    status_code=HTTP_200_OK,
    tags=["webhooks"],
    summary="Receive an emailed reply from SendGrid Inbound Parse",
)
async def receive_inbound_email(
    request: Request[Any, Any, Any], container: NamedDependency[Container]
) -> Response[dict[str, str]]:
    """Record the reply (or the opt-out written in it) on the sender's lead."""
    expected = container.links.webhook_key(KEY_PURPOSE)
    given = request.query_params.get("key") or ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return _answer(HTTP_403_FORBIDDEN, detail="unknown inbound parse key")
    form = await request.form()
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    try:
        email = parse_inbound_email(fields)
    except MalformedInboundEmail as error:
        log.warning("inbound email not usable: %s", error)
        return _answer(HTTP_200_OK, status="ignored", detail=str(error))
    from anyio import to_thread

    outcome = await to_thread.run_sync(
        lambda: handle_inbound_email(
            container,
            from_email=email.from_email,
            text=email.text or email.full_text,
            headers=email.headers,
            subject=email.subject,
            null_sender=email.null_sender,
            thread=email_thread(email.message_id, email.references, email.subject),
        )
    )
    status = "recorded" if outcome.lead_ids else "unmatched"
    log.info("inbound email from a lead: %s, %s %s", outcome.intent.value, status, outcome.note)
    if outcome.auto_reply is not None:
        return _answer(
            HTTP_200_OK, status=status, intent="auto_reply", auto_reply=outcome.auto_reply.kind.value
        )
    return _answer(HTTP_200_OK, status=status, intent=outcome.intent.value)
