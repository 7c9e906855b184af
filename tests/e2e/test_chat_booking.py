"""From the link in a touch message to an appointment at the shop, end to end.

PostgreSQL, the Dramatiq workers (in-memory broker), the SendGrid, Twilio and ShopMonkey stand-ins on
real sockets, and the chat API over HTTP: touch 1 goes out, the customer opens its link, asks for
prices, picks a slot, moves it, cancels, and asks for a person. The same booking flow then runs with the
Anthropic adapter against the fake Messages API.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import msgspec
import pytest
from tests.support.chat_world import MANAGER_EMAIL, MAYA_EMAIL, MAYA_PHONE, ChatWorld, chat_servers
from tests.support.services import create_database, drop_database

from leadorch.adapters.anthropic import AnthropicAssistant
from leadorch.adapters.offline_assistant import OfflineAssistant
from leadorch.adapters.standins.anthropic import FakeMessagesApi
from leadorch.adapters.standins.server import serve_in_thread
from leadorch.app.audit import lead_history
from leadorch.app.chat.assistants import build_assistant
from leadorch.app.readmodels.appointments import appointments_of_lead
from leadorch.app.touches.dispatch import dispatch_touch
from leadorch.domain import ids
from leadorch.domain.values import LeadStatus


@pytest.fixture(scope="module")
def servers(pg_admin_url: str) -> Iterator[ChatWorld]:
    url = create_database(pg_admin_url)
    try:
        with chat_servers(url, workers=True) as servers:
            yield servers
    finally:
        drop_database(pg_admin_url, url)


@pytest.fixture(scope="module")
def messages_api() -> Iterator[tuple[FakeMessagesApi, str]]:
    fake = FakeMessagesApi(retry_after_ms=1)
    server = serve_in_thread(fake)
    try:
        yield fake, server.url
    finally:
        server.stop()


@pytest.fixture
def world(servers: ChatWorld) -> ChatWorld:
    return servers.fresh_tenant()


@pytest.fixture
def claude(world: ChatWorld, messages_api: tuple[FakeMessagesApi, str]) -> FakeMessagesApi:
    """The world's assistant is the Anthropic adapter, as with ANTHROPIC_API_KEY set, on the fake API."""
    fake, url = messages_api
    fake.reset()
    settings = msgspec.structs.replace(
        world.container.settings, anthropic_api_key=fake.api_key, anthropic_base_url=url
    )
    world.container.assistant = build_assistant(settings)
    assert isinstance(world.container.assistant, AnthropicAssistant)
    return fake


def chat_token_from_touch_one(world: ChatWorld) -> str:
    """Send touch 1 the way the touch engine does, and read the chat link out of the text Maya got."""
    outcome = dispatch_touch(
        world.container, world.tenant_id, str(ids.schedule_id(world.lead_id)), sleep=lambda _: None
    )
    assert outcome is not None
    (text,) = world.texts_to(MAYA_PHONE)
    link = re.search(r"https://chat\.demo-tint\.example\.com/chat/([A-Za-z0-9_.-]+)", text.body)
    assert link is not None, text.body
    return link.group(1)


def test_a_customer_books_moves_cancels_and_asks_for_a_person_from_a_touch_link(world: ChatWorld) -> None:
    token = chat_token_from_touch_one(world)
    page = world.client.get(f"/chat/{token}")
    opened = world.client.post("/api/chat/sessions", json={"token": token})
    assert page.status_code == 200 and opened.status_code == 201
    world.sessions[world.lead_id] = opened.json()["session_id"]
    assert world.lead().status is LeadStatus.CONTACTING  # opening is not a response

    prices = world.say("How much for the premium package?")
    times = world.say("what times do you have Friday?")
    chosen = times["slots"][1]
    booked = world.say(f"Book {chosen['label']} ({chosen['start']})")
    world.settle()

    assert "$300" in prices["text"]
    assert chosen == {"start": "2026-11-27T10:00:00-08:00", "label": "Fri Nov 27, 10:00 AM PST"}
    appointment = booked["appointment"]
    assert (appointment["label"], appointment["price_cents"], appointment["status"]) == (
        "Fri Nov 27, 10:00 AM PST",
        30000,
        "confirmed",
    )
    assert world.lead().status is LeadStatus.BOOKED
    assert world.schedule().is_stopped
    (row,) = appointments_of_lead(world.container.db, world.tenant_id, world.lead_id)
    assert (str(row.appointment_id), row.status, row.crm_sync) == (appointment["id"], "confirmed", "synced")
    (at_shop,) = world.crm_appointments()
    assert at_shop["startDate"] == "2026-11-27T18:00:00.000Z" and at_shop["id"] == row.crm_appointment_id
    history = [f"{e.aggregate}.{e.event}" for e in lead_history(world.container.store, world.lead_id).entries]
    for event in ("Lead.ChatLinkOpened", "Lead.ChatStarted", "Conversation.ToolCalled", "Appointment.Booked",
                  "Lead.AppointmentBooked", "Appointment.CrmSynced"):  # fmt: skip
        assert event in history, history
    confirmations = [m for m in world.emails_to(MAYA_EMAIL) if m.subject.startswith("You're booked")]
    assert len(confirmations) == 1

    move_question = world.say("can I move it to Saturday?")
    moved = world.say("the first one")
    world.settle()
    assert move_question["slots"][0]["label"] == "Sat Nov 28, 10:00 AM PST"
    assert moved["appointment"]["label"] == "Sat Nov 28, 10:00 AM PST"
    (at_shop,) = world.crm_appointments()
    assert at_shop["startDate"] == "2026-11-28T18:00:00.000Z"

    asked = world.say("please cancel")
    assert asked["text"] == (
        "Do you want me to cancel your appointment on Sat Nov 28, 10:00 AM PST (Premium Tint Package, $300)? "
        "Reply yes to cancel."
    )
    assert world.crm_appointments() != []  # asking is not cancelling
    cancelled = world.say("yes")
    world.settle()
    assert cancelled["appointment"]["status"] == "cancelled"
    assert world.crm_appointments() == []
    assert world.lead().status is LeadStatus.ENGAGED

    handed = world.say("I want to talk to someone")
    world.settle()
    assert handed["handoff"] is True
    assert world.lead().automation_paused
    alerts = [m for m in world.emails_to(MANAGER_EMAIL) if "asked for a person" in m.text]
    assert alerts and '"I want to talk to someone"' in alerts[0].text

    session = world.client.get(f"/api/chat/sessions/{world.sessions[world.lead_id]}").json()
    assert [line["role"] for line in session["transcript"]] == ["customer", "assistant"] * 8
    assert session["appointment"] is None


def test_the_same_flow_books_through_the_anthropic_adapter(world: ChatWorld, claude: FakeMessagesApi) -> None:
    world.open()
    world.say("How much for the premium package?")
    times = world.say("what times do you have Friday?")
    booked = world.say(f"Book {times['slots'][0]['label']} ({times['slots'][0]['start']})")
    world.settle()

    assert booked["appointment"]["label"] == "Fri Nov 27, 9:00 AM PST"
    assert world.appointment(booked["appointment"]["id"]).price_cents == 30000
    assert world.lead().status is LeadStatus.BOOKED
    assert len(world.crm_appointments()) == 1
    requests = claude.message_requests
    assert requests and all(r.status == 200 for r in requests)
    first = requests[0].body
    assert first["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert "Demo Tint San Diego" in first["system"][0]["text"]
    assert first["system"][1]["text"].startswith("Now: 2026-11-25T09:30:00-08:00")
    assert [tool["name"] for tool in first["tools"]][:2] == ["list_services", "find_slots"]
    assert first["model"] == world.container.settings.anthropic_model
    # The booking request carried every earlier tool_use with its result, paired by id.
    last = requests[-1].body["messages"]
    blocks = [b for m in last for b in m["content"] if isinstance(b, dict)]
    uses = [b["id"] for b in blocks if b.get("type") == "tool_use"]
    assert uses and uses == [b["tool_use_id"] for b in blocks if b.get("type") == "tool_result"]


def test_an_anthropic_outage_gets_a_polite_answer_and_a_call_back(
    world: ChatWorld, claude: FakeMessagesApi
) -> None:
    claude.fail_next(500, times=None)
    try:
        reply = world.say("what times do you have tomorrow?")
    finally:
        claude.clear_faults()
    world.settle()

    assert reply["text"].startswith("Sorry, I can't answer right now.")
    assert "+16195550100" in reply["text"] and reply["handoff"] is True
    assert len(claude.message_requests) == 3  # the first try and the SDK's two retries
    assert any("could not answer" in m.text for m in world.emails_to(MANAGER_EMAIL))


def test_the_settings_choose_the_assistant(world: ChatWorld) -> None:
    offline = build_assistant(world.container.settings)

    assert isinstance(offline, OfflineAssistant)
