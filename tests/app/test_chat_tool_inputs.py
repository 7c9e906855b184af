"""The chat tools' Structs: the schema the model is shown is the check its input goes through.

No database: these read the Structs in `app/chat/tools.py` directly (the tool runner's own answers
to bad input are in test_chat_tools.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest

from leadorch.app.chat.tools import (
    TOOL_INPUTS,
    TOOL_SPECS,
    BookAppointment,
    FindSlots,
    InvalidToolInput,
    read_input,
)
from leadorch.ports.chat_tools import ChatTool

PACIFIC = dt.timezone(dt.timedelta(hours=-8))


def test_there_is_one_tool_per_shared_name_in_a_fixed_order() -> None:
    assert [spec.name for spec in TOOL_SPECS] == [tool.value for tool in ChatTool]
    assert set(TOOL_INPUTS) == set(ChatTool)


@pytest.mark.parametrize("spec", TOOL_SPECS, ids=lambda spec: spec.name)
def test_each_schema_is_an_inline_object_schema_as_the_messages_api_takes_it(spec: Any) -> None:
    schema = spec.input_schema

    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert set(schema["required"]) <= set(schema["properties"])
    assert "$ref" not in msgspec.json.encode(schema).decode()
    assert "title" not in schema and "description" not in schema  # the tool's description says it once
    assert spec.description and "\n\n" not in spec.description


def test_the_schema_says_what_the_struct_checks() -> None:
    find_slots = {spec.name: spec for spec in TOOL_SPECS}["find_slots"].input_schema
    book = {spec.name: spec for spec in TOOL_SPECS}["book_appointment"].input_schema

    assert set(find_slots["properties"]) == {
        "service_ids", "service", "date", "from", "to", "after_date", "before_date", "time", "part_of_day",
        "after_time", "before_time",
    }  # fmt: skip
    assert find_slots["properties"]["part_of_day"]["enum"] == ["afternoon", "evening", "morning"]
    assert find_slots["properties"]["time"]["pattern"].startswith("^")
    assert find_slots["required"] == []
    assert find_slots["properties"]["date"] == {
        "description": "A day, YYYY-MM-DD, shop time.",
        "type": "string",
        "format": "date",
    }
    assert find_slots["properties"]["service_ids"]["items"] == {"type": "string"}
    assert find_slots["properties"]["service_ids"]["minItems"] == 1
    assert book["required"] == ["start"]


def test_valid_input_becomes_typed_values() -> None:
    slots = read_input("find_slots", {"date": "2026-11-27", "service_ids": ["svc_premium"]})
    window = read_input("find_slots", {"from": "2026-11-27T09:00:00-08:00", "to": "2026-11-28T09:00:00Z"})
    local = read_input("book_appointment", {"start": "2026-11-27T10:00:00"})

    assert slots == FindSlots(date=dt.date(2026, 11, 27), service_ids=["svc_premium"])
    assert isinstance(window, FindSlots)
    assert window.from_ == dt.datetime(2026, 11, 27, 9, tzinfo=PACIFIC)
    assert window.to == dt.datetime(2026, 11, 28, 9, tzinfo=dt.UTC)
    assert local == BookAppointment(start=dt.datetime(2026, 11, 27, 10))  # no offset: the shop's time


@pytest.mark.parametrize(
    ("name", "tool_input", "reason"),
    [
        ("find_slots", {"date": "2026-02-30"}, "Invalid RFC3339 encoded date - at `$.date`"),
        ("find_slots", {"date": 20261127}, "Expected `date`, got `int` - at `$.date`"),
        (
            "find_slots",
            {"service_ids": [["svc_premium"]]},
            "Expected `str`, got `array` - at `$.service_ids[0]`",
        ),
        ("find_slots", {"service": ""}, "Expected `str` of length >= 1 - at `$.service`"),
        ("find_slots", {"to": "tomorrow"}, "Invalid RFC3339 encoded datetime - at `$.to`"),
        ("reschedule_appointment", {}, "Object missing required field `start`"),
        ("handoff_to_human", {"question": None}, "Expected `str`, got `null` - at `$.question`"),
        ("cancel_appointment", "please", "Expected `object`, got `str`"),
        (
            "refund_everything",
            {},
            "there is no tool called 'refund_everything'; the tools are list_services,",
        ),
    ],
)
def test_invalid_input_is_refused_saying_where_and_what_the_tool_takes(
    name: str, tool_input: object, reason: str
) -> None:
    with pytest.raises(InvalidToolInput) as refused:
        read_input(name, tool_input)

    assert reason in str(refused.value)
    if name in TOOL_INPUTS:
        assert str(refused.value).startswith(f"{name}: ")
        assert f"; {name} takes " in str(refused.value)
