"""The chat tools, run on the server for the session's lead only, whatever the model asks.

Every bad input is an `{"error": ...}` result naming what is wrong (never an exception); prices come
from the location's catalog; nothing in a tool input can change who is served or what they pay.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from tests.support.chat_world import (
    LOCATION,
    MANAGER_EMAIL,
    MANAGER_PHONE,
    PREMIUM,
    WINDSHIELD,
    ChatWorld,
)

from leadorch.app.chat.tool_runner import ChatContext, ToolRunner
from leadorch.domain.values import LeadStatus

FRIDAY_10AM = "2026-11-27T10:00:00-08:00"


@pytest.fixture(scope="module")
def shared_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Input validation does not depend on the backend (booking on both is in test_booking_*)."""
    return f"sqlite:///{tmp_path_factory.mktemp('chat-tools') / 'events.db'}"


def tools_for(world: ChatWorld, lead_id: str | None = None, said: tuple[str, ...] = ()) -> ToolRunner:
    config = world.container.config
    lead = world.lead(lead_id)
    context = ChatContext(
        container=world.container,
        tenant_id=world.tenant_id,
        lead_id=UUID(str(lead.id)),
        location=config.location(world.tenant_id, LOCATION),
        catalog=config.catalog(world.tenant_id, LOCATION),
        requested=tuple(lead.services),
        customer_texts=said,
        generic_words=frozenset(config.tenant(world.tenant_id).catalog_generic_words),
    )
    return ToolRunner(context, world.container.booking)


def error_of(result: dict[str, Any]) -> str:
    assert set(result) >= {"error"}, result
    return str(result["error"])


def test_list_services_gives_the_locations_catalog_prices(chat_world: ChatWorld) -> None:
    chat_world.container.config.set_location_price(
        chat_world.tenant_id, LOCATION, PREMIUM, 27500, actor="test"
    )

    services = tools_for(chat_world).run("list_services", {}).result["services"]

    premium = next(s for s in services if s["id"] == PREMIUM)
    assert premium == {
        "id": PREMIUM,
        "name": "Premium Tint Package",
        "price_cents": 27500,
        "duration_minutes": 120,
        "description": premium["description"],
        "bookable": True,
    }
    assert {s["name"] for s in services} >= {"Ultimate Tint Package", "Windshield Ceramic Tint"}


def test_find_slots_offers_free_times_inside_hours_spread_over_the_day(chat_world: ChatWorld) -> None:
    outcome = tools_for(chat_world).run("find_slots", {"date": "2026-11-27", "service_ids": [PREMIUM]})

    slots = outcome.result["slots"]
    assert [s["label"] for s in slots] == [
        "Fri Nov 27, 9:00 AM PST",
        "Fri Nov 27, 10:00 AM PST",
        "Fri Nov 27, 12:00 PM PST",
        "Fri Nov 27, 1:00 PM PST",
        "Fri Nov 27, 3:00 PM PST",
        "Fri Nov 27, 4:00 PM PST",
    ]
    assert slots[-1] == {
        "start": "2026-11-27T16:00:00-08:00",
        "end": "2026-11-27T18:00:00-08:00",
        "label": "Fri Nov 27, 4:00 PM PST",
    }
    assert outcome.result["service_ids"] == [PREMIUM]
    assert outcome.slots == [{"start": s["start"], "label": s["label"]} for s in slots]


def test_find_slots_starts_after_the_minimum_lead_time(chat_world: ChatWorld) -> None:
    slots = (
        tools_for(chat_world).run("find_slots", {"date": "2026-11-25", "service": "premium"}).result["slots"]
    )

    assert slots[0]["label"] == "Wed Nov 25, 11:30 AM PST"  # it is 09:30; two hours ahead


@pytest.mark.parametrize(
    ("tool_input", "reason"),
    [
        ({"date": "2026-11-29", "service_ids": [PREMIUM]}, None),
        ({"date": "2026-11-20", "service_ids": [PREMIUM]}, "that time has passed (today is 2026-11-25"),
        (
            {"date": "Friday", "service_ids": [PREMIUM]},
            "find_slots: Invalid RFC3339 encoded date - at `$.date`",
        ),
        (
            {"date": "2026-11-27", "service_ids": [PREMIUM, 7]},
            "Expected `str`, got `int` - at `$.service_ids[1]`",
        ),
        ({"date": "2026-11-27", "service_ids": []}, "Expected `array` of length >= 1 - at `$.service_ids`"),
        (
            {"date": "2026-11-27", "from": "2026-11-27T09:00:00-08:00"},
            "give either a date or a from/to range",
        ),
        ({"service_ids": ["svc-made-up"]}, "there is no service with id 'svc-made-up' at this shop"),
        ({"service": "gold plating"}, "there is no single service called 'gold plating'"),
        ({"service_ids": [WINDSHIELD]}, "Windshield Ceramic Tint can't be booked online"),
        (
            {"discount_percent": 90},
            "find_slots: Object contains unknown field `discount_percent`; "
            "find_slots takes service_ids, service, date, from, to",
        ),
    ],
)
def test_find_slots_explains_what_is_wrong_with_its_input(
    chat_world: ChatWorld, tool_input: dict[str, Any], reason: str | None
) -> None:
    outcome = tools_for(chat_world).run("find_slots", tool_input)

    if reason is None:  # a Sunday: no error, no slots, and why
        assert outcome.result["slots"] == []
        assert outcome.result["note"] == "the shop is closed on Sunday November 29; try another day"
    else:
        assert reason in error_of(outcome.result)


def test_without_a_service_named_anywhere_the_assistant_is_asked_to_ask(chat_world: ChatWorld) -> None:
    reason = error_of(tools_for(chat_world).run("find_slots", {"date": "2026-11-27"}).result)

    assert reason == (
        "which service is it for? We can book these online: "
        "Premium Tint Package, Supreme Tint Package, Ultimate Tint Package"
    )


def test_a_service_the_customer_named_is_used_when_the_model_leaves_it_out(chat_world: ChatWorld) -> None:
    said = ("any time Friday?", "how much for the supreme package?", "and the premium one?")
    outcome = tools_for(chat_world, said=said).run("find_slots", {"date": "2026-11-27"})

    assert outcome.result["services"][0]["name"] == "Supreme Tint Package"  # the newest naming one


def test_the_tenants_generic_words_decide_which_words_name_a_service(chat_world: ChatWorld) -> None:
    asked = {"date": "2026-11-27", "service": "premium ceramic"}
    tie = tools_for(chat_world).run("find_slots", asked)  # "premium" and "ceramic" each name one service
    config = chat_world.container.config
    words = config.tenant(chat_world.tenant_id).catalog_generic_words
    config.update_tenant(chat_world.tenant_id, catalog_generic_words=[*words, "ceramic"], actor="test")

    chosen = tools_for(chat_world).run("find_slots", asked)

    assert "there is no single service called 'premium ceramic'" in error_of(tie.result)
    assert chosen.result["services"][0]["name"] == "Premium Tint Package"
    listed = tools_for(chat_world).run("list_services", {}).result
    assert listed["generic_words"] == sorted([*words, "ceramic"])  # for the offline assistant to read


def test_booking_uses_the_catalog_price_and_marks_the_lead_booked(chat_world: ChatWorld) -> None:
    chat_world.container.config.set_location_price(
        chat_world.tenant_id, LOCATION, PREMIUM, 27500, actor="test"
    )

    outcome = tools_for(chat_world, said=("book it",)).run(
        "book_appointment", {"start": FRIDAY_10AM, "service_ids": [PREMIUM]}
    )

    appointment = outcome.result["appointment"]
    assert appointment["price_cents"] == 27500
    assert appointment["services"] == ["Premium Tint Package"]
    assert (appointment["start"], appointment["end"]) == (FRIDAY_10AM, "2026-11-27T12:00:00-08:00")
    assert appointment["label"] == "Fri Nov 27, 10:00 AM PST"
    assert outcome.appointment == appointment
    assert chat_world.lead().status is LeadStatus.BOOKED
    assert chat_world.schedule().stop_reason == "the customer booked an appointment"


@pytest.mark.parametrize(
    ("tool_input", "reason"),
    [
        (
            {"start": FRIDAY_10AM, "service_ids": [PREMIUM], "price_cents": 100},
            "Object contains unknown field `price_cents`",
        ),
        ({"start": FRIDAY_10AM, "lead_id": "someone-else"}, "Object contains unknown field `lead_id`"),
        (
            {"service_ids": [PREMIUM]},
            "book_appointment: Object missing required field `start`; "
            "book_appointment takes start (required), service_ids",
        ),
        (
            {"start": "next Friday", "service_ids": [PREMIUM]},
            "Invalid RFC3339 encoded datetime - at `$.start`",
        ),
        (
            {"start": "2026-11-24T10:00:00-08:00", "service_ids": [PREMIUM]},
            "Tue Nov 24, 10:00 AM has already passed",
        ),
        ({"start": "2026-11-25T10:00:00-08:00", "service_ids": [PREMIUM]}, "is too soon"),
        ({"start": "2026-11-27T17:00:00-08:00", "service_ids": [PREMIUM]}, "not open for the whole 2 hours"),
        (
            {"start": "2026-11-27T10:15:00-08:00", "service_ids": [PREMIUM]},
            "appointments start every 30 minutes",
        ),
        ({"start": "2026-11-29T10:00:00-08:00", "service_ids": [PREMIUM]}, "not open for the whole 2 hours"),
        ({"start": FRIDAY_10AM, "service_ids": [WINDSHIELD]}, "can't be booked online"),
        (
            {"start": FRIDAY_10AM, "service_ids": "premium"},
            "Expected `array`, got `str` - at `$.service_ids`",
        ),
        ({"start": "2026-11-27T10:00", "service_ids": [PREMIUM]}, "Invalid RFC3339 encoded datetime"),
    ],
)
def test_booking_refuses_bad_requests_with_the_reason_and_books_nothing(
    chat_world: ChatWorld, tool_input: dict[str, Any], reason: str
) -> None:
    outcome = tools_for(chat_world, said=("book it",)).run("book_appointment", tool_input)

    assert reason in error_of(outcome.result)
    assert chat_world.events("Appointment.Booked") == []
    assert chat_world.lead().status is LeadStatus.NEW


def test_a_refused_time_comes_with_the_nearest_free_times(chat_world: ChatWorld) -> None:
    outcome = tools_for(chat_world, said=("yes",)).run(
        "book_appointment", {"start": "2026-11-27T17:00:00-08:00", "service_ids": [PREMIUM]}
    )

    labels = [slot["label"] for slot in outcome.result["slots"]]
    assert "Fri Nov 27, 4:00 PM PST" in labels
    assert outcome.slots is not None and len(outcome.slots) == len(labels) > 0


def test_times_without_an_offset_are_the_shops_local_time(chat_world: ChatWorld) -> None:
    outcome = tools_for(chat_world, said=("yes",)).run(
        "book_appointment", {"start": "2026-11-27T10:00:00", "service_ids": [PREMIUM]}
    )

    assert outcome.result["appointment"]["start"] == FRIDAY_10AM


def test_one_booking_per_lead_then_move_it_or_cancel_it(chat_world: ChatWorld) -> None:
    tools = tools_for(chat_world, said=("yes",))
    tools.run("book_appointment", {"start": FRIDAY_10AM, "service_ids": [PREMIUM]})

    again = tools.run("book_appointment", {"start": "2026-11-27T13:00:00-08:00", "service_ids": [PREMIUM]})
    moved = tools.run("reschedule_appointment", {"start": "2026-11-28T10:00:00-08:00"})
    cancelled = tools.run("cancel_appointment", {"confirmed": True})
    cancel_again = tools.run("cancel_appointment", {"confirmed": True})
    move_nothing = tools.run("reschedule_appointment", {"start": "2026-11-28T12:00:00-08:00"})

    assert "already an appointment booked for Fri Nov 27, 10:00 AM" in error_of(again.result)
    assert moved.result["appointment"]["label"] == "Sat Nov 28, 10:00 AM PST"
    assert moved.result["appointment"]["price_cents"] == 30000
    assert cancelled.result["appointment"]["status"] == "cancelled"
    assert error_of(cancel_again.result) == "there is no booked appointment to cancel"
    assert "no booked appointment to move" in error_of(move_nothing.result)
    assert chat_world.lead().status is LeadStatus.ENGAGED


def test_a_tool_acts_only_on_the_sessions_own_lead(chat_world: ChatWorld) -> None:
    other = chat_world.new_lead(first_name="Jordan", last_name="Lee", email="jordan@example.com", phone=None)
    tools_for(chat_world, other, said=("book it",)).run(
        "book_appointment", {"start": FRIDAY_10AM, "service_ids": [PREMIUM]}
    )

    outcome = tools_for(chat_world, said=("yes",)).run("cancel_appointment", {"confirmed": True})

    assert error_of(outcome.result) == "there is no booked appointment to cancel"
    assert chat_world.lead(other).status is LeadStatus.BOOKED


def test_handoff_pauses_the_automation_flags_the_lead_and_alerts_the_staff(chat_world: ChatWorld) -> None:
    chat_world.open()

    outcome = tools_for(chat_world).run("handoff_to_human", {"question": "Can you do a matte wrap too?"})

    assert outcome.handed_off
    assert outcome.result["handed_off"] is True
    lead = chat_world.lead()
    assert lead.automation_paused and lead.paused_by == "chat assistant"
    assert lead.staff_flags == ("from the chat: Can you do a matte wrap too?",)
    assert chat_world.conversation().handoffs == 1
    alert = chat_world.emails_to(MANAGER_EMAIL)[0]
    assert "Maya Ortega" in alert.subject and "2024 Toyota Camry" in alert.subject
    assert '"Can you do a matte wrap too?"' in alert.text
    assert f"/console/inbox/{chat_world.lead_id}" in alert.text  # straight to the thread, to answer
    assert chat_world.texts_to(MANAGER_PHONE) == []  # demo mode: the manager's phone is not allow-listed


@pytest.mark.parametrize(
    ("name", "tool_input", "reason"),
    [
        ("delete_all_leads", {}, "there is no tool called 'delete_all_leads'"),
        ("list_services", ["not", "an", "object"], "list_services: Expected `object`, got `array`"),
        (
            "list_services",
            {"tenant_id": "other"},
            "list_services: Object contains unknown field `tenant_id`; list_services takes no input: {}",
        ),
        ("handoff_to_human", {}, "handoff_to_human: Object missing required field `question`"),
        ("handoff_to_human", {"question": ""}, "handoff_to_human: Expected `str` of length >= 1"),
        ("handoff_to_human", {"question": "   "}, "question must say what the customer needs"),
    ],
)
def test_unknown_tools_and_malformed_inputs_are_errors_not_exceptions(
    chat_world: ChatWorld, name: str, tool_input: Any, reason: str
) -> None:
    assert error_of(tools_for(chat_world).run(name, tool_input).result).startswith(reason)
