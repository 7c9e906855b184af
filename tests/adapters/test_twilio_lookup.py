"""Asking Twilio whether it took a text a dead worker may have sent: the Message list, through the
official SDK, against the stand-in's `GET …/Messages.json` (paging, filters, Twilio's day-only DateSent).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from twilio.rest import Client

from leadorch.adapters.standins.server import RunningServer, serve_in_thread
from leadorch.adapters.standins.twilio import TwilioStandIn
from leadorch.adapters.twilio import RebasedTwilioHttpClient, TwilioSmsSender
from leadorch.ports.messaging import Accepted, NotAccepted, SmsMessage, Unknown

ACCOUNT_SID = "AC" + "34cd" * 8
AUTH_TOKEN = "lookup-auth-token-0123456789"
SHOP_NUMBER = "+15125550100"
JANE = "+15125550123"
BOB = "+15125550177"
OURS = "Hi Jane, it's Sun Shield. Your quote is ready: https://go.example.com/c/x Reply STOP to opt out."


@pytest.fixture(scope="module")
def standin_server() -> Iterator[tuple[TwilioStandIn, RunningServer]]:
    standin = TwilioStandIn(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, phone_numbers=[SHOP_NUMBER])
    server = serve_in_thread(standin.app)
    yield standin, server
    server.stop()


@pytest.fixture
def standin(standin_server: tuple[TwilioStandIn, RunningServer]) -> TwilioStandIn:
    standin_server[0].reset()
    return standin_server[0]


@pytest.fixture
def sender(standin_server: tuple[TwilioStandIn, RunningServer], standin: TwilioStandIn) -> TwilioSmsSender:
    return TwilioSmsSender(
        ACCOUNT_SID, AUTH_TOKEN, from_number=SHOP_NUMBER, base_url=standin_server[1].url, timeout=5
    )


@pytest.fixture
def client(standin_server: tuple[TwilioStandIn, RunningServer]) -> Client:
    return Client(
        ACCOUNT_SID, AUTH_TOKEN, http_client=RebasedTwilioHttpClient(standin_server[1].url, timeout=5)
    )


def text(sender: TwilioSmsSender, to: str = JANE, body: str = OURS) -> str:
    return sender.send_sms(SmsMessage(to=to, body=body, idempotency_key="s:1:sms")).provider_message_id


def a_moment_ago() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=2)


def test_a_text_twilio_took_since_the_claim_is_accepted_with_its_sid(sender: TwilioSmsSender) -> None:
    since = a_moment_ago()
    sid = text(sender)

    assert sender.was_sms_accepted(to=JANE, body=OURS, since=since) == Accepted(provider_message_id=sid)


def test_a_text_still_queued_is_found_though_it_has_no_date_sent_yet(
    sender: TwilioSmsSender, client: Client
) -> None:
    since = a_moment_ago()
    sid = text(sender)

    # Twilio's DateSent filter leaves a queued message out; the look-up must not rely on it.
    assert [m.sid for m in client.messages.list(to=JANE, date_sent_after=since)] == []
    assert sender.was_sms_accepted(to=JANE, body=OURS, since=since) == Accepted(provider_message_id=sid)


def test_no_text_to_the_number_since_the_claim_is_not_accepted(sender: TwilioSmsSender) -> None:
    text(sender, to=BOB)
    text(sender, body="an older text")
    time.sleep(1.1)  # whole seconds: Twilio's date_created has no fraction

    assert sender.was_sms_accepted(to=JANE, body=OURS, since=datetime.now(UTC)) == NotAccepted()


def test_another_text_to_the_number_since_the_claim_is_unknown_never_a_no(sender: TwilioSmsSender) -> None:
    since = a_moment_ago()
    text(sender, body="Hi Jane, it's Sun Shield. Your quote is ready (smart-encoded differently)")

    answer = sender.was_sms_accepted(to=JANE, body=OURS, since=since)

    assert isinstance(answer, Unknown)
    assert "other message" in answer.reason


def test_a_lookup_outage_is_unknown(sender: TwilioSmsSender, standin: TwilioStandIn) -> None:
    text(sender)
    standin.fail_lookups(503)

    answer = sender.was_sms_accepted(to=JANE, body=OURS, since=a_moment_ago())

    assert isinstance(answer, Unknown)
    assert "could not list" in answer.reason


def test_the_sdk_pages_through_the_list_by_next_page_uri_newest_first(
    sender: TwilioSmsSender, client: Client
) -> None:
    sids = [text(sender, body=f"text {n}") for n in range(5)]
    text(sender, to=BOB)

    page = client.messages.page(to=JANE, page_size=2)
    listed = client.messages.list(to=JANE, page_size=2)

    assert len(list(page)) == 2 and page.next_page_url is not None
    assert {m.sid for m in listed} == set(sids)
    assert [m.date_created for m in listed] == sorted((m.date_created for m in listed), reverse=True)


def test_date_sent_compares_days_and_ignores_the_time(sender: TwilioSmsSender, client: Client) -> None:
    sid = text(sender)
    time.sleep(1.1)  # sent now, so it has a date_sent
    later_today = datetime.now(UTC).replace(hour=23, minute=59, second=0)
    tomorrow = datetime.now(UTC) + timedelta(days=1)

    assert [m.sid for m in client.messages.list(to=JANE, date_sent_after=later_today)] == [sid]
    assert client.messages.list(to=JANE, date_sent_after=tomorrow) == []
