"""A customer books by answering an email, end to end, without opening a link.

PostgreSQL, the Dramatiq worker threads (in-memory broker), the SendGrid, Twilio and ShopMonkey
stand-ins on real sockets, and the app on a socket with SendGrid's Inbound Parse posting each reply (the
stand-in's multipart form over HTTP): touch 1 goes out by email, Maya answers it from her mail client,
the assistant answers in her thread with times as links into the chat, she answers that with a time,
and she is booked: one appointment at ShopMonkey, the confirmation sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import pytest
from tests.support.chat_world import MAYA_EMAIL, ChatWorld, chat_servers
from tests.support.services import create_database, drop_database

from leadorch.adapters.standins.sendgrid import AcceptedEmail
from leadorch.adapters.standins.sendgrid_parse import post_inbound_parse
from leadorch.adapters.standins.server import RunningServer, serve_in_thread
from leadorch.app.http.app import create_app
from leadorch.app.http.webhooks_sendgrid import inbound_parse_url
from leadorch.app.touches.dispatch import dispatch_touch
from leadorch.domain import ids
from leadorch.domain.values import LeadStatus

MAYA = f"Maya Ortega <{MAYA_EMAIL}>"


@pytest.fixture(scope="module")
def servers(pg_admin_url: str) -> Iterator[ChatWorld]:
    url = create_database(pg_admin_url)
    try:
        with chat_servers(url, workers=True) as servers:
            yield servers
    finally:
        drop_database(pg_admin_url, url)


@pytest.fixture(scope="module")
def app_server(servers: ChatWorld) -> Iterator[RunningServer]:
    server = serve_in_thread(create_app(servers.container))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def world(servers: ChatWorld) -> ChatWorld:
    return servers.fresh_tenant()


def maya_answers(
    world: ChatWorld, app: RunningServer, text: str, *, to: AcceptedEmail, refs: list[str]
) -> str:
    """Maya's mail client answers `to` (whose Message-ID SendGrid derived from its X-Message-Id) with
    `text`, quoting it below; posted through Inbound Parse. Her message's Message-ID."""
    ours = f"<{to.message_id}@geopod-ismtpd-1.sendgrid.net>"
    message = EmailMessage()
    message["From"] = MAYA
    message["To"] = f"{to.from_name} <{to.from_email}>"
    message["Subject"] = to.subject if to.subject.startswith("Re: ") else f"Re: {to.subject}"
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = mine = make_msgid(domain="mail.example.com")
    message["In-Reply-To"] = ours
    message["References"] = " ".join([*refs, ours])
    message.set_content(
        f"{text}\n\nOn Wed, Nov 25, 2026 at 9:30 AM {to.from_name} wrote:\n> {to.text[:60]}\n"
    )
    message.add_alternative(
        f'<div dir="ltr">{text}</div><div class="gmail_quote">{to.html[:60]}</div>', subtype="html"
    )
    url = inbound_parse_url(world.container).replace(world.container.settings.public_base_url, app.url)
    response = post_inbound_parse(url, message)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "recorded", "intent": "message"}
    return mine


def answers_to(world: ChatWorld, message_id: str) -> list[AcceptedEmail]:
    return [mail for mail in world.emails_to(MAYA_EMAIL) if mail.headers.get("In-Reply-To") == message_id]


def test_a_customer_books_by_answering_the_touch_email_in_its_thread(
    world: ChatWorld, app_server: RunningServer
) -> None:
    dispatch_touch(
        world.container, world.tenant_id, str(ids.schedule_id(world.lead_id)), sleep=lambda _: None
    )
    world.settle()
    (touch,) = world.emails_to(MAYA_EMAIL)

    first = maya_answers(
        world, app_server, "What times do you have Friday for the premium package?", to=touch, refs=[]
    )
    world.settle()

    (answer,) = answers_to(world, first)
    assert answer.subject == f"Re: {touch.subject}"
    touch_id = f"<{touch.message_id}@geopod-ismtpd-1.sendgrid.net>"
    assert answer.headers["References"] == f"{touch_id} {first}"
    assert answer.text and answer.html and "Fri Nov 27, 10:00 AM PST" in answer.text
    assert '">Fri Nov 27, 10:00 AM PST</a>' in answer.html and "/chat/" in answer.html
    assert answer.from_email == touch.from_email and answer.reply_to is None
    assert world.lead().status is LeadStatus.ENGAGED and world.schedule().is_stopped
    assert world.crm_appointments() == []

    answer_id = f"<{answer.message_id}@geopod-ismtpd-1.sendgrid.net>"
    second = maya_answers(
        world, app_server, "Book Fri Nov 27, 10:00 AM PST please", to=answer, refs=[touch_id, first]
    )
    world.settle()

    (booked,) = answers_to(world, second)
    assert booked.subject == f"Re: {touch.subject}"
    assert booked.headers["References"].split()[-1] == second
    assert "Fri Nov 27, 10:00 AM PST" in booked.text
    assert world.lead().status is LeadStatus.BOOKED
    thread = world.conversation().last_email_thread
    assert thread is not None and (thread.message_id, thread.references[-1]) == (second, answer_id)
    (at_shop,) = world.crm_appointments()
    assert at_shop["startDate"] == "2026-11-27T18:00:00.000Z"
    confirmations = [m for m in world.emails_to(MAYA_EMAIL) if m.subject.startswith("You're booked")]
    assert len(confirmations) == 1
