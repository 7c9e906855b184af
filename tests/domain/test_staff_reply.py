"""Staff answer in the lead's conversation: a reply is claimed once per key, and allowed only as an answer."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadorch.domain.cadence import SendingWindow
from leadorch.domain.conversation import Conversation, StaffLine
from leadorch.domain.errors import IllegalTransition, InvalidValue
from leadorch.domain.sending_terms import SendingTerms
from leadorch.domain.staff_reply import LIVE_CONVERSATION, ReplyRefusal, staff_reply_refusal
from tests.domain.event_replay import rebuilt, state_of

AT = datetime(2025, 6, 10, 17, 0, tzinfo=UTC)  # 10:00 in Los Angeles
NIGHT = datetime(2025, 6, 11, 6, 0, tzinfo=UTC)  # 23:00 in Los Angeles
TERMS = SendingTerms(SendingWindow(time(9), time(20)), "America/Los_Angeles")


def a_conversation() -> Conversation:
    return Conversation.open(tenant_id="t1", lead_id=uuid4(), location_id="loc-1", at=AT)


def test_a_staff_reply_is_in_the_transcript_with_the_name_and_the_channel_and_survives_replay() -> None:
    conversation = a_conversation()

    claimed = conversation.reply_as_staff(key="k1", text=" On our way! ", staff="Ana", channel="sms", at=AT)
    conversation.record_staff_reply_sent(key="k1", provider_message_id="SM1", at=AT)

    assert claimed is True
    assert conversation.entries[-1] == StaffLine(
        at=AT, text="On our way!", staff="Ana", channel="sms", key="k1"
    )
    assert conversation.staff_replies == {"k1": "sent"}
    events = conversation.collect_events()
    assert [type(e).__name__ for e in events[1:]] == ["StaffReplied", "StaffReplySent"]
    assert state_of(rebuilt(events, Conversation)) == state_of(conversation)


def test_the_same_key_twice_claims_once() -> None:
    conversation = a_conversation()
    conversation.reply_as_staff(key="k1", text="Hello", staff="Ana", channel="sms", at=AT)

    again = conversation.reply_as_staff(key="k1", text="Hello", staff="Ana", channel="sms", at=AT)

    assert again is False
    assert [type(e).__name__ for e in conversation.collect_events()].count("StaffReplied") == 1


def test_a_failed_reply_is_recorded_and_settling_twice_changes_nothing() -> None:
    conversation = a_conversation()
    conversation.reply_as_staff(key="k1", text="Hello", staff="Ana", channel="email", at=AT)

    conversation.record_staff_reply_failed(key="k1", reason="address bounced", at=AT)
    conversation.record_staff_reply_sent(key="k1", provider_message_id="x", at=AT)

    assert conversation.staff_replies == {"k1": "failed"}


def test_settling_a_reply_never_claimed_is_refused() -> None:
    with pytest.raises(IllegalTransition, match="no such reply"):
        a_conversation().record_staff_reply_sent(key="nope", provider_message_id=None, at=AT)


@pytest.mark.parametrize(
    ("text", "channel", "words"),
    [
        ("   ", "sms", "some text"),
        ("hi", "fax", "not 'fax'"),
        ("x" * 2001, "email", "at most 2,000"),
        ("a" * 307, "sms", "would be 3"),
        ("😀" * 135, "sms", "SMS segments"),
    ],
)
def test_bad_replies_are_refused_with_the_reason(text: str, channel: str, words: str) -> None:
    conversation = a_conversation()
    with pytest.raises(InvalidValue, match=words):
        conversation.reply_as_staff(key="k", text=text, staff="Ana", channel=channel, at=AT)
    assert conversation.staff_replies == {}


def test_two_full_sms_segments_are_allowed() -> None:
    conversation = a_conversation()
    assert conversation.reply_as_staff(key="k", text="a" * 306, staff="Ana", channel="sms", at=AT)


def refusal(
    *,
    channel: str = "sms",
    customer_wrote_at: datetime | None = AT,
    opted_out: bool = False,
    has_address: bool = True,
    now: datetime = AT,
) -> ReplyRefusal | None:
    return staff_reply_refusal(
        channel=channel,
        customer_wrote_at=customer_wrote_at,
        opted_out=opted_out,
        has_address=has_address,
        terms=TERMS,
        now=now,
    )


def reason(refused: ReplyRefusal | None) -> str:
    assert refused is not None
    return refused.reason


def test_an_answer_to_the_customers_own_message_may_go() -> None:
    assert refusal() is None


def test_a_customer_who_never_wrote_on_the_channel_is_not_answered_there() -> None:
    assert "has not written by sms" in reason(refusal(customer_wrote_at=None))


def test_an_opted_out_channel_or_no_address_is_refused() -> None:
    assert "opted out" in reason(refusal(opted_out=True))
    assert "no sms address" in reason(refusal(has_address=False))


@given(st.timedeltas(min_value=timedelta(0), max_value=LIVE_CONVERSATION))
def test_a_live_conversation_is_answered_even_at_night(ago: timedelta) -> None:
    assert refusal(customer_wrote_at=NIGHT - ago, now=NIGHT) is None


def test_a_late_answer_keeps_quiet_hours_and_says_when_it_could_go() -> None:
    refused = refusal(customer_wrote_at=NIGHT - LIVE_CONVERSATION - timedelta(seconds=1), now=NIGHT)

    assert reason(refused).startswith("quiet hours")
    assert refused is not None and refused.next_allowed == datetime(2025, 6, 11, 16, 0, tzinfo=UTC)


def test_the_web_chat_has_no_quiet_hours() -> None:
    assert refusal(channel="chat", customer_wrote_at=AT, now=NIGHT, has_address=False) is None
