"""Customers answering: texts (STOP, START, HELP, plain words), delivery reports, emailed replies, unsubscribe.

Each webhook is exercised through the HTTP app with Twilio's real signature scheme (computed by the
SDK's validator with the stand-in's auth token); what changes is read back from the event store.
"""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import uuid4
from xml.etree import ElementTree

import msgspec
import pytest
from litestar.testing import TestClient
from tests.support.touch_world import SHOP_NUMBER, TouchWorld
from twilio.request_validator import RequestValidator

from leadorch.app.http.app import create_app
from leadorch.app.http.webhooks_sendgrid import inbound_parse_url
from leadorch.app.links import UNSUBSCRIBE_LIFETIME
from leadorch.app.touches.sweep import STALE_CLAIM_AFTER, sweep_stale_claims
from leadorch.domain.touches import TouchOutcome
from leadorch.domain.values import Channel, LeadStatus

PUBLIC = "https://leads.sunshield.example.com"


def signed_post(
    client: TestClient, world: TouchWorld, path: str, params: dict[str, str], *, token: str | None = None
):
    token = token or world.providers.twilio.auth_token
    signature = RequestValidator(token).compute_signature(PUBLIC + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def text_from(
    client: TestClient, world: TouchWorld, body: str, number: str | None = None, *, sid: str | None = None
):
    params = {
        "From": number or world.phone,
        "To": SHOP_NUMBER,
        "Body": body,
        "MessageSid": sid or "SM" + uuid4().hex,
        "AccountSid": "AC1",
    }
    return signed_post(client, world, "/webhooks/twilio/sms", params)


def twiml_messages(response_text: str) -> list[str]:
    root = ElementTree.fromstring(response_text)
    assert root.tag == "Response"
    return [message.text or "" for message in root.iter("Message")]


def started_lead(world: TouchWorld) -> tuple[str, str]:
    lead_id, schedule_id = world.new_lead()
    world.dispatch(schedule_id)
    world.catch_up()
    return lead_id, schedule_id


# -- texts ------------------------------------------------------------------------------------------------


def test_a_forged_text_is_refused_and_changes_nothing(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    lead_id, _ = started_lead(touch_world)
    params = {"From": touch_world.phone, "To": SHOP_NUMBER, "Body": "STOP"}

    forged = signed_post(
        touch_client, touch_world, "/webhooks/twilio/sms", params, token="not-the-auth-token"
    )
    unsigned = touch_client.post("/webhooks/twilio/sms", data=params)

    assert (forged.status_code, unsigned.status_code) == (403, 403)
    assert touch_world.lead(lead_id).can_contact(Channel.SMS)


@pytest.mark.parametrize("keyword", ["STOP", " stop ", "Unsubscribe", "QUIT", "optout", "Revoke"])
def test_carrier_keywords_opt_out_of_sms_with_no_reply_of_our_own(
    touch_world: TouchWorld, touch_client: TestClient, keyword: str
) -> None:
    lead_id, schedule_id = started_lead(touch_world)

    response = text_from(touch_client, touch_world, keyword)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert twiml_messages(response.text) == []
    assert not touch_world.lead(lead_id).can_contact(Channel.SMS)
    assert touch_world.lead(lead_id).can_contact(Channel.EMAIL)
    assert touch_world.schedule(schedule_id).enabled_channels == {Channel.EMAIL}


def test_a_revocation_in_plain_words_opts_out_with_exactly_one_confirmation(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    lead_id, _ = started_lead(touch_world)

    response = text_from(touch_client, touch_world, "Please stop texting me")

    [confirmation] = twiml_messages(response.text)
    assert "unsubscribed" in confirmation and "Sun Shield Austin" in confirmation
    assert not touch_world.lead(lead_id).can_contact(Channel.SMS)


@pytest.mark.parametrize("text", ["STOP.", "Stop!", "STOP 🙏", "I said stop", "no más", "Ya no me escribas"])
def test_a_revocation_twilio_does_not_answer_itself_gets_our_one_confirmation(
    touch_world: TouchWorld, touch_client: TestClient, text: str
) -> None:
    lead_id, _ = started_lead(touch_world)

    response = text_from(touch_client, touch_world, text)

    [confirmation] = twiml_messages(response.text)
    assert "unsubscribed" in confirmation
    assert not touch_world.lead(lead_id).can_contact(Channel.SMS)


def test_start_opts_back_in_and_sms_goes_on(touch_world: TouchWorld, touch_client: TestClient) -> None:
    lead_id, schedule_id = started_lead(touch_world)
    text_from(touch_client, touch_world, "STOP")
    touch_world.catch_up()

    response = text_from(touch_client, touch_world, "START")

    assert twiml_messages(response.text) == []
    assert touch_world.lead(lead_id).can_contact(Channel.SMS)
    assert touch_world.schedule(schedule_id).enabled_channels == {Channel.EMAIL, Channel.SMS}


def test_yes_from_someone_who_never_opted_out_is_an_answer(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    lead_id, schedule_id = started_lead(touch_world)

    text_from(touch_client, touch_world, "Yes")

    assert touch_world.lead(lead_id).status is LeadStatus.ENGAGED
    assert touch_world.schedule(schedule_id).is_stopped


def test_help_is_left_to_twilio_when_its_keyword_handling_answers_help(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    lead_id, _ = started_lead(touch_world)
    assert touch_world.container.settings.twilio_answers_help  # Twilio's own default

    response = text_from(touch_client, touch_world, "HELP")

    assert twiml_messages(response.text) == []
    assert touch_world.lead(lead_id).status is LeadStatus.CONTACTING


def test_help_answers_with_the_shops_name_and_phone_when_twilio_does_not(
    touch_world: TouchWorld, touch_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead_id, _ = started_lead(touch_world)
    settings = msgspec.structs.replace(touch_world.container.settings, twilio_answers_help=False)
    monkeypatch.setattr(touch_world.container, "settings", settings)

    response = text_from(touch_client, touch_world, "HELP")

    [help_text] = twiml_messages(response.text)
    assert "Sun Shield Austin" in help_text and "+15125550100" in help_text and "STOP" in help_text
    assert touch_world.lead(lead_id).status is LeadStatus.CONTACTING


def test_a_customer_without_sms_consent_is_never_texted_by_the_cadence_but_is_answered_when_they_text(
    touch_world: TouchWorld, touch_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, schedule_id = touch_world.new_lead(sms_consent=False)  # e.g. a number ShopMonkey holds without optIn
    assert touch_world.dispatch(schedule_id).outcomes == {"email": "sent"}
    touch_world.catch_up()
    settings = msgspec.structs.replace(touch_world.container.settings, twilio_answers_help=False)
    monkeypatch.setattr(touch_world.container, "settings", settings)

    response = text_from(touch_client, touch_world, "HELP")

    [help_text] = twiml_messages(response.text)  # an answer to the customer's own message is allowed
    assert "Sun Shield Austin" in help_text
    assert touch_world.texts_to(touch_world.phone) == []


def test_any_other_text_is_a_reply_that_engages_the_lead_and_stops_the_cadence(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    lead_id, schedule_id = started_lead(touch_world)

    response = text_from(touch_client, touch_world, "Do you have anything Saturday morning?")
    touch_world.clock.advance(timedelta(days=1))

    assert twiml_messages(response.text) == []
    lead = touch_world.lead(lead_id)
    assert lead.status is LeadStatus.ENGAGED
    assert touch_world.schedule(schedule_id).is_stopped
    assert touch_world.dispatch(schedule_id).note == "nothing due"
    events = [type(e).__name__ for e in touch_world.container.store.events.get(lead.id)]
    assert "ReplyRecorded" in events


def test_a_text_answers_the_lead_that_last_wrote_to_the_customer_not_merely_the_newest(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    """One number, two open leads (two quotes, or two tenants texting from one shared number): the
    customer answers the text she just got."""
    older, older_schedule = touch_world.new_lead(order_id="order-older")
    touch_world.clock.advance(timedelta(minutes=10))
    newer, newer_schedule = touch_world.new_lead(order_id="order-newer")
    touch_world.clock.advance(timedelta(minutes=1))
    touch_world.dispatch(older_schedule)  # the older lead's first text is the one she has in hand
    touch_world.catch_up()

    text_from(touch_client, touch_world, "Do you have anything Saturday morning?")

    assert touch_world.lead(older).status is LeadStatus.ENGAGED
    assert touch_world.lead(newer).status is not LeadStatus.ENGAGED
    assert not touch_world.schedule(newer_schedule).is_stopped


def test_a_redelivered_text_is_acted_on_once(touch_world: TouchWorld, touch_client: TestClient) -> None:
    lead_id, _ = started_lead(touch_world)
    sid = "SM" + uuid4().hex

    first = text_from(touch_client, touch_world, "please stop texting me", sid=sid)
    again = text_from(touch_client, touch_world, "please stop texting me", sid=sid)

    assert len(twiml_messages(first.text)) == 1  # the one confirmation
    assert twiml_messages(again.text) == []
    events = [type(e).__name__ for e in touch_world.container.store.events.get(touch_world.lead(lead_id).id)]
    assert events.count("OptedOut") == 1


def test_a_text_from_an_unknown_number_is_answered_and_ignored(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    response = text_from(touch_client, touch_world, "hi", number="+15125559999")

    assert response.status_code == 200
    assert twiml_messages(response.text) == []


# -- delivery reports -------------------------------------------------------------------------------------


def test_delivery_reports_are_recorded_on_the_touch(touch_world: TouchWorld) -> None:
    _, schedule_id = started_lead(touch_world)
    server = _serve(touch_world)
    try:
        posted = touch_world.providers.twilio.deliver_status_callbacks("delivered")
    finally:
        server.stop()

    assert posted == 1
    record = touch_world.schedule(schedule_id).touches[0]
    assert record.delivery == {Channel.SMS: "delivered"}


def test_undelivered_to_a_landline_disables_sms(touch_world: TouchWorld, touch_client: TestClient) -> None:
    _, schedule_id = started_lead(touch_world)
    [sms] = touch_world.texts_to(touch_world.phone)

    response = signed_post(
        touch_client,
        touch_world,
        sms.status_callback.removeprefix(PUBLIC),  # type: ignore[union-attr]
        {
            "MessageSid": sms.sid,
            "MessageStatus": "undelivered",
            "ErrorCode": "30006",
            "To": touch_world.phone,
        },
    )

    assert response.status_code == 204
    schedule = touch_world.schedule(schedule_id)
    assert schedule.touches[0].delivery == {Channel.SMS: "undelivered"}
    assert schedule.enabled_channels == {Channel.EMAIL}


def test_a_delivery_report_settles_an_uncertain_text_as_sent(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    touch_world.providers.twilio.fail_lookups(500)  # Twilio cannot say at the sweep: it stays uncertain
    _, schedule_id = touch_world.new_lead()
    schedule = touch_world.schedule(schedule_id)
    claimed = schedule.claim_next_touch(now=touch_world.clock.now(), claim_id="crashed-worker")
    touch_world.container.store.save(schedule)
    touch_world.clock.advance(STALE_CLAIM_AFTER + timedelta(seconds=1))
    touch_world.catch_up()
    sweep_stale_claims(touch_world.container)
    assert claimed is not None
    assert touch_world.schedule(schedule_id).touches[0].outcomes[Channel.SMS] is TouchOutcome.UNCERTAIN
    path = f"/webhooks/twilio/status?tenant={touch_world.tenant_id}&schedule={schedule_id}&touch=1"

    response = signed_post(
        touch_client,
        touch_world,
        path,
        {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered", "To": touch_world.phone},
    )

    assert response.status_code == 204
    record = touch_world.schedule(schedule_id).touches[0]
    assert record.outcomes == {Channel.SMS: TouchOutcome.SENT, Channel.EMAIL: TouchOutcome.UNCERTAIN}
    assert record.delivery == {Channel.SMS: "delivered"}


def test_a_forged_delivery_report_is_refused(touch_world: TouchWorld, touch_client: TestClient) -> None:
    _, schedule_id = started_lead(touch_world)
    path = f"/webhooks/twilio/status?tenant={touch_world.tenant_id}&schedule={schedule_id}&touch=1"

    response = signed_post(
        touch_client, touch_world, path, {"MessageSid": "SM1", "MessageStatus": "undelivered"}, token="x"
    )

    assert response.status_code == 403
    assert touch_world.schedule(schedule_id).touches[0].delivery == {}


# -- emailed replies --------------------------------------------------------------------------------------


def inbound_email(text: str, sender: str) -> dict[str, str]:
    return {
        "from": f"Jane Doe <{sender}>",
        "to": "hello@sunshield.example.com",
        "subject": "Re: Your tint quote",
        "text": f"{text}\n\nOn Mon, Jun 2, 2025 at 10:00 AM Sun Shield Austin wrote:\n> Hi Jane,\n",
        "headers": "Message-ID: <abc@example.com>\n",
        "envelope": json.dumps({"to": ["hello@sunshield.example.com"], "from": sender}),
    }


def test_an_emailed_reply_engages_the_lead(touch_world: TouchWorld, touch_client: TestClient) -> None:
    lead_id, schedule_id = started_lead(touch_world)
    url = inbound_parse_url(touch_world.container).removeprefix(PUBLIC)

    response = touch_client.post(
        url, files={k: (None, v) for k, v in inbound_email("Can I come Friday?", touch_world.email).items()}
    )

    assert response.status_code == 200 and response.json()["status"] == "recorded"
    assert touch_world.lead(lead_id).status is LeadStatus.ENGAGED
    assert touch_world.schedule(schedule_id).is_stopped


def test_an_emailed_unsubscribe_opts_out_of_email_only(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    lead_id, _ = started_lead(touch_world)
    url = inbound_parse_url(touch_world.container).removeprefix(PUBLIC)

    touch_client.post(
        url,
        files={k: (None, v) for k, v in inbound_email("Please unsubscribe me", touch_world.email).items()},
    )

    lead = touch_world.lead(lead_id)
    assert not lead.can_contact(Channel.EMAIL) and lead.can_contact(Channel.SMS)
    assert lead.status is LeadStatus.CONTACTING


def test_inbound_email_without_the_key_is_refused(touch_world: TouchWorld, touch_client: TestClient) -> None:
    lead_id, _ = started_lead(touch_world)

    response = touch_client.post(
        "/webhooks/sendgrid/inbound?key=guess",
        files={k: (None, v) for k, v in inbound_email("hi", touch_world.email).items()},
    )

    assert response.status_code == 403
    assert touch_world.lead(lead_id).status is LeadStatus.CONTACTING


# -- unsubscribe links ------------------------------------------------------------------------------------


def test_the_unsubscribe_page_asks_first_and_one_click_post_opts_out_at_once(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    lead_id, schedule_id = started_lead(touch_world)
    [email] = touch_world.emails_to(touch_world.email)
    link = email.headers["List-Unsubscribe"].strip("<>").removeprefix(PUBLIC)

    page = touch_client.get(link)
    still_subscribed = touch_world.lead(lead_id).can_contact(Channel.EMAIL)
    one_click = touch_client.post(link, data={"List-Unsubscribe": "One-Click"})
    again = touch_client.post(link, data={"List-Unsubscribe": "One-Click"})

    assert page.status_code == 200 and '<form method="post"' in page.text and "Sun Shield Austin" in page.text
    assert still_subscribed
    assert one_click.status_code == 200 and "unsubscribed" in one_click.text
    assert again.status_code == 200
    assert not touch_world.lead(lead_id).can_contact(Channel.EMAIL)
    assert touch_world.schedule(schedule_id).enabled_channels == {Channel.SMS}


def test_forged_and_expired_unsubscribe_links_are_refused(
    touch_world: TouchWorld, touch_client: TestClient
) -> None:
    lead_id, _ = started_lead(touch_world)
    links = touch_world.container.links
    expired = links.unsubscribe_token(
        touch_world.tenant_id, lead_id, touch_world.clock.now() - timedelta(seconds=1)
    )
    assert timedelta(days=30) < UNSUBSCRIBE_LIFETIME

    forged = touch_client.post("/unsubscribe/AAAA.BBBB")
    too_late = touch_client.get(f"/unsubscribe/{expired}")

    assert forged.status_code == 400 and "not valid" in forged.text
    assert too_late.status_code == 400 and "expired" in too_late.text
    assert touch_world.lead(lead_id).can_contact(Channel.EMAIL)


def _serve(world: TouchWorld):
    """The app on the socket the stand-in's callbacks are addressed to is not reachable (a public host),
    so point a real server at the same container and rewrite the callback base for this test."""
    from leadorch.adapters.standins.server import serve_in_thread

    server = serve_in_thread(create_app(world.container))
    outbox = world.providers.twilio._outbox
    from dataclasses import replace

    world.providers.twilio._outbox = [
        replace(sms, status_callback=(sms.status_callback or "").replace(PUBLIC, server.url))
        for sms in outbox
    ]
    return server
