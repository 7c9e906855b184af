"""The assistant answers emailed replies in the customer's thread, once, and never a machine's.

Through the Inbound Parse webhook of the HTTP app (SendGrid's multipart form; the answer is a
background job, inline here), the demo shop's catalog and calendar, the fake ShopMonkey and the
SendGrid stand-in on a real socket. Read back from the stand-in and the event store.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from tests.support.chat_world import ChatWorld
from tests.support.inbound_mail import OUR_MESSAGE_ID, an_out_of_office

from leadorch.adapters.standins.sendgrid import AcceptedEmail
from leadorch.adapters.standins.sendgrid_parse import inbound_parse_post
from leadorch.app.conversations.inbound_job import answer_message
from leadorch.app.eventstore.store import NotFound
from leadorch.app.http.webhooks_sendgrid import inbound_parse_url
from leadorch.domain.conversation import AssistantLine, CustomerLine, EmailThread
from leadorch.domain.values import Channel


@pytest.fixture
def world(chat_world: ChatWorld) -> ChatWorld:
    """The demo shop with its own Maya: an address no earlier test's lead has (a reply is matched by
    sender across tenants, and every test's shop starts at the same instant), allow-listed (demo mode)."""
    address = f"maya.{uuid4().hex[:8]}@example.com"
    chat_world.container.config.allow_address(chat_world.tenant_id, address, actor="test")
    chat_world.lead_id = chat_world.new_lead(email=address)
    return chat_world


def maya(world: ChatWorld) -> str:
    address = world.lead().contact.email
    assert address is not None
    return address


def maya_writes(
    world: ChatWorld, text: str, *, message_id: str | None = "<q-1@mail.example.com>"
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Maya Ortega <{maya(world)}>"
    message["To"] = "Demo Tint <hello@demo-tint.example.com>"
    message["Subject"] = "RE: Your tint quote"
    message["Date"] = formatdate(localtime=False)
    if message_id is not None:
        message["Message-ID"] = message_id
    message["In-Reply-To"] = OUR_MESSAGE_ID
    message["References"] = OUR_MESSAGE_ID
    message.set_content(f"{text}\n\nOn Wed, Nov 25, 2026 Demo Tint wrote:\n> Hi Maya,\n")
    return message


def email_in(world: ChatWorld, message: EmailMessage) -> dict[str, str]:
    world.catch_up()  # the sender is found through the leads read model
    url = urlsplit(inbound_parse_url(world.container))
    response = world.client.post(f"{url.path}?{url.query}", files=inbound_parse_post(message).multipart())
    assert response.status_code == 200, response.text
    world.settle()
    return response.json()  # type: ignore[no-any-return]


def mail_to_maya(world: ChatWorld) -> list[AcceptedEmail]:
    return world.emails_to(maya(world))


def test_an_emailed_question_is_answered_once_in_its_thread_with_the_times_as_chat_links(
    world: ChatWorld,
) -> None:

    outcome = email_in(world, maya_writes(world, "What times do you have Friday for the premium package?"))

    assert outcome == {"status": "recorded", "intent": "message"}
    (answer,) = mail_to_maya(world)
    assert answer.subject == "Re: Your tint quote"
    assert answer.headers == {
        "In-Reply-To": "<q-1@mail.example.com>",
        "References": f"{OUR_MESSAGE_ID} <q-1@mail.example.com>",
    }
    assert answer.text and "Fri Nov 27, 10:00 AM PST" in answer.text
    assert answer.html and '">Fri Nov 27, 10:00 AM PST</a>' in answer.html
    conversation = world.conversation()
    customer, reply = [e for e in conversation.entries if isinstance(e, CustomerLine | AssistantLine)]
    assert isinstance(customer, CustomerLine) and customer.channel == Channel.EMAIL
    assert customer.thread == EmailThread("<q-1@mail.example.com>", (OUR_MESSAGE_ID,), "RE: Your tint quote")
    assert isinstance(reply, AssistantLine) and reply.channel == Channel.EMAIL and reply.slots
    assert conversation.replies == {"answer-1": "sent"}

    again = answer_message(world.container, world.tenant_id, world.lead_id, 1)

    assert again == "answered already" and len(mail_to_maya(world)) == 1


def test_an_email_without_a_message_id_is_answered_by_its_references_under_its_subject(
    world: ChatWorld,
) -> None:

    email_in(world, maya_writes(world, "How much is the premium package?", message_id=None))

    (answer,) = mail_to_maya(world)
    assert answer.subject == "Re: Your tint quote"
    assert answer.headers == {"References": OUR_MESSAGE_ID}
    assert "$300" in answer.text


def test_an_out_of_office_is_not_answered(world: ChatWorld) -> None:

    outcome = email_in(world, an_out_of_office("I'm out of the office until Monday.", sender=maya(world)))

    assert outcome["intent"] == "auto_reply"
    assert mail_to_maya(world) == []
    assert not any(isinstance(e, AssistantLine) for e in _entries(world))


def test_an_emailed_opt_out_is_not_answered_and_opts_out(world: ChatWorld) -> None:

    outcome = email_in(world, maya_writes(world, "Please stop emailing me"))

    assert outcome["intent"] == "opt_out"
    assert mail_to_maya(world) == []
    assert Channel.EMAIL in world.lead().revoked_by_customer


def _entries(world: ChatWorld) -> tuple[object, ...]:
    try:
        return world.conversation().entries
    except NotFound:
        return ()
