"""An assistant's answer as a text: within two segments whatever it said, the times it offers numbered,
and a number or a yes read back on the server against exactly the times the customer read."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from leadorch.app.conversations.sms_picks import CONFIRM, decide
from leadorch.app.conversations.sms_wording import MAX_NUMBERED, fits, sms_answer
from leadorch.domain.conversation import Conversation

AT = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
URL = "https://chat.example.com/chat/abcdefghijklmnopqrstuvwxyz0123456789"


def slot(n: int) -> dict[str, str]:
    return {"start": f"2026-11-28T{9 + n:02d}:00:00-08:00", "label": f"Sat Nov 28, {9 + n}:00 AM PST"}


@given(st.text(max_size=1500), st.integers(min_value=0, max_value=6))
def test_any_answer_fits_two_segments_and_numbers_a_prefix_of_the_times(text: str, count: int) -> None:
    slots = [slot(n) for n in range(count)]

    body, numbered = sms_answer(text, slots, URL)

    assert fits(body)
    assert numbered == slots[: len(numbered)] and len(numbered) <= MAX_NUMBERED
    if numbered:
        assert f"{len(numbered)} for {numbered[-1]['label']}" in body


def test_a_long_answer_becomes_its_first_sentences_and_the_chat_link() -> None:
    text = "We tint every car. " * 30

    body, numbered = sms_answer(text, [], URL)

    assert body.endswith(f"More: {URL}") and body.startswith("We tint every car.") and numbered == []


def conversation_offering(*slots: dict[str, str]) -> Conversation:
    conversation = Conversation.open(tenant_id="t1", lead_id=uuid4(), location_id="loc", at=AT)
    conversation.receive_customer_message(text="Saturday?", at=AT, channel="sms")
    conversation.record_reply(
        text="Times", slots=list(slots), appointment=None, at=AT, channel="sms", key="a-1"
    )
    return conversation


def test_a_number_picks_an_offered_time_and_a_yes_to_the_question_books_it() -> None:
    offered = conversation_offering(slot(0), slot(1))
    offered.receive_customer_message(text="2", at=AT, channel="sms")
    picked = decide(offered, "2")
    asked = conversation_offering({**slot(1), CONFIRM: "yes"})
    asked.receive_customer_message(text="yes", at=AT, channel="sms")

    assert picked is not None and (picked.action, picked.slot["start"]) == ("ask", slot(1)["start"])
    booked = decide(asked, "yes")
    assert booked is not None and booked.action == "book"
    assert decide(asked, "no thanks") is None


def test_a_number_out_of_range_or_without_an_offer_is_for_the_assistant() -> None:
    offered = conversation_offering(slot(0), slot(1))
    offered.receive_customer_message(text="7", at=AT, channel="sms")
    nothing = Conversation.open(tenant_id="t1", lead_id=uuid4(), location_id="loc", at=AT)
    nothing.receive_customer_message(text="2", at=AT, channel="sms")

    assert decide(offered, "7") is None
    assert decide(nothing, "2") is None
