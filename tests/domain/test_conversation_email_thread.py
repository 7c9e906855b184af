"""An emailed customer message keeps where it sits in its mail thread, so the answer can join it."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from leadorch.domain.conversation import MAX_THREAD_REFERENCES, Conversation, CustomerLine, EmailThread
from leadorch.domain.errors import InvalidValue
from tests.domain.event_replay import MAPPER, rebuilt, state_of

AT = datetime(2025, 6, 10, 17, 0, tzinfo=UTC)


def a_conversation() -> Conversation:
    return Conversation.open(tenant_id="t1", lead_id=uuid4(), location_id="loc-1", at=AT)


def test_an_emailed_message_keeps_its_message_id_references_and_subject_through_replay() -> None:
    conversation = a_conversation()
    thread = EmailThread.of("<c2@mail.example>", ["<t1@sendgrid.net>"], "Re:  Your quote\n for tint")

    conversation.receive_customer_message(text="Saturday?", at=AT, email_thread=thread)

    assert conversation.entries[-1] == CustomerLine(
        at=AT,
        text="Saturday?",
        thread=EmailThread("<c2@mail.example>", ("<t1@sendgrid.net>",), "Re: Your quote for tint"),
    )
    assert conversation.last_email_thread == conversation.entries[-1].thread  # type: ignore[union-attr]
    assert state_of(rebuilt(conversation.collect_events(), Conversation)) == state_of(conversation)


def test_a_chat_message_has_no_thread_and_the_newest_emailed_one_is_the_thread_to_answer() -> None:
    conversation = a_conversation()
    conversation.receive_customer_message(text="first", at=AT, email_thread=EmailThread.of("<a@x>"))
    conversation.receive_customer_message(text="from the chat", at=AT)

    assert conversation.entries[-1] == CustomerLine(at=AT, text="from the chat")
    assert conversation.last_email_thread == EmailThread("<a@x>")


def test_an_event_stored_before_threads_existed_replays_without_one() -> None:
    conversation = a_conversation()
    conversation.receive_customer_message(text="hello", at=AT)
    opened, received = conversation.collect_events()
    stored = MAPPER.to_stored_event(received)
    state = MAPPER.transcoder.decode(stored.state)
    del state["email_thread"]
    old = StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=MAPPER.transcoder.encode(state),
    )

    replayed = rebuilt([opened, MAPPER.to_domain_event(old)], Conversation)

    assert replayed.entries == (CustomerLine(at=AT, text="hello"),)


def test_a_long_references_chain_keeps_its_root_and_its_newest_ids() -> None:
    ids = [f"<m{n}@x>" for n in range(40)]

    thread = EmailThread.of("<new@x>", ids)

    assert len(thread.references) == MAX_THREAD_REFERENCES
    assert thread.references[0] == "<m0@x>"
    assert thread.references[-1] == "<m39@x>"


@pytest.mark.parametrize("bad", ["   ", "<a b@x>", "<a@x>\r\nBcc: x@y", 5])
def test_a_malformed_message_id_is_refused(bad: object) -> None:
    with pytest.raises(InvalidValue):
        EmailThread.of(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("none", ["", None])
def test_a_message_without_a_message_id_keeps_its_references_and_subject(none: str | None) -> None:
    assert EmailThread.of(none, ["<a@x>"], "Re: quote") == EmailThread("", ("<a@x>",), "Re: quote")
