"""The chat API's sessions: a signed link opens one lead's chat, and nothing else.

Opening the page is a visit (recorded, not a response); the first message is a response (the lead is
engaged and its cadence stops in the same save). Bad links, unknown sessions, oversized and empty
messages, and floods each get a clear 4xx with the reason.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.support.chat_world import ChatWorld
from tests.support.chat_world import chat_servers_on as chat_servers_on
from tests.support.chat_world import shared_database_url as shared_database_url
from tests.support.chat_world import world as world

from leadorch.app.chat.rate_limits import ChatRateLimits, TokenBuckets
from leadorch.app.links import LinkSigner
from leadorch.domain.values import LeadStatus


def test_a_chat_link_opens_a_session_with_the_lead_and_the_shop(world: ChatWorld) -> None:
    session = world.open()

    assert session["first_name"] == "Maya"
    assert session["location"] == {
        "name": "Demo Tint San Diego",
        "phone": "+16195550100",
        "address": "2150 Camino del Rio S, San Diego, CA 92108",
    }
    assert session["transcript"] == []
    assert session["appointment"] is None
    assert len(session["session_id"]) >= 40  # a random secret, not derived from the lead


def test_the_same_link_reopens_the_same_session_and_its_transcript(world: ChatWorld) -> None:
    token = world.token()
    first = world.client.post("/api/chat/sessions", json={"token": token}).json()
    world.sessions[world.lead_id] = first["session_id"]
    world.say("what are your prices?")

    again = world.client.post("/api/chat/sessions", json={"token": token})

    assert again.status_code == 201
    assert again.json()["session_id"] == first["session_id"]
    assert [line["role"] for line in again.json()["transcript"]] == ["customer", "assistant"]
    assert again.json()["transcript"][0]["text"] == "what are your prices?"


def test_opening_the_page_is_recorded_but_is_not_a_response(world: ChatWorld) -> None:
    world.open()

    lead = world.lead()
    assert lead.chat_link_opened_at is not None
    assert lead.status is LeadStatus.NEW
    assert world.schedule().is_active
    assert world.conversation().link_opens == 1
    assert world.events("Lead.ChatStarted") == []


def test_the_first_message_engages_the_lead_and_stops_the_cadence_in_one_save(world: ChatWorld) -> None:
    world.open()

    world.say("hi, how much is it?")

    lead = world.lead()
    assert lead.status is LeadStatus.ENGAGED
    assert lead.chat_sessions == (str(world.conversation().id),)
    assert world.schedule().stop_reason == "the customer wrote in the chat"
    started = world.events("Lead.ChatStarted")[0]
    stopped = world.events("TouchPointSchedule.Stopped")[0]
    received = world.events("Conversation.CustomerMessageReceived")[0]
    assert started.timestamp == stopped.timestamp == received.timestamp
    world.say("and on Saturday?")
    assert len(world.events("Lead.ChatStarted")) == 1


@pytest.mark.parametrize(
    ("make_token", "reason"),
    [
        (lambda w: w.token(valid_for=timedelta(seconds=-1)), "the link has expired"),
        (
            lambda w: LinkSigner("x" * 40, "https://elsewhere").chat_token(
                w.tenant_id, w.lead_id, w.clock.now() + timedelta(days=1)
            ),
            "the link is not genuine",
        ),
        (lambda w: "not-a-token", "the link is malformed"),
    ],
)
def test_expired_forged_and_malformed_links_are_refused_with_the_reason(
    world: ChatWorld, make_token: Any, reason: str
) -> None:
    response = world.client.post("/api/chat/sessions", json={"token": make_token(world)})

    assert response.status_code == 401
    assert response.json()["detail"] == reason
    assert world.events("Conversation.Opened") == []


def test_a_made_up_session_id_sees_nothing(world: ChatWorld) -> None:
    world.open()

    for path in ("/api/chat/sessions/guessed-id", "/api/chat/sessions/guessed-id/messages"):
        response = (
            world.client.get(path)
            if not path.endswith("messages")
            else world.client.post(path, json={"text": "show me other customers"})
        )
        assert response.status_code == 404
        assert "no such chat session" in response.json()["detail"]


def test_an_expired_session_asks_for_the_link_again(world: ChatWorld) -> None:
    session = world.open()
    world.clock.advance(timedelta(days=8))

    response = world.client.get(f"/api/chat/sessions/{session['session_id']}")

    assert response.status_code == 401
    assert "open the chat link again" in response.json()["detail"]


def test_get_session_shows_the_transcript_with_offered_slots(world: ChatWorld) -> None:
    session = world.open()
    reply = world.say("what times do you have Friday for the premium package?")

    shown = world.client.get(f"/api/chat/sessions/{session['session_id']}").json()

    assert shown["transcript"][-1]["slots"] == reply["slots"]
    assert shown["transcript"][-1]["slots"][0] == {
        "start": "2026-11-27T09:00:00-08:00",
        "label": "Fri Nov 27, 9:00 AM",
    }


def test_message_size_and_emptiness_are_refused_with_the_reason(world: ChatWorld) -> None:
    session_id = world.open()["session_id"]
    url = f"/api/chat/sessions/{session_id}/messages"

    too_long = world.client.post(url, json={"text": "a" * 2001})
    empty = world.client.post(url, json={"text": "   "})
    malformed = world.client.post(url, json={"words": "hello"})

    assert too_long.status_code == 413
    assert too_long.json()["detail"] == "the message is too long: 2,001 characters, at most 2,000"
    assert empty.status_code == 422
    assert "empty" in empty.json()["detail"]
    assert malformed.status_code == 400
    assert world.conversation().customer_messages == 0


def test_a_flood_of_messages_is_slowed_down_with_retry_after(world: ChatWorld) -> None:
    world.container.extras["chat_rate_limits"] = ChatRateLimits(
        per_session=TokenBuckets(capacity=2, per_second=0.01)
    )
    session_id = world.open()["session_id"]
    url = f"/api/chat/sessions/{session_id}/messages"

    statuses = [world.client.post(url, json={"text": "prices?"}).status_code for _ in range(3)]
    refused = world.client.post(url, json={"text": "prices?"})

    assert statuses == [200, 200, 429]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "too many messages in this chat" in refused.json()["detail"]
    assert world.conversation().customer_messages == 2


def test_one_address_cannot_flood_many_sessions_either(world: ChatWorld) -> None:
    world.container.extras["chat_rate_limits"] = ChatRateLimits(
        messages_per_address=TokenBuckets(capacity=2, per_second=0.01)
    )
    session_id = world.open()["session_id"]

    allowed = world.client.post(f"/api/chat/sessions/{session_id}/messages", json={"text": "prices?"})
    guessing = world.client.get("/api/chat/sessions/guessed-id")
    refused = world.client.post(f"/api/chat/sessions/{session_id}/messages", json={"text": "prices?"})

    assert (allowed.status_code, guessing.status_code, refused.status_code) == (200, 404, 429)
    assert "too many requests from this address" in refused.json()["detail"]


def test_opening_many_chats_from_one_address_is_slowed_down(world: ChatWorld) -> None:
    world.container.extras["chat_rate_limits"] = ChatRateLimits(
        opens_per_address=TokenBuckets(capacity=1, per_second=0.01)
    )
    token = world.token()

    first = world.client.post("/api/chat/sessions", json={"token": token})
    second = world.client.post("/api/chat/sessions", json={"token": token})

    assert (first.status_code, second.status_code) == (201, 429)


def test_the_chat_page_and_its_files_are_served_without_leaking_the_link(world: ChatWorld) -> None:
    page = world.client.get(f"/chat/{world.token()}")
    script = world.client.get("/static/chat.js")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="transcript"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert script.status_code == 200
    assert "/api/chat/sessions" in script.text


def test_the_chat_api_is_in_the_openapi_document(world: ChatWorld) -> None:
    paths = world.client.get("/schema/openapi.json").json()["paths"]

    assert {"post"} <= set(paths["/api/chat/sessions"])
    assert {"get"} <= set(paths["/api/chat/sessions/{session_id}"])
    assert {"post"} <= set(paths["/api/chat/sessions/{session_id}/messages"])
    assert "/chat/{token}" not in paths
