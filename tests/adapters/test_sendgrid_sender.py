"""`SendGridEmailSender` drives the official SendGrid SDK against the SendGrid stand-in on a real socket.

Retry policy under test: the adapter makes exactly one HTTP attempt per `send_email` (the SDK has no
retries); a `TransientDeliveryError` tells the caller it may try again, which the caller does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from leadorch.adapters.sendgrid import SendGridEmailSender
from leadorch.adapters.standins.sendgrid import SendGridStandIn
from leadorch.adapters.standins.server import RunningServer, free_port, serve_in_thread
from leadorch.ports.messaging import (
    DeliveryError,
    DeliveryUnconfirmed,
    EmailMessage,
    PermanentDeliveryError,
    ProviderRefusedCredentials,
    RecipientOptedOut,
    TransientDeliveryError,
)


@pytest.fixture(scope="module")
def standin_server() -> Iterator[tuple[SendGridStandIn, RunningServer]]:
    standin = SendGridStandIn(api_key="SG.test-key.for-the-standin")
    server = serve_in_thread(standin.app)
    yield standin, server
    server.stop()


@pytest.fixture
def standin(standin_server: tuple[SendGridStandIn, RunningServer]) -> SendGridStandIn:
    standin_server[0].reset()
    return standin_server[0]


@pytest.fixture
def sender(standin_server: tuple[SendGridStandIn, RunningServer]) -> SendGridEmailSender:
    standin, server = standin_server
    return SendGridEmailSender(standin.api_key, host=server.url, timeout=5)


def message(to: str = "jane.doe@example.com", **changes: object) -> EmailMessage:
    fields: dict[str, object] = {
        "to": to,
        "to_name": "Jane Doe",
        "from_email": "hello@sunshieldtint.example",
        "from_name": "Sun Shield Window Tint",
        "reply_to": "reply+lead-42@parse.sunshieldtint.example",
        "subject": "Your tint quote for the 2021 Toyota Camry",
        "text": "Hi Jane, here is your quote.",
        "html": "<p>Hi Jane, here is your quote.</p>",
        "headers": {
            "List-Unsubscribe": "<https://go.example.com/unsubscribe/tok>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        "custom_args": {"tenant": "tenant-1", "lead": "lead-42", "touch": "1"},
        "categories": ["touch-1"],
        "idempotency_key": "lead-42:touch-1:email",
    }
    fields.update(changes)
    return EmailMessage(**fields)  # type: ignore[arg-type]


def test_an_accepted_email_returns_sendgrids_message_id(
    sender: SendGridEmailSender, standin: SendGridStandIn
) -> None:
    receipt = sender.send_email(message())

    [sent] = standin.outbox
    assert receipt.provider == "sendgrid"
    assert receipt.status == "accepted"
    assert receipt.provider_message_id == sent.message_id
    assert len(sent.message_id) == 22


def test_the_request_carries_every_part_of_the_message(
    sender: SendGridEmailSender, standin: SendGridStandIn
) -> None:
    sender.send_email(message())

    [sent] = standin.outbox
    assert sent.to == ["jane.doe@example.com"]
    assert sent.body["personalizations"][0]["to"] == [{"email": "jane.doe@example.com", "name": "Jane Doe"}]
    assert (sent.from_email, sent.from_name) == ("hello@sunshieldtint.example", "Sun Shield Window Tint")
    assert sent.reply_to == "reply+lead-42@parse.sunshieldtint.example"
    assert sent.subject == "Your tint quote for the 2021 Toyota Camry"
    assert [block["type"] for block in sent.body["content"]] == ["text/plain", "text/html"]
    assert (sent.text, sent.html) == ("Hi Jane, here is your quote.", "<p>Hi Jane, here is your quote.</p>")
    assert sent.headers == {
        "List-Unsubscribe": "<https://go.example.com/unsubscribe/tok>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert sent.custom_args == {
        "tenant": "tenant-1",
        "lead": "lead-42",
        "touch": "1",
        "idempotency_key": "lead-42:touch-1:email",
    }
    assert sent.categories == ["touch-1"]


def test_threading_headers_reach_sendgrid_as_given(
    sender: SendGridEmailSender, standin: SendGridStandIn
) -> None:
    threading = {
        "In-Reply-To": "<reply-2@mail.example.com>",
        "References": "<touch-1@x> <reply-2@mail.example.com>",
    }

    sender.send_email(message(headers=threading))

    [sent] = standin.outbox
    assert sent.headers == threading


@pytest.mark.parametrize("name", ["Reply-To", "subject", "CC", "Content-Type", "DKIM-Signature", "x-sg-id"])
def test_a_header_sendgrid_reserves_is_refused_for_good_and_nothing_is_sent(
    sender: SendGridEmailSender, standin: SendGridStandIn, name: str
) -> None:
    with pytest.raises(PermanentDeliveryError, match="reserved"):
        sender.send_email(message(headers={name: "x"}))

    assert standin.outbox == []


def test_a_recipient_without_a_name_is_sent_as_a_bare_address(
    sender: SendGridEmailSender, standin: SendGridStandIn
) -> None:
    sender.send_email(message(to_name=None, reply_to=None))

    [sent] = standin.outbox
    assert sent.body["personalizations"][0]["to"] == [{"email": "jane.doe@example.com"}]
    assert sent.reply_to is None


def test_a_wrong_api_key_is_our_credentials_refused_not_the_recipients_fault(
    standin_server: tuple[SendGridStandIn, RunningServer],
) -> None:
    standin, server = standin_server
    standin.reset()
    with pytest.raises(ProviderRefusedCredentials) as caught:
        SendGridEmailSender("SG.wrong.key", host=server.url).send_email(message())

    assert caught.value.code == "401"
    assert caught.value.provider == "sendgrid"
    assert "authorization grant is invalid" in caught.value.reason
    assert standin.outbox == []


def test_a_rejected_address_is_a_permanent_error_with_sendgrids_explanation(
    sender: SendGridEmailSender, standin: SendGridStandIn
) -> None:
    standin.reject_address("bounced@example.com", "The email address has been bounced.")

    with pytest.raises(PermanentDeliveryError) as caught:
        sender.send_email(message(to="bounced@example.com"))

    error = caught.value
    assert not isinstance(error, RecipientOptedOut)
    assert (error.code, error.retriable) == ("400", False)
    assert "The email address has been bounced." in error.reason
    assert "personalizations.0.to.0.email" in error.reason
    assert standin.outbox == []


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_transient(
    sender: SendGridEmailSender, standin: SendGridStandIn, status: int
) -> None:
    standin.fail_next(status=status)

    with pytest.raises(TransientDeliveryError) as caught:
        sender.send_email(message())

    assert (caught.value.code, caught.value.retriable) == (str(status), True)
    assert standin.outbox == []


def test_rate_limiting_is_transient(sender: SendGridEmailSender, standin: SendGridStandIn) -> None:
    standin.fail_next(status=429)

    with pytest.raises(TransientDeliveryError) as caught:
        sender.send_email(message())

    assert caught.value.code == "429"
    assert "too many requests" in caught.value.reason


def test_one_send_is_one_attempt_and_the_caller_retries_after_a_transient_error(
    sender: SendGridEmailSender, standin: SendGridStandIn
) -> None:
    standin.fail_next(1, status=500)
    msg = message()

    attempts: list[DeliveryError] = []
    receipt = None
    for _ in range(3):  # the caller's retry policy, as a worker would apply it
        try:
            receipt = sender.send_email(msg)
            break
        except DeliveryError as error:
            attempts.append(error)
            if not error.retriable:
                raise

    assert [type(error) for error in attempts] == [TransientDeliveryError]
    assert standin.calls == 2
    assert receipt is not None
    assert [sent.message_id for sent in standin.outbox] == [receipt.provider_message_id]


def test_a_timeout_after_the_request_was_sent_is_unconfirmed_not_retriable(
    standin_server: tuple[SendGridStandIn, RunningServer],
) -> None:
    standin, server = standin_server
    standin.reset()
    standin.stall_next(1.0)

    with pytest.raises(DeliveryUnconfirmed) as caught:
        SendGridEmailSender(standin.api_key, host=server.url, timeout=0.2).send_email(message())

    assert not caught.value.retriable
    # Why it must not be retried: the provider took the message anyway.
    deadline = time.monotonic() + 5
    while not standin.outbox and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(standin.outbox) == 1


def test_an_unreachable_sendgrid_is_transient() -> None:
    sender = SendGridEmailSender("SG.key.x", host=f"http://127.0.0.1:{free_port()}", timeout=2)

    with pytest.raises(TransientDeliveryError):
        sender.send_email(message())


def test_an_empty_api_key_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="api_key is empty"):
        SendGridEmailSender("")


def test_a_non_positive_timeout_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="timeout must be positive"):
        SendGridEmailSender("SG.key.x", timeout=0)


def test_a_credentials_check_lists_the_keys_scopes_and_sends_nothing(
    sender: SendGridEmailSender, standin: SendGridStandIn
) -> None:
    sender.check_email_credentials()

    assert (standin.scope_checks, standin.calls, standin.outbox) == (1, 0, [])


def test_a_credentials_check_with_a_revoked_key_is_our_credentials_refused(
    standin_server: tuple[SendGridStandIn, RunningServer], standin: SendGridStandIn
) -> None:
    sender = SendGridEmailSender("SG.revoked", host=standin_server[1].url)

    with pytest.raises(ProviderRefusedCredentials) as refused:
        sender.check_email_credentials()

    assert (refused.value.provider, refused.value.code) == ("sendgrid", "401")


def test_a_key_that_may_not_send_mail_is_our_credentials_refused(
    sender: SendGridEmailSender, standin: SendGridStandIn
) -> None:
    standin.scopes = ["alerts.read", "stats.read"]

    with pytest.raises(ProviderRefusedCredentials, match=r"lacks the mail\.send scope"):
        sender.check_email_credentials()


def test_a_credentials_check_of_an_unreachable_sendgrid_is_transient() -> None:
    sender = SendGridEmailSender("SG.key.x", host=f"http://127.0.0.1:{free_port()}", timeout=2)

    with pytest.raises(TransientDeliveryError):
        sender.check_email_credentials()
