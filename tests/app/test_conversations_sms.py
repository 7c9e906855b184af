"""The assistant answers texts: numbered times, a number picks, a confirmation turn, then one booking.

Through the signed Twilio webhook of the HTTP app (the webhook answers at once with empty TwiML; the
answer is a background job, inline here), the demo shop's catalog and calendar, the fake ShopMonkey
and the Twilio stand-in on real sockets. Read back from the stand-ins and the event store.
"""

from __future__ import annotations

import itertools
from typing import Any
from uuid import uuid4
from xml.etree import ElementTree

import pytest
from tests.support.chat_world import MANAGER_EMAIL, SHOP_NUMBER, ChatWorld
from twilio.request_validator import RequestValidator

from leadorch.app.audit import lead_history
from leadorch.app.config.errors import InvalidConfiguration
from leadorch.app.console.timeline import sentence
from leadorch.app.conversations.inbound_job import answer_message
from leadorch.domain.conversation import AssistantLine, Conversation, CustomerLine, conversation_id
from leadorch.domain.sms_segments import sms_segments
from leadorch.domain.values import LeadStatus

PUBLIC = "https://chat.demo-tint.example.com"


_numbers = itertools.count(1000)


@pytest.fixture
def world(chat_world: ChatWorld) -> ChatWorld:
    """The demo shop, with a lead whose number no other test's lead has (the module shares a database,
    and a text goes to the newest open lead of its number)."""
    phone = f"+1619556{next(_numbers):04d}"
    chat_world.container.config.allow_address(chat_world.tenant_id, phone, actor="test")
    chat_world.lead_id = chat_world.new_lead(phone=phone)
    chat_world.phone = phone  # type: ignore[attr-defined]
    return chat_world


def text_in(world: ChatWorld, body: str) -> Any:
    params = {
        "From": world.phone,  # type: ignore[attr-defined]
        "To": SHOP_NUMBER,
        "Body": body,
        "MessageSid": "SM" + uuid4().hex,
        "AccountSid": "AC1",
    }
    world.catch_up()  # the sender is found through the leads read model
    path = "/webhooks/twilio/sms"
    signature = RequestValidator(world.providers.twilio.auth_token).compute_signature(PUBLIC + path, params)
    response = world.client.post(path, data=params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200, response.text
    assert list(ElementTree.fromstring(response.text).iter("Message")) == []  # empty TwiML
    world.settle()
    return response


def texts(world: ChatWorld) -> list[Any]:
    return world.texts_to(world.phone)  # type: ignore[attr-defined]


def last_text(world: ChatWorld) -> str:
    return str(texts(world)[-1].body)


def test_a_texted_question_gets_numbered_times_a_number_asks_to_confirm_and_yes_books_once(
    world: ChatWorld,
) -> None:
    before = len(texts(world))

    text_in(world, "anything Saturday morning for the ultimate?")
    offer = last_text(world)
    text_in(world, "2")
    question = last_text(world)
    text_in(world, "yes")
    booked = last_text(world)

    assert "Reply 1 for Sat" in offer and ", 2 for Sat" in offer, offer
    assert not offer.startswith("Reply"), "the times have a lead-in"
    assert sms_segments(offer).segments <= 2
    assert question.startswith("Book the Ultimate Tint Package on Sat Nov 28 at ") and question.endswith(
        ", $600? Reply YES"
    ), question
    assert booked.startswith("Done: Ultimate Tint Package, Sat Nov 28"), booked
    assert any("you're booked for Sat Nov 28" in str(sms.body) for sms in texts(world))  # the usual notice
    assert len(world.crm_appointments()) == 1  # one ShopMonkey appointment
    assert world.lead().status is LeadStatus.BOOKED
    conversation = world.conversation()
    channels = {
        entry.channel for entry in conversation.entries if isinstance(entry, CustomerLine | AssistantLine)
    }
    assert channels == {"sms"}
    assert conversation.replies == {"answer-1": "sent", "answer-2": "sent", "answer-3": "sent"}
    assert len(texts(world)) - before >= 3


def test_every_answer_by_text_records_what_allowed_it_and_the_timeline_says_so(world: ChatWorld) -> None:
    text_in(world, "how much is the ultimate?")

    events = world.container.store.events.get(conversation_id(world.lead().id))
    [answer] = [event for event in events if isinstance(event, Conversation.AssistantReplied)]
    proof = answer.allowed_by
    assert answer.channel == "sms" and proof is not None
    assert proof["message"]["label"] == "the assistant's answer" and proof["message"]["solicitation"] is False
    assert proof["message"]["quiet_hours"] == "not held"  # the customer wrote a moment ago: live
    assert proof["cap"] is None and proof["recipient"]["derived_from"]
    assert proof["consent"]["channel"] == "sms"
    [entry] = [
        e
        for e in lead_history(world.container.store, world.lead().id).entries
        if e.event == "AssistantReplied"
    ]
    said = sentence("Conversation", "AssistantReplied", entry.data, None)
    assert (
        "Allowed by rules " in said
        and "the assistant's answer: it answers the customer's own message" in said
    )


def test_a_retried_answer_job_sends_nothing_twice(world: ChatWorld) -> None:
    text_in(world, "how much is the ultimate?")
    sent = len(texts(world))

    again = answer_message(world.container, world.tenant_id, world.lead_id, 1)

    assert again == "answered already"
    assert len(texts(world)) == sent


def test_asking_for_a_person_by_text_alerts_the_staff_and_later_texts_wait_for_them(
    world: ChatWorld,
) -> None:
    text_in(world, "Hi, can you call me? I'd rather talk to someone")
    answered = len(texts(world))
    text_in(world, "are you there?")

    alerts = [mail.text for mail in world.emails_to(MANAGER_EMAIL)]  # demo mode: the manager's email only
    assert any("talk to someone" in body for body in alerts), alerts
    assert any("asked for a person by text at" in body for body in alerts), "where she asked: a text"
    assert not any("in the chat" in (body or "") for body in alerts), alerts
    assert world.lead().staff_flags[0].startswith("by text: ")
    assert any("are you there?" in body and "/console/inbox/" in body for body in alerts), alerts
    assert len(texts(world)) == answered  # quiet after the hand-off


def test_with_the_assistant_off_for_the_tenant_a_text_is_recorded_and_the_staff_alerted(
    world: ChatWorld,
) -> None:
    world.container.config.update_tenant(world.tenant_id, assistant_answers_messages=False, actor="test")
    assert world.container.config.tenant(world.tenant_id).assistant_answers_messages is False
    texted = len(texts(world))

    text_in(world, "anything Saturday morning for the ultimate?")

    assert len(texts(world)) == texted  # nothing answered
    assert [entry.text for entry in world.conversation().entries if isinstance(entry, CustomerLine)] == [
        "anything Saturday morning for the ultimate?"
    ]
    assert world.lead().status is LeadStatus.ENGAGED
    alerts = [mail.text or "" for mail in world.emails_to(MANAGER_EMAIL)]
    assert any("Saturday morning" in text and "assistant is off" in text for text in alerts), alerts


def test_with_the_assistant_off_for_the_location_nothing_is_answered_there(world: ChatWorld) -> None:
    location = world.lead().location_id
    world.container.config.update_location(
        world.tenant_id, location, assistant_answers_messages=False, actor="test"
    )
    assert world.container.config.location(world.tenant_id, location).assistant_answers_messages is False
    texted = len(texts(world))

    text_in(world, "how much is the ultimate?")

    assert len(texts(world)) == texted
    assert world.conversation().replies == {}


def test_the_live_window_is_a_tenant_setting_and_is_checked(world: ChatWorld) -> None:
    config = world.container.config
    config.update_tenant(world.tenant_id, live_conversation_minutes=30, actor="test")

    assert config.tenant(world.tenant_id).live_conversation_minutes == 30
    with pytest.raises(InvalidConfiguration):
        config.update_tenant(world.tenant_id, live_conversation_minutes=0, actor="test")


def test_a_complaint_by_text_is_answered_and_told_to_the_staff(world: ChatWorld) -> None:
    text_in(world, "The tint you did last week is bubbling on the rear window, not happy")

    alerts = [mail.text or "" for mail in world.emails_to(MANAGER_EMAIL)]
    assert any("bubbling" in text and "complaint" in text and "/console/inbox/" in text for text in alerts)
    assert texts(world), "the customer is answered too"
