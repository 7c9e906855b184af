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

from leadorch.app.chat.rate_limits import ChatRateLimits, TokenBuckets
from leadorch.app.links import LinkSigner
from leadorch.domain.values import LeadStatus


def test_a_chat_link_opens_a_session_with_the_lead_and_the_shop(chat_world: ChatWorld) -> None:
    session = chat_world.open()

    assert session["first_name"] == "Maya"
    assert session["location"] == {
        "name": "Demo Tint San Diego",
        "phone": "+16195550100",
        "address": "2150 Camino del Rio S, San Diego, CA 92108",
    }
    assert session["transcript"] == []
    assert session["appointment"] is None
    assert len(session["session_id"]) >= 40  # a random secret, not derived from the lead


def test_the_same_link_reopens_the_same_session_and_its_transcript(chat_world: ChatWorld) -> None:
    token = chat_world.token()
    first = chat_world.client.post("/api/chat/sessions", json={"token": token}).json()
    chat_world.sessions[chat_world.lead_id] = first["session_id"]
    chat_world.say("what are your prices?")

    again = chat_world.client.post("/api/chat/sessions", json={"token": token})

    assert again.status_code == 201
    assert again.json()["session_id"] == first["session_id"]
    assert [line["role"] for line in again.json()["transcript"]] == ["customer", "assistant"]
    assert again.json()["transcript"][0]["text"] == "what are your prices?"


def test_opening_the_page_is_recorded_but_is_not_a_response(chat_world: ChatWorld) -> None:
    chat_world.open()

    lead = chat_world.lead()
    assert lead.chat_link_opened_at is not None
    assert lead.status is LeadStatus.NEW
    assert chat_world.schedule().is_active
    assert chat_world.conversation().link_opens == 1
    assert chat_world.events("Lead.ChatStarted") == []


def test_the_first_message_engages_the_lead_and_stops_the_cadence_in_one_save(chat_world: ChatWorld) -> None:
    chat_world.open()

    chat_world.say("hi, how much is it?")

    lead = chat_world.lead()
    assert lead.status is LeadStatus.ENGAGED
    assert lead.chat_sessions == (str(chat_world.conversation().id),)
    assert chat_world.schedule().stop_reason == "the customer wrote in the chat"
    started = chat_world.events("Lead.ChatStarted")[0]
    stopped = chat_world.events("TouchPointSchedule.Stopped")[0]
    received = chat_world.events("Conversation.CustomerMessageReceived")[0]
    assert started.timestamp == stopped.timestamp == received.timestamp
    chat_world.say("and on Saturday?")
    assert len(chat_world.events("Lead.ChatStarted")) == 1


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
    chat_world: ChatWorld, make_token: Any, reason: str
) -> None:
    response = chat_world.client.post("/api/chat/sessions", json={"token": make_token(chat_world)})

    assert response.status_code == 401
    assert response.json()["detail"] == reason
    assert chat_world.events("Conversation.Opened") == []


def test_a_made_up_session_id_sees_nothing(chat_world: ChatWorld) -> None:
    chat_world.open()

    for path in ("/api/chat/sessions/guessed-id", "/api/chat/sessions/guessed-id/messages"):
        response = (
            chat_world.client.get(path)
            if not path.endswith("messages")
            else chat_world.client.post(path, json={"text": "show me other customers"})
        )
        assert response.status_code == 404
        assert "no such chat session" in response.json()["detail"]


def test_an_expired_session_asks_for_the_link_again(chat_world: ChatWorld) -> None:
    session = chat_world.open()
    chat_world.clock.advance(timedelta(days=8))

    response = chat_world.client.get(f"/api/chat/sessions/{session['session_id']}")

    assert response.status_code == 401
    assert "open the chat link again" in response.json()["detail"]


def test_get_session_shows_the_transcript_with_offered_slots(chat_world: ChatWorld) -> None:
    session = chat_world.open()
    reply = chat_world.say("what times do you have Friday for the premium package?")

    shown = chat_world.client.get(f"/api/chat/sessions/{session['session_id']}").json()

    assert shown["transcript"][-1]["slots"] == reply["slots"]
    assert shown["transcript"][-1]["slots"][0] == {
        "start": "2026-11-27T09:00:00-08:00",
        "label": "Fri Nov 27, 9:00 AM PST",
    }


def test_message_size_and_emptiness_are_refused_with_the_reason(chat_world: ChatWorld) -> None:
    session_id = chat_world.open()["session_id"]
    url = f"/api/chat/sessions/{session_id}/messages"

    too_long = chat_world.client.post(url, json={"text": "a" * 2001})
    empty = chat_world.client.post(url, json={"text": "   "})
    malformed = chat_world.client.post(url, json={"words": "hello"})

    assert too_long.status_code == 413
    assert too_long.json()["detail"] == "the message is too long: 2,001 characters, at most 2,000"
    assert empty.status_code == 422
    assert "empty" in empty.json()["detail"]
    assert malformed.status_code == 400
    assert chat_world.conversation().customer_messages == 0


def test_a_flood_of_messages_is_slowed_down_with_retry_after(chat_world: ChatWorld) -> None:
    chat_world.container.chat_rate_limits = ChatRateLimits(
        per_session=TokenBuckets(capacity=2, per_second=0.01)
    )
    session_id = chat_world.open()["session_id"]
    url = f"/api/chat/sessions/{session_id}/messages"

    statuses = [chat_world.client.post(url, json={"text": "prices?"}).status_code for _ in range(3)]
    refused = chat_world.client.post(url, json={"text": "prices?"})

    assert statuses == [200, 200, 429]
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1
    assert "too many messages in this chat" in refused.json()["detail"]
    assert chat_world.conversation().customer_messages == 2


def test_one_address_cannot_flood_many_sessions_either(chat_world: ChatWorld) -> None:
    chat_world.container.chat_rate_limits = ChatRateLimits(
        messages_per_address=TokenBuckets(capacity=2, per_second=0.01)
    )
    session_id = chat_world.open()["session_id"]

    allowed = chat_world.client.post(f"/api/chat/sessions/{session_id}/messages", json={"text": "prices?"})
    guessing = chat_world.client.get("/api/chat/sessions/guessed-id")
    refused = chat_world.client.post(f"/api/chat/sessions/{session_id}/messages", json={"text": "prices?"})

    assert (allowed.status_code, guessing.status_code, refused.status_code) == (200, 404, 429)
    assert "too many requests from this address" in refused.json()["detail"]


def test_opening_many_chats_from_one_address_is_slowed_down(chat_world: ChatWorld) -> None:
    chat_world.container.chat_rate_limits = ChatRateLimits(
        opens_per_address=TokenBuckets(capacity=1, per_second=0.01)
    )
    token = chat_world.token()

    first = chat_world.client.post("/api/chat/sessions", json={"token": token})
    second = chat_world.client.post("/api/chat/sessions", json={"token": token})

    assert (first.status_code, second.status_code) == (201, 429)


def test_the_chat_page_and_its_files_are_served_without_leaking_the_link(chat_world: ChatWorld) -> None:
    page = chat_world.client.get(f"/chat/{chat_world.token()}")
    script = chat_world.client.get("/static/chat.js")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'id="transcript"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert script.status_code == 200
    assert "/api/chat/sessions" in script.text


def test_the_chat_api_is_in_the_openapi_document(chat_world: ChatWorld) -> None:
    paths = chat_world.client.get("/schema/openapi.json").json()["paths"]

    assert {"post"} <= set(paths["/api/chat/sessions"])
    assert {"get"} <= set(paths["/api/chat/sessions/{session_id}"])
    assert {"post"} <= set(paths["/api/chat/sessions/{session_id}/messages"])
    assert "/chat/{token}" not in paths
