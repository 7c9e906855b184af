"""The tool layer holds whatever the model says: a question never books, cancelling asks first,
bookings stay inside the location's horizon, times name their zone, and malformed model output is a tool error the model can
correct, never a failed turn.

A scripted assistant (a fake of our `Assistant` port) plays the model, so each test says exactly what
the model asks for; the chat runs over HTTP on PostgreSQL as in production. The shop: Mon–Fri
09:00–18:00, Sat 10:00–16:00, two bays; it is Wednesday 25 November 2026, 09:30 in San Diego.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.support.chat_tools import error_of, say, script, tools_for, use
from tests.support.chat_world import LOCATION, PREMIUM, ChatWorld
from tests.support.services import create_database, drop_database

from leadorch.app.booking.wording import zoned_label
from leadorch.app.config.errors import InvalidConfiguration
from leadorch.domain.values import LeadStatus
from leadorch.ports.assistant import ToolResult

FRIDAY_10AM = "2026-11-27T10:00:00-08:00"
SATURDAY_10AM = "2026-11-28T10:00:00-08:00"
BOOK_FRIDAY = {"start": FRIDAY_10AM, "service_ids": [PREMIUM]}
NOT_ASKED = "the customer has not asked to book; offer the time and ask"


@pytest.fixture(scope="module")
def shared_database_url(pg_admin_url: str) -> Iterator[str]:
    url = create_database(pg_admin_url)
    try:
        yield url
    finally:
        drop_database(pg_admin_url, url)


def tool_results(world: ChatWorld) -> list[Any]:
    return world.events("Conversation.ToolCalled")


# ------------------------------------------------------------------------------ a question never books


@pytest.mark.parametrize(
    "question", ["is 2pm booked?", "who is booked tomorrow at 10?", "Is Friday at 10 free", "thanks!"]
)
def test_a_question_is_answered_and_never_booked_whatever_the_model_asks(
    chat_world: ChatWorld, question: str
) -> None:
    assistant = script(
        chat_world, use("book_appointment", BOOK_FRIDAY), say("Friday at 10 is open. Shall I book it?")
    )

    reply = chat_world.say(question)

    assert reply["text"] == "Friday at 10 is open. Shall I book it?"
    (call,) = tool_results(chat_world)
    assert call.is_error and call.result["error"].startswith(NOT_ASKED)
    assert call.result["offer"] == "Fri Nov 27, 10:00 AM PST"
    assert chat_world.events("Appointment.Booked") == []
    assert chat_world.lead().status is LeadStatus.ENGAGED
    _, seen, _ = assistant.seen[1]  # the model was told, and could act on it
    (result,) = seen[-1].content
    assert isinstance(result, ToolResult) and result.is_error


@pytest.mark.parametrize(
    "request_or_yes",
    [
        "yes",
        "Book it please",
        "the 10am one please",
        "Book Fri Nov 27, 10:00 AM PST (2026-11-27T10:00:00-08:00)",
    ],
)
def test_a_booking_request_or_a_yes_books(chat_world: ChatWorld, request_or_yes: str) -> None:
    script(chat_world, use("book_appointment", BOOK_FRIDAY), say("You're booked!"))

    reply = chat_world.say(request_or_yes)

    assert reply["appointment"]["label"] == "Fri Nov 27, 10:00 AM PST"
    assert chat_world.lead().status is LeadStatus.BOOKED


def test_the_slot_button_the_customer_pressed_decides_the_time(chat_world: ChatWorld) -> None:
    button = "Book Fri Nov 27, 10:00 AM PST (2026-11-27T10:00:00-08:00)"
    tools = tools_for(chat_world, said=(button,))

    other = tools.run("book_appointment", {"start": "2026-11-27T12:00:00-08:00", "service_ids": [PREMIUM]})
    pressed = tools.run("book_appointment", BOOK_FRIDAY)

    assert error_of(other.result) == (
        "the customer pressed the button for Fri Nov 27, 10:00 AM PST; use that slot's start, "
        "2026-11-27T10:00:00-08:00"
    )
    assert pressed.result["appointment"]["start"] == FRIDAY_10AM
    assert len(chat_world.events("Appointment.Booked")) == 1


def test_after_the_question_the_customers_yes_books_the_offered_time(chat_world: ChatWorld) -> None:
    script(
        chat_world,
        use("find_slots", {"date": "2026-11-27", "time": "10:00", "service_ids": [PREMIUM]}),
        use("book_appointment", BOOK_FRIDAY),
        say("10 AM Friday is free. Want it?"),
        use("book_appointment", BOOK_FRIDAY),
        say("Booked!"),
    )

    asked = chat_world.say("is 10am friday free?")
    booked = chat_world.say("yes")

    assert [slot["start"] for slot in asked["slots"]] == [FRIDAY_10AM]  # offered, not booked
    assert "appointment" not in asked
    assert booked["appointment"]["start"] == FRIDAY_10AM


def test_a_question_does_not_move_a_booked_appointment(chat_world: ChatWorld) -> None:
    script(
        chat_world,
        use("book_appointment", BOOK_FRIDAY),
        say("Booked."),
        use("reschedule_appointment", {"start": SATURDAY_10AM}),
        say("Saturday 10 is free."),
    )
    chat_world.say("book me friday at 10am")

    chat_world.say("is saturday at 10 free?")

    moved = tool_results(chat_world)[-1]
    assert moved.result["error"].startswith("the customer has not asked to move the appointment")
    assert chat_world.events("Appointment.Rescheduled") == []


# ------------------------------------------------------------------------ cancelling asks first

CONFIRM = "ask the customer to confirm"


def booked(world: ChatWorld) -> None:
    outcome = tools_for(world, said=("book it",)).run("book_appointment", BOOK_FRIDAY)
    assert "appointment" in outcome.result, outcome.result


@pytest.mark.parametrize(
    ("latest", "tool_input"),
    [
        ("please cancel my appointment", {"confirmed": True}),  # asked to cancel: ask before cancelling
        ("is it cancelled?", {"confirmed": True}),
        ("yes", {}),  # the model did not say it is confirmed
        ("yes", {"confirmed": False}),
    ],
)
def test_cancelling_needs_the_customers_yes_to_the_question(
    chat_world: ChatWorld, latest: str, tool_input: dict[str, Any]
) -> None:
    booked(chat_world)

    outcome = tools_for(chat_world, said=(latest,)).run("cancel_appointment", tool_input)

    assert error_of(outcome.result).startswith(CONFIRM)
    assert outcome.result["confirm_question"] == (
        "Cancel your Premium Tint Package appointment on Fri Nov 27, 10:00 AM PST?"
    )
    assert chat_world.lead().status is LeadStatus.BOOKED
    assert chat_world.events("Appointment.Cancelled") == []


def test_through_the_chat_the_question_then_the_yes_cancels(chat_world: ChatWorld) -> None:
    booked(chat_world)
    script(
        chat_world,
        use("cancel_appointment", {"confirmed": True}),
        say("Cancel your Premium Tint Package on Fri Nov 27, 10:00 AM PST?"),
        use("cancel_appointment", {"confirmed": True}),
        say("It's cancelled."),
    )

    asked = chat_world.say("cancel my appointment")
    cancelled = chat_world.say("yes please")

    assert asked["text"] == "Cancel your Premium Tint Package on Fri Nov 27, 10:00 AM PST?"
    assert "appointment" not in asked
    assert cancelled["appointment"]["status"] == "cancelled"
    assert chat_world.lead().status is LeadStatus.ENGAGED
    first, second = tool_results(chat_world)
    assert first.is_error and first.result["error"].startswith(CONFIRM)
    assert not second.is_error


def test_there_is_nothing_to_confirm_without_an_appointment(chat_world: ChatWorld) -> None:
    outcome = tools_for(chat_world, said=("yes",)).run("cancel_appointment", {"confirmed": True})

    assert error_of(outcome.result) == "there is no booked appointment to cancel"


# -------------------------------------------------------------------------- malformed model output

MALFORMED = [
    ("find_slots", ["2026-11-27"], "find_slots: Expected `object`, got `array`"),
    ("find_slots", "friday", "find_slots: Expected `object`, got `str`"),
    ("find_slots", None, "find_slots: Expected `object`, got `null`"),
    ("find_slots", 42, "find_slots: Expected `object`, got `int`"),
    ("find_slots", {"date": 20261127}, "Expected `date`, got `int` - at `$.date`"),
    ("find_slots", {"date": "9999-12-31"}, "9999-12-31 is too far ahead"),
    ("find_slots", {"date": "0001-01-01"}, "that time has passed"),
    ("find_slots", {"after_date": "9999-12-30"}, "is too far ahead"),
    ("find_slots", {"from": "9999-12-31T23:59:59-14:00"}, "from 9999-12-31T23:59:59-14:00 is out of range"),
    ("find_slots", {"to": "0001-01-01T00:00:00+14:00"}, "is out of range"),
    ("find_slots", {"service_ids": "premium"}, "Expected `array`, got `str` - at `$.service_ids`"),
    ("find_slots", {"time": 14}, "Expected `str`, got `int` - at `$.time`"),
    ("book_appointment", {"start": "9999-12-31T23:59:59+14:00"}, "start 9999-12-31T23:59:59+14:00 is out of range"),
    ("book_appointment", {"start": True}, "Expected `datetime`, got `bool` - at `$.start`"),
    ("book_appointment", [BOOK_FRIDAY], "book_appointment: Expected `object`, got `array`"),
    ("reschedule_appointment", {"start": "soon"}, "Invalid RFC3339 encoded datetime - at `$.start`"),
    ("cancel_appointment", {"confirmed": "yes"}, "Expected `bool`, got `str` - at `$.confirmed`"),
    ("handoff_to_human", {"question": ["a", "b"]}, "Expected `str`, got `array` - at `$.question`"),
    ("teleport", {"to": "Mars"}, "there is no tool called 'teleport'"),
    ("", {}, "there is no tool called '(no tool name)'"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "tool_input", "reason"), MALFORMED)
def test_the_tool_runner_answers_malformed_input_with_an_error(
    chat_world: ChatWorld, name: str, tool_input: Any, reason: str
) -> None:
    outcome = tools_for(chat_world, said=("book it",)).run(name or "(no tool name)", tool_input)

    assert reason in error_of(outcome.result)
    assert "failed unexpectedly" not in error_of(outcome.result)


@pytest.mark.parametrize(("name", "tool_input", "reason"), MALFORMED)
def test_malformed_model_output_is_a_tool_error_handed_back_never_a_failed_turn(
    chat_world: ChatWorld, name: str, tool_input: Any, reason: str
) -> None:
    assistant = script(chat_world, use(name, tool_input), say("Which day would you like?"))

    reply = chat_world.say("book me in for the premium")

    assert reply["text"] == "Which day would you like?"
    assert not reply.get("handoff")
    (call,) = tool_results(chat_world)
    assert call.is_error and reason in call.result["error"]
    assert isinstance(call.input, dict)  # recorded as a mapping whatever was sent
    _, seen, _ = assistant.seen[1]
    asked, answered = seen[-2].content[-1], seen[-1].content[0]
    assert isinstance(answered, ToolResult) and answered.is_error and reason in answered.payload()["error"]
    assert isinstance(asked.input, dict) and answered.tool_use_id == asked.id  # type: ignore[union-attr]
    assert chat_world.lead().staff_flags == ()  # nobody was alerted: nothing failed


# ------------------------------------------------------------------------------------- the horizon


def test_times_are_offered_and_booked_only_within_the_horizon(chat_world: ChatWorld) -> None:
    tools = tools_for(chat_world, said=("book it",))

    too_far = tools.run("find_slots", {"date": "2027-01-25", "service_ids": [PREMIUM]})
    last_days = tools.run(
        "find_slots",
        {"from": "2027-01-18T00:00:00-08:00", "to": "2027-02-05T00:00:00-08:00", "service_ids": [PREMIUM]},
    )
    refused = tools.run("book_appointment", {"start": "2027-01-25T10:00:00-08:00", "service_ids": [PREMIUM]})
    booked = tools.run("book_appointment", {"start": "2027-01-23T10:00:00-08:00", "service_ids": [PREMIUM]})

    assert error_of(too_far.result).startswith(
        "2027-01-25 is too far ahead: appointments can be booked up to 60 days ahead, until 2027-01-24"
    )
    assert {slot["start"][:10] for slot in last_days.result["slots"]} <= {
        f"2027-01-{day}" for day in range(18, 25)
    }
    assert "Mon Jan 25, 10:00 AM is too far ahead" in error_of(refused.result)
    assert refused.result["slots"], "the latest free times are offered instead"
    assert booked.result["appointment"]["start"] == "2027-01-23T10:00:00-08:00"


def test_the_horizon_is_a_location_setting(chat_world: ChatWorld) -> None:
    config = chat_world.container.config
    config.update_location(chat_world.tenant_id, LOCATION, booking_horizon_days=90, actor="test")

    later = tools_for(chat_world).run("find_slots", {"date": "2027-02-05", "service_ids": [PREMIUM]})

    assert later.result["slots"]
    assert config.location(chat_world.tenant_id, LOCATION).booking_horizon_days == 90
    audit = config.audit(chat_world.tenant_id, limit=1)[0]
    assert audit.action == "location.update" and "booking_horizon_days" in str(audit.changes)
    for wrong in (0, 400):
        with pytest.raises(InvalidConfiguration, match="booking horizon in days must be between 1 and 365"):
            config.update_location(chat_world.tenant_id, LOCATION, booking_horizon_days=wrong, actor="test")


# --------------------------------------------------------------------------------- the time zone


def test_tool_results_name_the_locations_time_zone(chat_world: ChatWorld) -> None:
    tools = tools_for(chat_world, said=("yes",))

    slots = tools.run("find_slots", {"date": "2026-11-27", "service_ids": [PREMIUM]}).result["slots"]
    booked = tools.run("book_appointment", BOOK_FRIDAY).result["appointment"]

    assert all(slot["label"].endswith(" PST") for slot in slots)
    assert booked["label"] == "Fri Nov 27, 10:00 AM PST"


def test_the_zone_abbreviation_follows_daylight_saving_time() -> None:
    from datetime import UTC, datetime

    summer = datetime(2027, 6, 5, 16, 0, tzinfo=UTC)
    assert zoned_label(summer, "America/Los_Angeles") == "Sat Jun 5, 9:00 AM PDT"
    assert zoned_label(summer, "America/New_York") == "Sat Jun 5, 12:00 PM EDT"
