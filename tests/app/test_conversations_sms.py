"""The assistant answers texts: numbered times, a number picks, a confirmation turn, then one booking.

Through the signed Twilio webhook of the HTTP app (the webhook answers at once with empty TwiML; the
answer is a background job, inline here), the demo shop's catalog and calendar, the fake ShopMonkey
and the Twilio stand-in on real sockets. Read back from the stand-ins and the event store.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4
from xml.etree import ElementTree

from tests.support.chat_world import MANAGER_EMAIL, MAYA_PHONE, SHOP_NUMBER, ChatWorld
from twilio.request_validator import RequestValidator

from leadorch.app.conversations.inbound_job import answer_message
from leadorch.domain.conversation import AssistantLine, CustomerLine
from leadorch.domain.sms_segments import sms_segments
from leadorch.domain.values import LeadStatus

PUBLIC = "https://chat.demo-tint.example.com"


def text_in(world: ChatWorld, body: str) -> Any:
    params = {
        "From": MAYA_PHONE,
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


def last_text(world: ChatWorld) -> str:
    return str(world.texts_to(MAYA_PHONE)[-1].body)


def test_a_texted_question_gets_numbered_times_a_number_asks_to_confirm_and_yes_books_once(
    chat_world: ChatWorld,
) -> None:
    world = chat_world
    before = len(world.texts_to(MAYA_PHONE))

    text_in(world, "anything Saturday morning for the ultimate?")
    offer = last_text(world)
    text_in(world, "2")
    question = last_text(world)
    text_in(world, "yes")
    booked = last_text(world)

    assert "Reply 1 for Sat" in offer and ", 2 for Sat" in offer, offer
    assert sms_segments(offer).segments <= 2
    assert question.startswith("Book the Ultimate Tint Package on Sat Nov 28 at ") and question.endswith(
        ", $600? Reply YES"
    ), question
    assert "booked" in booked.lower(), booked
    assert len(world.crm_appointments()) == 1  # one ShopMonkey appointment
    assert world.lead().status is LeadStatus.BOOKED
    conversation = world.conversation()
    channels = {
        entry.channel for entry in conversation.entries if isinstance(entry, CustomerLine | AssistantLine)
    }
    assert channels == {"sms"}
    assert conversation.replies == {"answer-1": "sent", "answer-2": "sent", "answer-3": "sent"}
    assert len(world.texts_to(MAYA_PHONE)) - before >= 3


def test_a_retried_answer_job_sends_nothing_twice(chat_world: ChatWorld) -> None:
    world = chat_world
    text_in(world, "how much is the ultimate?")
    sent = len(world.texts_to(MAYA_PHONE))

    again = answer_message(world.container, world.tenant_id, world.lead_id, 1)

    assert again == "answered already"
    assert len(world.texts_to(MAYA_PHONE)) == sent


def test_asking_for_a_person_by_text_alerts_the_staff_and_later_texts_wait_for_them(
    chat_world: ChatWorld,
) -> None:
    world = chat_world
    text_in(world, "Hi, can you call me? I'd rather talk to someone")
    answered = len(world.texts_to(MAYA_PHONE))
    text_in(world, "are you there?")

    alerts = [mail.text for mail in world.emails_to(MANAGER_EMAIL)]  # demo mode: the manager's email only
    assert any("talk to someone" in body for body in alerts), alerts
    assert any("are you there?" in body and "/console/inbox/" in body for body in alerts), alerts
    assert len(world.texts_to(MAYA_PHONE)) == answered  # quiet after the hand-off
