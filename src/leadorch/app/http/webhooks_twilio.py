"""Twilio's webhooks: inbound texts (`POST /webhooks/twilio/sms`) and delivery reports (`/status`).

Both are signed by Twilio (an HMAC of the URL it requested and the form fields with the account's auth
token) and checked by the Twilio adapter before anything is read: a forged or unsigned request is 403
and changes nothing. Behind a proxy the URL Twilio requested is the public one, so the check accepts
`LEADORCH_PUBLIC_BASE_URL` first and the URL as received second. The adapter also reads the form into
the messaging port's values (`InboundSms`, `SmsDeliveryReport`): no Twilio field name is read here.

Inbound texts always get valid TwiML back: empty, or one message (a help text, or the single
confirmation of a plain-language opt-out). What a text means is decided in `app/leads/inbound.py`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from litestar import Request, Response, post
from litestar.datastructures import MultiDict
from litestar.params import RawBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT, HTTP_403_FORBIDDEN

from leadorch.adapters.twilio import read_inbound_sms, read_status_callback, signed_by_twilio, twiml_reply
from leadorch.app.leads.inbound import handle_inbound_sms
from leadorch.app.leads.inbound_receipts import give_back_receipt, take_receipt
from leadorch.app.messaging import twilio_auth_token
from leadorch.app.touches.delivery import record_sms_status

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
TWIML = "application/xml"


def _form(body: bytes) -> MultiDict[str]:
    return MultiDict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _genuine(request: Request[Any, Any, Any], params: MultiDict[str]) -> bool:
    """Whether Twilio signed this request (for the public URL, or the URL as received)."""
    container: Container = request.app.state["container"]
    token = twilio_auth_token(container)
    if not token:
        return False
    query = request.url.query
    public = (
        container.settings.public_base_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")
    )
    return signed_by_twilio(token, (public, str(request.url)), params, request.headers)


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
    sms = read_inbound_sms(params)
    if sms is None:
        return Response(content=twiml_reply(None), status_code=HTTP_200_OK, media_type=TWIML)
    container: Container = request.app.state["container"]
    message_id = sms.message_id
    if message_id and not take_receipt(container.db, sms.provider, message_id, container.clock.now()):
        log.info("inbound SMS %s: a re-delivery, already acted on", message_id)
        return Response(content=twiml_reply(None), status_code=HTTP_200_OK, media_type=TWIML)
    try:
        outcome = handle_inbound_sms(
            container, from_number=sms.from_number, body=sms.body, to_number=sms.to_number
        )
    except Exception:
        if message_id:
            give_back_receipt(container.db, sms.provider, message_id)
        raise
    log.info(
        "inbound SMS %s: %s for %d lead(s)%s",
        message_id or "?",
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
    # Our own query, from the callback URL the touch was sent with (`app/touches/compose.py`).
    query = request.query_params
    tenant_id, schedule_id, touch = query.get("tenant"), query.get("schedule"), query.get("touch")
    if not (tenant_id and schedule_id and touch and touch.isdigit()):
        # A genuine callback for a message that is not a touch (e.g. a staff alert): nothing to record.
        return Response(content=b"", status_code=HTTP_204_NO_CONTENT)
    report = read_status_callback(params)
    if report is None:
        log.info("SMS status callback for %s touch %s: nothing to record", schedule_id, touch)
        return Response(content=b"", status_code=HTTP_204_NO_CONTENT)
    done = record_sms_status(
        request.app.state["container"],
        tenant_id=tenant_id,
        schedule_id=schedule_id,
        touch_number=int(touch),
        report=report,
    )
    log.info(
        "SMS delivery report %s for %s touch %s: %s", report.fate or "on its way", schedule_id, touch, done
    )
    return Response(content=b"", status_code=HTTP_204_NO_CONTENT)
