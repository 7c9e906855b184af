"""`TwilioSmsSender` drives the official Twilio SDK against the Twilio stand-in on a real socket.

Retry policy under test: one `send_sms` is one HTTP attempt (no SDK retries are configured); the caller
retries after a `TransientDeliveryError`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from leadorch.adapters.standins.server import RunningServer, free_port, serve_in_thread
from leadorch.adapters.standins.twilio import TwilioStandIn
from leadorch.adapters.twilio import TwilioSmsSender
from leadorch.ports.messaging import (
    DeliveryError,
    DeliveryUnconfirmed,
    PermanentDeliveryError,
    ProviderRefusedCredentials,
    RecipientOptedOut,
    SenderRefused,
    SmsMessage,
    TransientDeliveryError,
)

ACCOUNT_SID = "AC" + "12ab" * 8
AUTH_TOKEN = "test-auth-token-0123456789"
SHOP_NUMBER = "+15125550100"
OTHER_SHOP_NUMBER = "+15125550199"
SERVICE_SID = "MG" + "0f" * 16
JANE = "+15125550123"


@pytest.fixture(scope="module")
def standin_server() -> Iterator[tuple[TwilioStandIn, RunningServer]]:
    standin = TwilioStandIn(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        phone_numbers=[SHOP_NUMBER, OTHER_SHOP_NUMBER],
        messaging_service_sids=[SERVICE_SID],
    )
    server = serve_in_thread(standin.app)
    yield standin, server
    server.stop()


@pytest.fixture
def standin(standin_server: tuple[TwilioStandIn, RunningServer]) -> TwilioStandIn:
    standin_server[0].reset()
    return standin_server[0]


@pytest.fixture
def base_url(standin_server: tuple[TwilioStandIn, RunningServer]) -> str:
    return standin_server[1].url


@pytest.fixture
def sender(base_url: str, standin: TwilioStandIn) -> TwilioSmsSender:
    return TwilioSmsSender(ACCOUNT_SID, AUTH_TOKEN, from_number=SHOP_NUMBER, base_url=base_url, timeout=5)


def sms(to: str = JANE, **changes: object) -> SmsMessage:
    fields: dict[str, object] = {
        "to": to,
        "body": "Hi Jane, it's Sun Shield. Get your price: https://go.example.com/c/x Reply STOP to opt out.",
        "idempotency_key": "lead-42:touch-1:sms",
    }
    fields.update(changes)
    return SmsMessage(**fields)  # type: ignore[arg-type]


def test_an_accepted_sms_returns_twilios_message_sid_and_status(
    sender: TwilioSmsSender, standin: TwilioStandIn
) -> None:
    receipt = sender.send_sms(sms(status_callback="https://app.example.com/webhooks/twilio/status"))

    [sent] = standin.outbox
    assert receipt.provider == "twilio"
    assert receipt.provider_message_id == sent.sid
    assert receipt.provider_message_id.startswith("SM") and len(receipt.provider_message_id) == 34
    assert receipt.status == "queued"
    assert (sent.to, sent.from_number, sent.messaging_service_sid) == (JANE, SHOP_NUMBER, None)
    assert sent.body == sms().body
    assert sent.status_callback == "https://app.example.com/webhooks/twilio/status"
    assert sent.account_sid == ACCOUNT_SID


def test_a_messaging_service_sends_without_a_from_number(base_url: str, standin: TwilioStandIn) -> None:
    sender = TwilioSmsSender(ACCOUNT_SID, AUTH_TOKEN, messaging_service_sid=SERVICE_SID, base_url=base_url)

    receipt = sender.send_sms(sms())

    [sent] = standin.outbox
    assert (sent.from_number, sent.messaging_service_sid) == (None, SERVICE_SID)
    assert receipt.status == "accepted"


def test_the_message_may_name_its_own_sender(sender: TwilioSmsSender, standin: TwilioStandIn) -> None:
    sender.send_sms(sms(from_number=OTHER_SHOP_NUMBER))

    assert standin.outbox[0].from_number == OTHER_SHOP_NUMBER


@pytest.mark.parametrize(
    "sender_fields",
    [{"from_number": "+15125550142"}, {"messaging_service_sid": "MG" + "ab" * 16}],
)
def test_a_sender_twilio_refuses_is_sender_refused_not_the_recipients_fault(
    sender: TwilioSmsSender, standin: TwilioStandIn, sender_fields: dict[str, str]
) -> None:
    with pytest.raises(SenderRefused) as refused:
        sender.send_sms(sms(**sender_fields))

    assert refused.value.code in ("21606", "21701")
    assert refused.value.retriable
    assert not isinstance(refused.value, PermanentDeliveryError)


def test_a_message_without_any_sender_is_refused_before_calling_twilio(
    base_url: str, standin: TwilioStandIn
) -> None:
    sender = TwilioSmsSender(ACCOUNT_SID, AUTH_TOKEN, base_url=base_url)

    with pytest.raises(ValueError, match="no sender"):
        sender.send_sms(sms())
    assert standin.calls == 0


def test_an_unsubscribed_recipient_is_recipient_opted_out(
    sender: TwilioSmsSender, standin: TwilioStandIn
) -> None:
    standin.reject_recipient(JANE, code=21610)

    with pytest.raises(RecipientOptedOut) as caught:
        sender.send_sms(sms())

    error = caught.value
    assert isinstance(error, PermanentDeliveryError)
    assert (error.code, error.retriable) == ("21610", False)
    assert "unsubscribed recipient" in error.reason
    assert standin.outbox == []


@pytest.mark.parametrize(
    ("code", "words"), [(21211, "Invalid 'To' Phone Number"), (21614, "not a valid mobile")]
)
def test_an_invalid_recipient_is_a_permanent_error(
    sender: TwilioSmsSender, standin: TwilioStandIn, code: int, words: str
) -> None:
    standin.reject_recipient(JANE, code=code)

    with pytest.raises(PermanentDeliveryError) as caught:
        sender.send_sms(sms())

    assert not isinstance(caught.value, RecipientOptedOut)
    assert caught.value.code == str(code)
    assert words in caught.value.reason


def test_a_number_that_is_not_e164_is_refused_by_twilio_as_invalid(sender: TwilioSmsSender) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        sender.send_sms(sms(to="512-555-0123"))

    assert caught.value.code == "21211"


def test_wrong_credentials_are_our_credentials_refused_not_the_recipients_fault(
    base_url: str, standin: TwilioStandIn
) -> None:
    sender = TwilioSmsSender(ACCOUNT_SID, "not-the-token", from_number=SHOP_NUMBER, base_url=base_url)

    with pytest.raises(ProviderRefusedCredentials) as caught:
        sender.send_sms(sms())

    assert caught.value.code == "20003"
    assert caught.value.provider == "twilio"
    assert standin.outbox == []


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_transient(sender: TwilioSmsSender, standin: TwilioStandIn, status: int) -> None:
    standin.fail_next(status=status)

    with pytest.raises(TransientDeliveryError) as caught:
        sender.send_sms(sms())

    assert caught.value.retriable is True
    assert standin.outbox == []


def test_rate_limiting_is_transient(sender: TwilioSmsSender, standin: TwilioStandIn) -> None:
    standin.fail_next(status=429)

    with pytest.raises(TransientDeliveryError) as caught:
        sender.send_sms(sms())

    assert caught.value.code == "20429"


def test_one_send_is_one_attempt_and_the_caller_retries_after_a_transient_error(
    sender: TwilioSmsSender, standin: TwilioStandIn
) -> None:
    standin.fail_next(1, status=500)

    errors: list[DeliveryError] = []
    receipt = None
    for _ in range(3):  # the caller's retry policy
        try:
            receipt = sender.send_sms(sms())
            break
        except DeliveryError as error:
            errors.append(error)
            if not error.retriable:
                raise

    assert [type(error) for error in errors] == [TransientDeliveryError]
    assert standin.calls == 2
    assert receipt is not None
    assert [sent.sid for sent in standin.outbox] == [receipt.provider_message_id]


def test_a_read_timeout_is_unconfirmed_and_never_retried(base_url: str, standin: TwilioStandIn) -> None:
    standin.stall_next(1.0)
    sender = TwilioSmsSender(ACCOUNT_SID, AUTH_TOKEN, from_number=SHOP_NUMBER, base_url=base_url, timeout=0.2)

    with pytest.raises(DeliveryUnconfirmed) as caught:
        sender.send_sms(sms())

    assert not caught.value.retriable
    deadline = time.monotonic() + 5
    while not standin.outbox and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(standin.outbox) == 1  # Twilio took it: a retry would have texted the customer twice


def test_an_unreachable_twilio_is_transient() -> None:
    sender = TwilioSmsSender(
        ACCOUNT_SID,
        AUTH_TOKEN,
        from_number=SHOP_NUMBER,
        base_url=f"http://127.0.0.1:{free_port()}",
        timeout=2,
    )

    with pytest.raises(TransientDeliveryError):
        sender.send_sms(sms())


def test_long_and_unicode_bodies_arrive_intact_with_twilios_segment_count(
    sender: TwilioSmsSender, standin: TwilioStandIn
) -> None:
    body = "Thanks Zoë! See you Tuesday 😀 " + "x" * 120

    sender.send_sms(sms(body=body))

    [sent] = standin.outbox
    assert sent.body == body
    assert sent.num_segments == 3  # UCS-2: 151 units (the emoji is two), 67 per part


@pytest.mark.parametrize(
    ("args", "kwargs", "problem"),
    [
        (("", AUTH_TOKEN), {}, "account_sid is empty"),
        ((ACCOUNT_SID, ""), {}, "auth_token is empty"),
        ((ACCOUNT_SID, AUTH_TOKEN), {"timeout": 0}, "timeout must be positive"),
        ((ACCOUNT_SID, AUTH_TOKEN), {"base_url": "127.0.0.1:8000"}, "base_url must be an http"),
    ],
)
def test_bad_configuration_is_refused_at_construction(
    args: tuple[str, str], kwargs: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        TwilioSmsSender(*args, **kwargs)  # type: ignore[arg-type]


def test_a_credentials_check_fetches_the_account_and_sends_nothing(
    sender: TwilioSmsSender, standin: TwilioStandIn
) -> None:
    sender.check_sms_credentials()

    assert (standin.account_fetches, standin.calls, standin.outbox) == (1, 0, [])


def test_a_credentials_check_with_a_wrong_token_is_our_credentials_refused(
    base_url: str, standin: TwilioStandIn
) -> None:
    sender = TwilioSmsSender(ACCOUNT_SID, "not-the-token", from_number=SHOP_NUMBER, base_url=base_url)

    with pytest.raises(ProviderRefusedCredentials) as refused:
        sender.check_sms_credentials()

    assert (refused.value.provider, refused.value.code) == ("twilio", "20003")
    assert refused.value.reason == "Twilio: Authenticate"


def test_a_suspended_account_is_our_credentials_refused(
    sender: TwilioSmsSender, standin: TwilioStandIn
) -> None:
    standin.account_status = "suspended"

    with pytest.raises(ProviderRefusedCredentials, match="the account is suspended"):
        sender.check_sms_credentials()


def test_a_credentials_check_of_an_unreachable_twilio_is_transient() -> None:
    sender = TwilioSmsSender(ACCOUNT_SID, AUTH_TOKEN, base_url=f"http://127.0.0.1:{free_port()}", timeout=2)

    with pytest.raises(TransientDeliveryError):
        sender.check_sms_credentials()
