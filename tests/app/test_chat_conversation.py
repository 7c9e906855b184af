"""The Conversation aggregate: one per lead, its transcript, and how it reads to the model and the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from tests.domain.event_replay import rebuilt, state_of

from leadorch.app.chat.history import INTERRUPTED, model_messages, transcript
from leadorch.domain.conversation import (
    MAX_CUSTOMER_MESSAGE_CHARS,
    Conversation,
    CustomerLine,
    ToolCall,
    conversation_id,
)
from leadorch.domain.errors import InvalidValue
from leadorch.ports.assistant import TextBlock, ToolResult, ToolUse

T0 = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
LEAD = uuid4()


def opened() -> Conversation:
    return Conversation.open(tenant_id="demo-tint", lead_id=LEAD, location_id="san-diego", at=T0)


def test_a_lead_has_one_conversation_whose_id_follows_from_the_leads() -> None:
    conversation = opened()

    assert conversation.id == conversation_id(LEAD) == conversation_id(str(LEAD))
    assert conversation.id != conversation_id(uuid4())
    with pytest.raises(InvalidValue, match="lead_id must be a UUID"):
        conversation_id("lead-1")


def test_the_transcript_keeps_every_turn_and_survives_the_store() -> None:
    conversation = opened()
    conversation.record_link_opened(at=T0)
    conversation.receive_customer_message(text="  Friday?  ", at=T0 + timedelta(seconds=1))
    conversation.record_tool_call(
        name="find_slots",
        tool_input={"date": "2026-11-27"},
        result={"slots": [{"start": "2026-11-27T10:00:00-08:00", "label": "Fri Nov 27, 10:00 AM"}]},
        tool_use_id="toolu_1",
        step=0,
        is_error=False,
        at=T0 + timedelta(seconds=2),
    )
    conversation.record_reply(
        text="10 AM is open.",
        slots=[{"start": "2026-11-27T10:00:00-08:00", "label": "Fri Nov 27, 10:00 AM"}],
        appointment=None,
        at=T0 + timedelta(seconds=3),
    )
    conversation.hand_to_human(question="call me", at=T0 + timedelta(seconds=4))

    replayed = rebuilt(conversation.collect_events(), Conversation)

    assert state_of(replayed) == state_of(conversation)
    assert (replayed.link_opens, replayed.customer_messages, replayed.handoffs) == (1, 1, 1)
    assert replayed.entries[0] == CustomerLine(at=T0 + timedelta(seconds=1), text="Friday?")
    assert isinstance(replayed.entries[1], ToolCall) and replayed.entries[1].input == {"date": "2026-11-27"}
    assert transcript(replayed) == [
        {"role": "customer", "text": "Friday?", "at": T0 + timedelta(seconds=1)},
        {
            "role": "assistant",
            "text": "10 AM is open.",
            "at": T0 + timedelta(seconds=3),
            "slots": [{"start": "2026-11-27T10:00:00-08:00", "label": "Fri Nov 27, 10:00 AM"}],
        },
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("   ", "a chat message must contain some text"),
        ("x" * (MAX_CUSTOMER_MESSAGE_CHARS + 1), "at most 2,000 characters, this one has 2,001"),
    ],
)
def test_empty_and_overlong_messages_are_refused(text: str, reason: str) -> None:
    with pytest.raises(InvalidValue, match=reason):
        opened().receive_customer_message(text=text, at=T0)


def test_naive_times_are_refused() -> None:
    with pytest.raises(InvalidValue, match="timezone-aware"):
        opened().record_link_opened(at=datetime(2026, 11, 25, 9, 30))


def _call(conversation: Conversation, tool_id: str, step: int, name: str = "list_services") -> None:
    conversation.record_tool_call(
        name=name,
        tool_input={},
        result={"services": []},
        tool_use_id=tool_id,
        step=step,
        is_error=False,
        at=T0,
    )


def test_the_model_sees_tools_asked_together_as_one_request_and_their_results_in_the_next_message() -> None:
    conversation = opened()
    conversation.receive_customer_message(text="prices and times?", at=T0)
    _call(conversation, "toolu_a", 0)
    _call(conversation, "toolu_b", 0, "find_slots")
    _call(conversation, "toolu_c", 1)
    conversation.record_reply(text="Here you go.", slots=[], appointment=None, at=T0)
    conversation.receive_customer_message(text="thanks", at=T0)

    messages = model_messages(conversation)

    assert [m.role for m in messages] == [
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
        "assistant",
        "user",
    ]
    assert [b.id for b in messages[1].content if isinstance(b, ToolUse)] == ["toolu_a", "toolu_b"]
    assert [b.tool_use_id for b in messages[2].content if isinstance(b, ToolResult)] == ["toolu_a", "toolu_b"]
    assert [b.id for b in messages[3].content if isinstance(b, ToolUse)] == ["toolu_c"]
    assert messages[5].text == "Here you go." and messages[6].text == "thanks"


def test_a_turn_interrupted_after_its_tools_is_closed_before_the_next_message() -> None:
    conversation = opened()
    conversation.receive_customer_message(text="prices?", at=T0)
    _call(conversation, "toolu_a", 0)
    conversation.receive_customer_message(text="hello?", at=T0)

    messages = model_messages(conversation)

    assert [m.role for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert messages[3].content == [TextBlock(INTERRUPTED)]
    assert messages[4].text == "hello?"


def test_a_long_history_is_cut_at_a_customer_line() -> None:
    conversation = opened()
    for number in range(60):
        conversation.receive_customer_message(text=f"question {number}", at=T0)
        conversation.record_reply(text=f"answer {number}", slots=[], appointment=None, at=T0)

    messages = model_messages(conversation, max_entries=11)

    assert messages[0].role == "user" and messages[0].text == "question 55"
    assert messages[-1].text == "answer 59"


def test_a_staff_reply_in_the_chat_is_on_the_page_named_and_every_staff_reply_is_read_by_the_model() -> None:
    conversation = opened()
    conversation.receive_customer_message(text="can a person call me?", at=T0)
    conversation.reply_as_staff(
        key="key-chat-1", text="Ana here, calling now.", staff="Ana", channel="chat", at=T0
    )
    conversation.reply_as_staff(
        key="key-sms-1", text="Missed you, call back?", staff="Ana", channel="sms", at=T0
    )
    conversation.receive_customer_message(text="thanks!", at=T0)

    page = transcript(conversation)
    messages = model_messages(conversation)

    assert [(line["role"], line["text"], line.get("by")) for line in page] == [
        ("customer", "can a person call me?", None),
        ("assistant", "Ana here, calling now.", "Ana"),
        ("customer", "thanks!", None),
    ]  # the text went to the phone, not the page
    assert [m.role for m in messages] == ["user", "assistant", "user"]
    assert [b.text for b in messages[1].content if isinstance(b, TextBlock)] == [
        "Ana (staff, by chat): Ana here, calling now.",
        "Ana (staff, by sms): Missed you, call back?",
    ]
