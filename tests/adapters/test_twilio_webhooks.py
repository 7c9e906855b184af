"""Twilio's side of the conversation: signed webhooks (checked with `validate_twilio_signature`), TwiML
replies, and the stand-in's inbound-SMS and status-callback webhooks posted over real sockets and read
by the adapter into the messaging port's `InboundSms` and `SmsDeliveryReport`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

import pytest
from litestar import Litestar, Request, Response, post

from leadorch.adapters.standins.server import RunningServer, serve_in_thread
from leadorch.adapters.standins.twilio import TwilioStandIn
from leadorch.adapters.twilio import (
    TwilioSmsSender,
    read_inbound_sms,
    read_status_callback,
    signed_by_twilio,
    twiml_reply,
    validate_twilio_signature,
)
from leadorch.ports.messaging import (
    InboundSms,
    RecipientOptedOut,
    SmsDeliveryReport,
    SmsFate,
    SmsMessage,
)

ACCOUNT_SID = "AC" + "77" * 16
AUTH_TOKEN = "webhook-test-token"
SHOP_NUMBER = "+15125550100"
JANE = "+15125550123"


def twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    """Twilio's documented scheme, written out independently: base64(HMAC-SHA1(token, url + sorted k+v))."""
    payload = url + "".join(key + params[key] for key in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()).decode()


URL = "https://app.example.com/webhooks/twilio/sms?tenant=sunshield"
PARAMS = {"From": JANE, "To": SHOP_NUMBER, "Body": "Do you tint windshields?", "MessageSid": "SM" + "ab" * 16}


def test_a_signature_made_with_the_auth_token_is_valid() -> None:
    assert validate_twilio_signature(AUTH_TOKEN, URL, PARAMS, twilio_signature(AUTH_TOKEN, URL, PARAMS))


def test_a_signature_made_with_another_token_is_forged() -> None:
    assert not validate_twilio_signature(AUTH_TOKEN, URL, PARAMS, twilio_signature("guess", URL, PARAMS))


def test_a_tampered_parameter_invalidates_the_signature() -> None:
    signature = twilio_signature(AUTH_TOKEN, URL, PARAMS)

    assert not validate_twilio_signature(AUTH_TOKEN, URL, {**PARAMS, "Body": "STOP"}, signature)


def test_a_signature_for_another_url_is_invalid() -> None:
    signature = twilio_signature(AUTH_TOKEN, URL, PARAMS)

    assert not validate_twilio_signature(AUTH_TOKEN, URL.replace("sunshield", "other"), PARAMS, signature)


def test_a_missing_signature_is_invalid() -> None:
    assert not validate_twilio_signature(AUTH_TOKEN, URL, PARAMS, "")


def test_a_request_is_signed_by_twilio_when_the_header_signs_one_of_its_urls() -> None:
    headers = {"x-twilio-signature": twilio_signature(AUTH_TOKEN, URL, PARAMS)}
    behind_proxy = "http://10.0.0.7:8000/webhooks/twilio/sms?tenant=sunshield"

    assert signed_by_twilio(AUTH_TOKEN, (behind_proxy, URL), PARAMS, headers)
    assert not signed_by_twilio(AUTH_TOKEN, (behind_proxy,), PARAMS, headers)


@pytest.mark.parametrize(
    ("token", "headers"),
    [(AUTH_TOKEN, {}), (AUTH_TOKEN, {"x-twilio-signature": ""}), ("", {"x-twilio-signature": "c2ln"})],
)
def test_a_request_without_a_signature_or_a_token_is_not_signed_by_twilio(
    token: str, headers: dict[str, str]
) -> None:
    assert not signed_by_twilio(token, (URL,), PARAMS, headers)


def test_an_inbound_message_without_a_sender_is_no_text() -> None:
    assert read_inbound_sms({**PARAMS, "From": "  "}) is None


@pytest.mark.parametrize(
    "params",
    [
        {"MessageSid": "SM1", "MessageStatus": "canceled"},  # a scheduled message cancelled: never sent
        {"MessageSid": "SM1", "MessageStatus": "partially_delivered"},  # not a status this adapter knows
        {"MessageSid": "SM1", "MessageStatus": ""},
        {"MessageSid": "", "MessageStatus": "delivered"},
        {"MessageStatus": "delivered"},
    ],
)
def test_a_status_callback_with_nothing_to_record_is_no_report(params: dict[str, str]) -> None:
    assert read_status_callback(params) is None


@pytest.mark.parametrize(
    ("status", "fate"),
    [
        ("accepted", None),
        ("scheduled", None),
        ("queued", None),
        ("sending", None),
        ("sent", None),
        ("delivered", SmsFate.DELIVERED),
        ("undelivered", SmsFate.UNDELIVERED),
        ("failed", SmsFate.FAILED),
        ("read", SmsFate.READ),
        (" Delivered ", SmsFate.DELIVERED),
    ],
)
def test_a_status_callback_says_whether_the_text_is_still_on_its_way(
    status: str, fate: SmsFate | None
) -> None:
    report = read_status_callback({"MessageSid": "SM1", "MessageStatus": status})

    assert report == SmsDeliveryReport(message_id="SM1", fate=fate)


@pytest.mark.parametrize(
    ("status", "code", "unreachable"),
    [
        ("undelivered", "30005", True),  # unknown or inactive number
        ("failed", "30006", True),  # landline or unreachable carrier
        ("undelivered", "30003", False),  # handset off: may pass later
        ("undelivered", "30008", False),
        ("delivered", "30006", False),  # a stray code on a delivered text proves nothing
    ],
)
def test_only_twilios_unreachable_number_codes_mean_the_number_cannot_receive_texts(
    status: str, code: str, unreachable: bool
) -> None:
    report = read_status_callback({"MessageSid": "SM1", "MessageStatus": status, "ErrorCode": code})

    assert report is not None
    assert (report.number_unreachable, report.error_code) == (unreachable, code)
    if unreachable:
        assert report.reason == f"the number cannot receive texts (Twilio {code})"


def test_twiml_reply_carries_the_text_escaped() -> None:
    root = ElementTree.fromstring(twiml_reply("Yes & we do <windshields> too!"))

    assert root.tag == "Response"
    assert [(child.tag, child.text) for child in root] == [("Message", "Yes & we do <windshields> too!")]


@pytest.mark.parametrize("text", [None, ""])
def test_twiml_reply_without_text_answers_nothing(text: str | None) -> None:
    root = ElementTree.fromstring(twiml_reply(text))

    assert root.tag == "Response"
    assert list(root) == []


# --- the stand-in's webhooks, received by a tiny app that checks them the way ours must ------------------


@dataclass
class Received:
    path: str
    params: dict[str, str]
    signature_valid: bool
    inbound: InboundSms | None
    report: SmsDeliveryReport | None


@dataclass
class WebhookReceiver:
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Litestar:
        receiver = self

        @post(["/sms", "/status"], status_code=200)
        async def webhook(request: Request[Any, Any, Any]) -> Response[str]:
            form = await request.form()
            params = {key: str(form.get(key)) for key in form}
            valid = signed_by_twilio(AUTH_TOKEN, (str(request.url),), params, request.headers)
            inbound = read_inbound_sms(params) if request.url.path == "/sms" else None
            report = read_status_callback(params) if request.url.path == "/status" else None
            with receiver.lock:
                receiver.received.append(Received(request.url.path, params, valid, inbound, report))
            return Response(
                twiml_reply(None), media_type="application/xml", status_code=200 if valid else 403
            )

        return Litestar(route_handlers=[webhook], openapi_config=None, logging_config=None)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[TwilioStandIn, RunningServer, WebhookReceiver, RunningServer]]:
    standin = TwilioStandIn(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, phone_numbers=[SHOP_NUMBER])
    receiver = WebhookReceiver()
    twilio_server = serve_in_thread(standin.app)
    app_server = serve_in_thread(receiver.app())
    yield standin, twilio_server, receiver, app_server
    app_server.stop()
    twilio_server.stop()


@pytest.fixture
def world(
    servers: tuple[TwilioStandIn, RunningServer, WebhookReceiver, RunningServer],
) -> tuple[TwilioStandIn, TwilioSmsSender, WebhookReceiver, str]:
    standin, twilio_server, receiver, app_server = servers
    standin.reset()
    with receiver.lock:
        receiver.received.clear()
    sender = TwilioSmsSender(ACCOUNT_SID, AUTH_TOKEN, from_number=SHOP_NUMBER, base_url=twilio_server.url)
    return standin, sender, receiver, app_server.url


def test_an_inbound_sms_arrives_signed_with_twilios_fields(
    world: tuple[TwilioStandIn, TwilioSmsSender, WebhookReceiver, str],
) -> None:
    standin, _, receiver, app_url = world

    response = standin.send_inbound_sms(
        f"{app_url}/sms", from_number=JANE, to=SHOP_NUMBER, body="Price for a Civic?"
    )

    assert response.status_code == 200
    [webhook] = receiver.received
    assert webhook.signature_valid
    assert webhook.params["From"] == JANE
    assert webhook.params["To"] == SHOP_NUMBER
    assert webhook.params["Body"] == "Price for a Civic?"
    assert webhook.params["AccountSid"] == ACCOUNT_SID
    assert webhook.params["MessageSid"].startswith("SM")
    assert webhook.inbound == InboundSms(
        provider="twilio",
        message_id=webhook.params["MessageSid"],
        from_number=JANE,
        to_number=SHOP_NUMBER,
        body="Price for a Civic?",
    )


def test_after_an_inbound_stop_twilio_refuses_to_text_the_number_until_start(
    world: tuple[TwilioStandIn, TwilioSmsSender, WebhookReceiver, str],
) -> None:
    standin, sender, _, app_url = world
    message = SmsMessage(to=JANE, body="Your quote is ready", idempotency_key="k1")

    standin.send_inbound_sms(f"{app_url}/sms", from_number=JANE, to=SHOP_NUMBER, body=" stop ")
    with pytest.raises(RecipientOptedOut):
        sender.send_sms(message)

    standin.send_inbound_sms(f"{app_url}/sms", from_number=JANE, to=SHOP_NUMBER, body="START")
    assert sender.send_sms(message).status == "queued"


def test_status_callbacks_are_posted_signed_for_messages_that_asked_for_them(
    world: tuple[TwilioStandIn, TwilioSmsSender, WebhookReceiver, str],
) -> None:
    standin, sender, receiver, app_url = world
    tracked = sender.send_sms(
        SmsMessage(to=JANE, body="Tracked", status_callback=f"{app_url}/status", idempotency_key="k2")
    )
    sender.send_sms(SmsMessage(to="+15125550124", body="Untracked", idempotency_key="k3"))

    posted = standin.deliver_status_callbacks("delivered")
    posted_again = standin.deliver_status_callbacks("delivered")

    assert (posted, posted_again) == (1, 0)
    [callback] = receiver.received
    assert callback.path == "/status"
    assert callback.signature_valid
    assert callback.params["MessageSid"] == tracked.provider_message_id
    assert callback.params["MessageStatus"] == "delivered"
    assert callback.report == SmsDeliveryReport(
        message_id=tracked.provider_message_id, fate=SmsFate.DELIVERED
    )
    assert [sms.status for sms in standin.outbox] == ["delivered", "queued"]


def test_a_status_callback_for_a_text_still_on_its_way_is_read_as_taken_but_not_ended(
    world: tuple[TwilioStandIn, TwilioSmsSender, WebhookReceiver, str],
) -> None:
    standin, sender, receiver, app_url = world
    sent = sender.send_sms(
        SmsMessage(to=JANE, body="Hi", status_callback=f"{app_url}/status", idempotency_key="k5")
    )

    standin.deliver_status_callbacks("sent")

    [callback] = receiver.received
    assert callback.signature_valid
    assert callback.report == SmsDeliveryReport(message_id=sent.provider_message_id, fate=None)


def test_a_callback_about_a_landline_reads_as_a_number_that_cannot_receive_texts(
    world: tuple[TwilioStandIn, TwilioSmsSender, WebhookReceiver, str],
) -> None:
    standin, sender, receiver, app_url = world
    sent = sender.send_sms(
        SmsMessage(to=JANE, body="Hi", status_callback=f"{app_url}/status", idempotency_key="k6")
    )

    standin.deliver_status_callbacks("undelivered", error_code=30006)

    [callback] = receiver.received
    assert callback.report == SmsDeliveryReport(
        message_id=sent.provider_message_id,
        fate=SmsFate.UNDELIVERED,
        number_unreachable=True,
        error_code="30006",
        reason="the number cannot receive texts (Twilio 30006)",
    )


def test_a_failed_delivery_callback_carries_the_error_code(
    world: tuple[TwilioStandIn, TwilioSmsSender, WebhookReceiver, str],
) -> None:
    standin, sender, receiver, app_url = world
    sender.send_sms(SmsMessage(to=JANE, body="Hi", status_callback=f"{app_url}/status", idempotency_key="k4"))

    standin.deliver_status_callbacks("undelivered", error_code=30003)

    assert receiver.received[0].params["ErrorCode"] == "30003"
    assert receiver.received[0].params["MessageStatus"] == "undelivered"
    report = receiver.received[0].report
    assert report is not None
    assert (report.fate, report.error_code, report.number_unreachable) == (
        SmsFate.UNDELIVERED,
        "30003",
        False,
    )
