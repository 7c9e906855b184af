"""Staff answer in the lead's conversation: a reply is claimed once per key, and allowed only as an answer."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadorch.domain.cadence import SendingWindow
from leadorch.domain.conversation import Conversation, StaffLine
from leadorch.domain.errors import IllegalTransition, InvalidValue
from leadorch.domain.sending_rules import RecipientContext
from leadorch.domain.sending_terms import SendingTerms
from leadorch.domain.staff_reply import LIVE_CONVERSATION, ReplyRefusal, answer_proof, staff_reply_refusal
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


# ---- what allowed an answer: the proof it records with its claim

MIAMI_AT_SAN_DIEGO = SendingTerms(
    SendingWindow(time(8), time(21)),
    "America/Los_Angeles",
    RecipientContext(state="FL", zones=("America/New_York",), derived_from="area code 305 (FL)"),
)
EVENING = datetime(2025, 6, 11, 0, 30, tzinfo=UTC)  # 17:30 in San Diego, 20:30 in Miami


def proof_of(
    *, wrote: datetime, now: datetime, channel: str = "sms", by: str = "assistant"
) -> dict[str, Any]:
    return answer_proof(
        by=by,
        channel=channel,
        customer_wrote_at=wrote,
        terms=MIAMI_AT_SAN_DIEGO,
        now=now,
        marketing_consent=False,
    )


def test_a_live_answer_says_it_answers_the_customers_message_and_went_at_once_with_both_windows_as_read() -> (
    None
):
    proof = proof_of(wrote=EVENING - timedelta(minutes=3), now=EVENING)

    message = proof["message"]
    assert message["solicitation"] is False and message["quiet_hours"] == "not held"
    assert "wrote 3 min before, within the live conversation's 15 minutes" in message["why"]
    assert proof["recipient"]["state"] == "FL"
    assert any(row["zone"] == "America/New_York" for row in proof["legal_hours"])
    assert proof["cap"] is None  # an answer is no solicitation: no cap counts it
    assert proof["consent"]["relied_on"] == "the customer's own message"
    assert proof["consent"]["marketing_consent"] is False
    clocks = {row["zone"]: row["local_time"][11:16] for row in proof["legal_hours"]}
    assert clocks["America/New_York"] == "20:30"  # Miami's clock as read when it went
    assert proof["location_window"]["local_time"][11:16] == "17:30"  # beside the shop's


def test_a_late_answer_says_it_kept_both_windows() -> None:
    morning = datetime(2025, 6, 11, 16, 0, tzinfo=UTC)  # 09:00 San Diego, 12:00 Miami
    proof = proof_of(wrote=EVENING, now=morning, by="staff")

    assert proof["message"]["quiet_hours"] == "applied"
    assert proof["message"]["label"] == "a staff reply"
    assert "kept both windows" in proof["message"]["why"]


def test_an_answer_in_the_web_chat_records_no_windows() -> None:
    proof = proof_of(wrote=AT, now=NIGHT, channel="chat", by="staff")

    assert "location_window" not in proof and proof["message"]["quiet_hours"] == "not held"
    assert "no hours apply" in proof["message"]["why"]


def test_an_unknown_answerer_is_refused() -> None:
    with pytest.raises(InvalidValue, match="unknown answerer"):
        proof_of(wrote=AT, now=AT, by="robot")


@given(
    wrote=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2025, 12, 31), timezones=st.just(UTC)
    ),
    after=st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=30)),
)
def test_whenever_an_answer_may_go_its_proof_says_why_live_or_inside_both_windows(
    wrote: datetime, after: timedelta
) -> None:
    now = wrote + after
    refused = staff_reply_refusal(
        channel="sms", customer_wrote_at=wrote, opted_out=False, has_address=True,
        terms=MIAMI_AT_SAN_DIEGO, now=now,
    )  # fmt: skip
    if refused is not None:
        assert refused.reason.startswith("quiet hours") and not MIAMI_AT_SAN_DIEGO.admits(now)
        return
    proof = proof_of(wrote=wrote, now=now)
    if proof["message"]["quiet_hours"] == "applied":
        assert after > LIVE_CONVERSATION and MIAMI_AT_SAN_DIEGO.admits(now)
    else:
        assert after <= LIVE_CONVERSATION


def test_a_claim_keeps_its_proof_and_replay_keeps_it() -> None:
    conversation = a_conversation()
    proof = proof_of(wrote=AT, now=AT, by="staff")

    conversation.reply_as_staff(key="k1", text="Hi", staff="Ana", channel="sms", at=AT, allowed_by=proof)
    conversation.record_reply(text="Hello", slots=[], appointment=None, at=AT, channel="sms", key="a1",
                              allowed_by=proof_of(wrote=AT, now=AT))  # fmt: skip

    events = conversation.collect_events()
    assert events[1].allowed_by == proof  # type: ignore[attr-defined]
    assert events[2].allowed_by["message"]["label"] == "the assistant's answer"  # type: ignore[attr-defined]
    assert state_of(rebuilt(events, Conversation)) == state_of(conversation)
