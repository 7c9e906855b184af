"""Every message of a lead's one conversation says where it was written (web chat, text or email), and
an assistant's reply a provider sends is claimed once under its key, so a retried job never sends twice."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from leadorch.domain.conversation import AssistantLine, Conversation, CustomerLine, EmailThread
from leadorch.domain.errors import IllegalTransition, InvalidValue
from tests.domain.event_replay import MAPPER, rebuilt, state_of

AT = datetime(2025, 6, 10, 17, 0, tzinfo=UTC)


def a_conversation() -> Conversation:
    return Conversation.open(tenant_id="t1", lead_id=uuid4(), location_id="loc-1", at=AT)


def test_each_message_keeps_its_channel_through_replay() -> None:
    conversation = a_conversation()
    conversation.receive_customer_message(text="from the page", at=AT)
    conversation.record_reply(text="Hi!", slots=[], appointment=None, at=AT)
    conversation.receive_customer_message(text="by text", at=AT, channel="sms")
    conversation.record_reply(text="Sure.", slots=[], appointment=None, at=AT, channel="sms", key="a-2")
    thread = EmailThread.of("<c@mail.example>", [], "Re: your quote")
    conversation.receive_customer_message(text="by mail", at=AT, channel="email", email_thread=thread)

    assert [getattr(entry, "channel", None) for entry in conversation.entries] == [
        "chat",
        "chat",
        "sms",
        "sms",
        "email",
    ]
    assert conversation.entries[3] == AssistantLine(at=AT, text="Sure.", channel="sms", key="a-2")
    assert state_of(rebuilt(conversation.collect_events(), Conversation)) == state_of(conversation)


def _stored_without(event: object, *names: str) -> object:
    stored = MAPPER.to_stored_event(event)  # type: ignore[arg-type]
    state = MAPPER.transcoder.decode(stored.state)
    for name in names:
        del state[name]
    return MAPPER.to_domain_event(
        StoredEvent(
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=MAPPER.transcoder.encode(state),
        )
    )


def test_events_stored_before_channels_existed_read_as_the_web_chat() -> None:
    conversation = a_conversation()
    conversation.receive_customer_message(text="hello", at=AT)
    conversation.record_reply(text="Hi there", slots=[], appointment=None, at=AT)
    opened, received, replied = conversation.collect_events()

    replayed = rebuilt(
        [opened, _stored_without(received, "channel"), _stored_without(replied, "channel", "key")],  # type: ignore[list-item]
        Conversation,
    )

    assert replayed.entries == (
        CustomerLine(at=AT, text="hello", channel="chat"),
        AssistantLine(at=AT, text="Hi there", channel="chat"),
    )
    assert replayed.replies == {}


def test_a_reply_claimed_under_a_key_is_claimed_once_and_settled_once() -> None:
    conversation = a_conversation()
    conversation.receive_customer_message(text="Saturday?", at=AT, channel="sms")

    first = conversation.record_reply(
        text="1 or 2?", slots=[], appointment=None, at=AT, channel="sms", key="k"
    )
    again = conversation.record_reply(
        text="1 or 2?", slots=[], appointment=None, at=AT, channel="sms", key="k"
    )
    conversation.record_reply_sent(key="k", provider_message_id="SM1", at=AT)
    conversation.record_reply_failed(key="k", reason="too late", at=AT)  # settled already: no change

    assert (first, again) == (True, False)
    assert len([entry for entry in conversation.entries if isinstance(entry, AssistantLine)]) == 1
    assert conversation.replies == {"k": "sent"}
    with pytest.raises(IllegalTransition):
        conversation.record_reply_sent(key="never-claimed", provider_message_id=None, at=AT)


@pytest.mark.parametrize("channel", ["", "web", "whatsapp", "SMS"])
def test_an_unknown_channel_is_refused(channel: str) -> None:
    conversation = a_conversation()
    with pytest.raises(InvalidValue):
        conversation.receive_customer_message(text="hi", at=AT, channel=channel)
    with pytest.raises(InvalidValue):
        conversation.record_reply(text="hi", slots=[], appointment=None, at=AT, channel=channel)
