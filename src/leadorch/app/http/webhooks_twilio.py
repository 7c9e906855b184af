"""Twilio's webhooks: inbound texts (`POST /webhooks/twilio/sms`) and delivery reports (`/status`).

Both are signed by Twilio (`X-Twilio-Signature`, an HMAC of the URL it requested and the form fields
with the account's auth token) and checked with the Twilio SDK's validator before anything is read:
a forged or unsigned request is 403 and changes nothing. Behind a proxy the URL Twilio requested is
the public one, so the check uses `LEADORCH_PUBLIC_BASE_URL` first and the URL as received second.

Inbound texts always get valid TwiML back: empty, or one message (a help text, or the single
confirmation of a plain-language opt-out). What a text means is decided in `app/leads/inbound.py`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

from litestar import Request, Response, post
from litestar.datastructures import MultiDict
from litestar.params import RawBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT, HTTP_403_FORBIDDEN

from leadorch.adapters.twilio import twiml_reply, validate_twilio_signature
from leadorch.app.leads.inbound import handle_inbound_sms
from leadorch.app.leads.inbound_receipts import give_back_receipt, take_receipt
from leadorch.app.messaging import twilio_auth_token
from leadorch.app.touches.delivery import record_sms_status

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
TWIML = "application/xml"


def _form(body: bytes) -> MultiDict[str]:
    return MultiDict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _genuine(request: Request[Any, Any, Any], params: MultiDict[str]) -> bool:
    """Whether Twilio signed this request (for the public URL, or the URL as received)."""
    container = request.app.state["container"]
    token = twilio_auth_token(container)
    signature = request.headers.get("x-twilio-signature", "")
    if not token or not signature:
        return False
    query = request.url.query
    public = (
        container.settings.public_base_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")
    )
    return any(validate_twilio_signature(token, url, params, signature) for url in (public, str(request.url)))


def _forbidden() -> Response[str]:
    return Response(
        content="the request is not signed by Twilio", status_code=HTTP_403_FORBIDDEN, media_type="text/plain"
    )


@post(
    "/webhooks/twilio/sms",
    sync_to_thread=True,
    request_max_body_size=MAX_BODY_BYTES,
    status_code=HTTP_200_OK,
    tags=["webhooks"],
    summary="Receive an inbound SMS from Twilio",
)
def receive_twilio_sms(request: Request[Any, Any, Any], body: RawBody) -> Response[str]:
    """Opt out / opt in / help / reply, answered with TwiML (see `app/leads/inbound.py`)."""
    params = _form(body)
    if not _genuine(request, params):
        return _forbidden()
    from_number = (params.get("From") or "").strip()
    text = params.get("Body") or ""
    if not from_number:
        return Response(content=twiml_reply(None), status_code=HTTP_200_OK, media_type=TWIML)
    container = request.app.state["container"]
    message_sid = (params.get("MessageSid") or "").strip()
    if message_sid and not take_receipt(container.db, "twilio", message_sid, container.clock.now()):
        log.info("inbound SMS %s: a re-delivery, already acted on", message_sid)
        return Response(content=twiml_reply(None), status_code=HTTP_200_OK, media_type=TWIML)
    try:
        outcome = handle_inbound_sms(
            container,
            from_number=from_number,
            body=text,
            to_number=(params.get("To") or "").strip() or None,
        )
    except Exception:
        if message_sid:
            give_back_receipt(container.db, "twilio", message_sid)
        raise
    log.info(
        "inbound SMS %s: %s for %d lead(s)%s",
        params.get("MessageSid", "?"),
        outcome.intent.value,
        len(outcome.lead_ids),
        f" ({outcome.note})" if outcome.note else "",
    )
    return Response(content=twiml_reply(outcome.answer), status_code=HTTP_200_OK, media_type=TWIML)


@post(
    "/webhooks/twilio/status",
    sync_to_thread=True,
    request_max_body_size=MAX_BODY_BYTES,
    status_code=HTTP_200_OK,
    tags=["webhooks"],
    summary="Receive an SMS delivery report from Twilio (answers 204)",
)
def receive_twilio_status(request: Request[Any, Any, Any], body: RawBody) -> Response[Any]:
    """Record the delivery status on the touch named in the (signed) callback URL's query."""
    params = _form(body)
    if not _genuine(request, params):
        return _forbidden()
    query = request.query_params
    tenant_id, schedule_id, touch = query.get("tenant"), query.get("schedule"), query.get("touch")
    sid, status = params.get("MessageSid"), params.get("MessageStatus")
    if not (tenant_id and schedule_id and touch and touch.isdigit() and sid and status):
        # A genuine callback for a message that is not a touch (e.g. a staff alert): nothing to record.
        return Response(content=b"", status_code=HTTP_204_NO_CONTENT)
    done = record_sms_status(
        request.app.state["container"],
        tenant_id=tenant_id,
        schedule_id=schedule_id,
        touch_number=int(touch),
        message_sid=sid,
        status=status,
        error_code=params.get("ErrorCode") or None,
    )
    log.info("Twilio status %s for %s touch %s: %s", status, schedule_id, touch, done)
    return Response(content=b"", status_code=HTTP_204_NO_CONTENT)


ROUTES = [receive_twilio_sms, receive_twilio_status]
