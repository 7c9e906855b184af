"""A customer books without ever opening a link, end to end on the worker: by text, and by email.

PostgreSQL, Redis and the Dramatiq worker threads on it, the app on a socket, the Twilio, SendGrid and
ShopMonkey stand-ins on real sockets. Touch 1 goes out by text; the customer's texts come in through
the signed Twilio webhook (answered at once with empty TwiML) and the assistant's answers are jobs on
the worker; the customer's emails come in as SendGrid's Inbound Parse posts them.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4
from xml.etree import ElementTree

import httpx
import pytest
from tests.support.chat_world import (
    MANAGER_EMAIL,
    SHOP_NUMBER,
    ChatWorld,
    chat_servers,
)
from tests.support.inbound_mail import a_reply
from tests.support.redis_process import RedisProcess, redis_process
from tests.support.services import create_database, drop_database
from twilio.request_validator import RequestValidator

from leadorch.adapters.standins.sendgrid_parse import post_inbound_parse
from leadorch.adapters.standins.server import RunningServer, serve_in_thread
from leadorch.app.http.app import create_app
from leadorch.app.http.webhooks_sendgrid import inbound_parse_url
from leadorch.app.touches.actors import DISPATCH_TOUCH
from leadorch.domain import ids
from leadorch.domain.values import LeadStatus

PUBLIC = "https://chat.demo-tint.example.com"


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisProcess]:
    with redis_process() as server:
        yield server


@pytest.fixture(scope="module")
def servers(pg_admin_url: str, redis: RedisProcess) -> Iterator[ChatWorld]:
    url = create_database(pg_admin_url)
    try:
        with chat_servers(url, workers=True, redis_url=redis.url) as servers:
            yield servers
    finally:
        drop_database(pg_admin_url, url)


@pytest.fixture(scope="module")
def app(servers: ChatWorld) -> Iterator[RunningServer]:
    server = serve_in_thread(create_app(servers.container))
    try:
        yield server
    finally:
        server.stop()


_customers = itertools.count(1)
PHONE: dict[str, str] = {}
EMAIL: dict[str, str] = {}


@pytest.fixture
def world(servers: ChatWorld) -> ChatWorld:
    """A fresh demo shop and a customer whose number and address no other test's lead has (the module
    shares a database, and a message goes to the newest open lead of its sender)."""
    servers.runtime.broker.flush_all()  # type: ignore[union-attr]
    world = servers.fresh_tenant()
    number = next(_customers)
    phone, email = f"+1619557{number:04d}", f"maya.{number}@example.com"
    for address in (phone, email):
        world.container.config.allow_address(world.tenant_id, address, actor="test")
    world.lead_id = world.new_lead(phone=phone, email=email)
    PHONE[world.tenant_id], EMAIL[world.tenant_id] = phone, email
    return world


def eventually(condition: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


def text_in(world: ChatWorld, app: RunningServer, body: str) -> None:
    world.catch_up()  # the sender is found through the leads read model
    params = {
        "From": PHONE[world.tenant_id],
        "To": SHOP_NUMBER,
        "Body": body,
        "MessageSid": "SM" + uuid4().hex,
    }
    path = "/webhooks/twilio/sms"
    signature = RequestValidator(world.providers.twilio.auth_token).compute_signature(PUBLIC + path, params)
    started = time.monotonic()
    response = httpx.post(app.url + path, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
    assert response.status_code == 200, response.text
    assert list(ElementTree.fromstring(response.text).iter("Message")) == []  # the answer is a job
    assert time.monotonic() - started < 2.0


def next_text(world: ChatWorld, after: int, containing: str) -> str:
    def found() -> str | None:
        texts = world.texts_to(PHONE[world.tenant_id])[after:]
        return next((str(sms.body) for sms in texts if containing in str(sms.body)), None)

    return str(eventually(found, f"a text to the customer with {containing!r}"))


def touch_one(world: ChatWorld) -> None:
    assert world.runtime is not None
    world.runtime.send(DISPATCH_TOUCH.name, world.tenant_id, str(ids.schedule_id(world.lead_id)))
    eventually(lambda: world.texts_to(PHONE[world.tenant_id]), "touch 1 by text")


def test_by_text_numbered_times_a_pick_a_confirmation_and_one_booking(
    world: ChatWorld, app: RunningServer
) -> None:
    touch_one(world)

    sent = len(world.texts_to(PHONE[world.tenant_id]))
    text_in(world, app, "anything Saturday morning for the ultimate?")
    offer = next_text(world, sent, "Reply 1 for Sat")
    sent = len(world.texts_to(PHONE[world.tenant_id]))
    text_in(world, app, "2")
    question = next_text(world, sent, "Reply YES")
    sent = len(world.texts_to(PHONE[world.tenant_id]))
    text_in(world, app, "yes")
    booked = next_text(world, sent, "booked")

    second = re.search(r"2 for (Sat \w+ \d+), (\d+:\d\d [AP]M)", offer)
    assert second is not None, offer
    assert question.startswith(f"Book the Ultimate Tint Package on {second[1]} at {second[2]}"), question
    assert question.endswith(", $600? Reply YES"), question
    assert "Ultimate Tint Package" in booked
    eventually(lambda: len(world.crm_appointments()) == 1, "the ShopMonkey appointment")
    eventually(lambda: world.lead().status is LeadStatus.BOOKED, "the lead booked")
    eventually(lambda: world.emails_to(EMAIL[world.tenant_id]), "the confirmation notice")
    time.sleep(0.5)  # nothing more comes: one appointment
    assert len(world.crm_appointments()) == 1


def test_by_email_a_threaded_answer_then_a_booking(world: ChatWorld, app: RunningServer) -> None:
    touch_one(world)
    world.catch_up()
    url = inbound_parse_url(world.container).replace(world.container.settings.public_base_url, app.url)
    question = a_reply(
        "anything Saturday morning for the ultimate?",
        sender=f"Maya Ortega <{EMAIL[world.tenant_id]}>",
        subject="Re: Your tint quote",
    )

    assert post_inbound_parse(url, question).status_code == 200
    answer = eventually(
        lambda: [m for m in world.emails_to(EMAIL[world.tenant_id]) if m.subject == "Re: Your tint quote"],
        "the emailed answer",
    )[0]

    assert answer.headers.get("In-Reply-To") == question["Message-ID"]
    assert question["Message-ID"] in answer.headers.get("References", "")
    assert "/chat/" in (answer.text or "") and "/chat/" in (answer.html or "")
    assert "Sat Nov 28" in (answer.text or "")

    picked = a_reply(
        "Sat Nov 28 at 10:00 AM works, please book it",
        sender=f"Maya Ortega <{EMAIL[world.tenant_id]}>",
        subject=answer.subject,
    )
    assert post_inbound_parse(url, picked).status_code == 200
    eventually(lambda: len(world.crm_appointments()) == 1, "the ShopMonkey appointment")
    eventually(lambda: world.lead().status is LeadStatus.BOOKED, "the lead booked")


def test_asking_for_a_person_by_text_alerts_the_staff(world: ChatWorld, app: RunningServer) -> None:
    touch_one(world)
    alerts_before = len(world.emails_to(MANAGER_EMAIL))

    text_in(world, app, "Hi, can you call me? I'd rather talk to someone")

    alert = eventually(lambda: world.emails_to(MANAGER_EMAIL)[alerts_before:], "the staff alert")[0]
    assert "talk to someone" in (alert.text or "")
    assert "/console/inbox/" in (alert.text or "")
