"""The tools pick the service the customer asked for and respect what they ruled out; a service that
cannot be booked online is never offered or booked as bookable. On PostgreSQL.

The catalog is the demo shop's: Ultimate, Supreme and Premium packages (bookable online), Windshield
Ceramic Tint, Front Two Windows Tint and Tint Removal (by phone only).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.support.chat_tools import error_of, say, script, tools_for, use
from tests.support.chat_world import PREMIUM, WINDSHIELD, ChatWorld
from tests.support.services import create_database, drop_database

EXCEPT_WINDSHIELD = "Ceramic tint, all windows except windshield"
ULTIMATE = "66a0cs000000000000000000"


@pytest.fixture(scope="module")
def shared_database_url(pg_admin_url: str) -> Iterator[str]:
    url = create_database(pg_admin_url)
    try:
        yield url
    finally:
        drop_database(pg_admin_url, url)


def test_a_quote_that_rules_out_the_windshield_is_never_given_the_windshield(chat_world: ChatWorld) -> None:
    lead = chat_world.new_lead(email="ruled.out@example.com", phone=None, services=[EXCEPT_WINDSHIELD])
    tools = tools_for(chat_world, lead, said=("how much, and do you have friday?",))

    listed = tools.run("list_services", {}).result
    by_name = tools.run("find_slots", {"date": "2026-11-27", "service": "ceramic tint"})
    unnamed = tools.run("find_slots", {"date": "2026-11-27"})
    by_id = tools.run("find_slots", {"date": "2026-11-27", "service_ids": [WINDSHIELD]})

    assert listed["asked_for"] == {
        "quote_request": EXCEPT_WINDSHIELD,
        "service_id": None,
        "ruled_out": [WINDSHIELD],
    }
    assert "Windshield" not in error_of(by_name.result).split("the services are:")[1]
    assert error_of(unnamed.result).startswith("which service is it for?")
    assert error_of(by_id.result).startswith("the customer ruled out Windshield Ceramic Tint")


def test_the_package_the_customer_names_is_used_and_the_exclusion_still_holds(chat_world: ChatWorld) -> None:
    lead = chat_world.new_lead(email="ultimate@example.com", phone=None, services=[EXCEPT_WINDSHIELD])

    outcome = tools_for(chat_world, lead, said=("the ultimate please, friday?",)).run(
        "find_slots", {"date": "2026-11-27"}
    )

    assert outcome.result["service_ids"] == [ULTIMATE]


def test_naming_a_ruled_out_service_again_brings_it_back(chat_world: ChatWorld) -> None:
    lead = chat_world.new_lead(email="changed.mind@example.com", phone=None, services=[EXCEPT_WINDSHIELD])
    said = ("actually can you do the windshield ceramic tint too", "how much?")

    listed = tools_for(chat_world, lead, said=said).run("list_services", {}).result

    assert listed["asked_for"]["ruled_out"] == []


REMOVAL = "66a0cs000000000000000005"


@pytest.mark.parametrize(
    ("tool_input", "name"),
    [
        ({"service": "tint removal"}, "Tint Removal"),
        ({"service_ids": [WINDSHIELD]}, "Windshield Ceramic Tint"),
    ],
)
def test_a_service_not_bookable_online_is_not_offered_as_bookable(
    chat_world: ChatWorld, tool_input: dict[str, object], name: str
) -> None:
    tools = tools_for(chat_world, said=("book it",))
    ids = [REMOVAL] if name == "Tint Removal" else [WINDSHIELD]

    slots = tools.run("find_slots", {"date": "2026-11-27", **tool_input})
    booking = tools.run("book_appointment", {"start": "2026-11-27T10:00:00-08:00", "service_ids": ids})
    listed = {s["id"]: s["bookable"] for s in tools.run("list_services", {}).result["services"]}

    for outcome in (slots, booking):
        assert error_of(outcome.result) == (
            f"{name} can't be booked online; the customer can call the shop at +16195550100 for it"
        )
    assert listed[ids[0]] is False and listed[PREMIUM] is True
    assert chat_world.events("Appointment.Booked") == []


def test_through_the_chat_the_model_is_told_the_customer_ruled_it_out(chat_world: ChatWorld) -> None:
    chat_world.lead_id = chat_world.new_lead(
        email="chat@example.com", phone=None, services=[EXCEPT_WINDSHIELD]
    )
    script(
        chat_world,
        use("find_slots", {"date": "2026-11-27", "service_ids": [WINDSHIELD]}),
        say("Which package would you like: Ultimate, Supreme or Premium?"),
    )

    reply = chat_world.say("what do you have friday?")

    assert reply["text"] == "Which package would you like: Ultimate, Supreme or Premium?"
    (call,) = chat_world.events("Conversation.ToolCalled")
    assert call.is_error and call.result["error"].startswith("the customer ruled out")
