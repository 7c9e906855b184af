"""SendGrid's Signed Event Webhook: the stand-in signs and shapes batches as SendGrid does, and our
verifier (the SDK's ECDSA check) takes exactly what SendGrid signed."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from leadorch.adapters.sendgrid_events import EventWebhookRefused, parse_events, verify
from leadorch.adapters.standins.sendgrid import AcceptedEmail
from leadorch.adapters.standins.sendgrid_events import EventWebhookPoster

KEY = "0b6f4c2e-4a86-4d35-9a59-2b1b6f1c9d11:1:email"


def a_mail() -> AcceptedEmail:
    return AcceptedEmail(
        message_id="14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        to=["maya@example.com"],
        from_email="hello@shop.example.com",
        from_name="Shop",
        reply_to=None,
        subject="Your tint quote",
        text="Hi",
        html=None,
        headers={},
        custom_args={"idempotency_key": KEY, "tenant_id": "tintworld"},
        categories=["touch"],
        body={},
    )


def signed() -> tuple[EventWebhookPoster, bytes, dict[str, str]]:
    poster = EventWebhookPoster("http://unused")
    body = poster.batch(poster.events_for(a_mail()))
    return poster, body, poster.headers(body)


def check(poster: EventWebhookPoster, body: bytes, headers: dict[str, str]) -> None:
    verify(
        poster.public_key,
        body,
        headers.get("X-Twilio-Email-Event-Webhook-Signature"),
        headers.get("X-Twilio-Email-Event-Webhook-Timestamp"),
        now=datetime.now(UTC),
    )


def test_a_batch_is_an_array_of_processed_and_delivered_events_with_our_custom_args_at_the_top_level() -> (
    None
):
    poster, body, headers = signed()

    check(poster, body, headers)  # signed as SendGrid signs: accepted
    events = json.loads(body)
    assert sorted(event["event"] for event in events) == ["delivered", "processed"]
    assert all(event["idempotency_key"] == KEY and event["tenant_id"] == "tintworld" for event in events)
    assert all(event["email"] == "maya@example.com" and event["sg_message_id"] for event in events)
    assert len({event["sg_event_id"] for event in events}) == 2
    parsed = parse_events(body)
    assert {event.event for event in parsed} == {"processed", "delivered"}
    assert all(event.means_accepted and event.idempotency_key == KEY for event in parsed)


def test_a_later_batch_repeats_an_event_sent_before_as_the_real_webhook_may() -> None:
    poster, first, _ = signed()
    second = poster.batch(poster.events_for(a_mail()))

    first_ids = {event["sg_event_id"] for event in json.loads(first)}
    assert len(json.loads(second)) == 3
    assert first_ids & {event["sg_event_id"] for event in json.loads(second)}


def test_a_tampered_body_another_key_a_stale_or_missing_signature_is_refused() -> None:
    poster, body, headers = signed()
    stranger = EventWebhookPoster("http://unused")
    stale = poster.headers(body, timestamp=int(time.time()) - 3600)
    other_body = body.replace(b"processed", b"dropped")
    tampered = poster.headers(other_body, sign_with=body)

    cases = [
        (stranger, body, headers, "does not match"),
        (poster, other_body, tampered, "does not match"),
        (poster, body, stale, "too old"),
        (poster, body, {}, "headers are required"),
        (
            poster,
            body,
            {**headers, "X-Twilio-Email-Event-Webhook-Signature": "bm90LWEtc2lnbmF0dXJl"},
            "signature",
        ),
    ]
    for who, payload, sent_headers, reason in cases:
        with pytest.raises(EventWebhookRefused, match=reason) as refused:
            check(who, payload, sent_headers)
        assert refused.value.status == 403


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{", "not JSON"),
        (b'{"event": "processed"}', "array of events"),
        (b"[1]", "not an object"),
        (b'[{"event": "processed", "timestamp": 1}]', "sg_event_id"),
        (b'[{"event": "processed", "sg_event_id": "x", "timestamp": "soon"}]', "Unix timestamp"),
    ],
)
def test_a_body_that_is_not_an_array_of_events_is_a_400_naming_the_problem(body: bytes, reason: str) -> None:
    with pytest.raises(EventWebhookRefused, match=reason) as refused:
        parse_events(body)
    assert refused.value.status == 400
