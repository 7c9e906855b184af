"""The tools the chat assistant may use: one msgspec Struct per tool, both its schema and its validator.

These are the assistant's whole reach: it can read the catalogue and the calendar, book, move or cancel
the customer's appointment, and ask a human. None of the inputs carries a price or a discount: prices
come only from the catalogue when the application executes a tool, so nothing a customer types can
change what they pay.

Each Struct is written once and used twice. `msgspec.json.schema_components` turns it into the
`input_schema` the model is shown (its docstring is the tool's description, its field `Meta` the
fields' descriptions), and `msgspec.convert` checks what the model sent against the same definition:
unknown and missing fields, list items, dates and date-times are checked by the library, not by a
second hand-written table. A failed check is an `InvalidToolInput` that the tool runner hands back to
the model as an error result it can correct.
"""

from __future__ import annotations

import datetime as dt
import inspect
from typing import Annotated, ClassVar, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from leadorch.ports.assistant import ToolSpec
from leadorch.ports.chat_tools import ChatTool


class InvalidToolInput(Exception):
    """The tool input breaks the tool's schema or names something that does not exist."""


_INSTANT = (
    "ISO 8601 date-time with offset, e.g. 2026-11-27T10:00:00-08:00. Without an offset it means the "
    "shop's local time."
)

PartOfDay = Literal["morning", "afternoon", "evening"]
PARTS_OF_DAY: dict[str, tuple[dt.time, dt.time | None]] = {
    "morning": (dt.time(0), dt.time(12)),
    "afternoon": (dt.time(12), dt.time(17)),
    "evening": (dt.time(17), None),
}
"""Each part of the day as [first start, end) in the shop's time; the evening runs to midnight."""

_TIME_OF_DAY = r"^([01]?[0-9]|2[0-3]):[0-5][0-9](:00)?$"


def _time_of_day(what: str) -> Meta:
    return Meta(pattern=_TIME_OF_DAY, description=f"{what}: HH:MM, 24-hour, shop time (2pm is 14:00).")


def time_of_day(text: str) -> dt.time:
    """An `HH:MM` the Struct's pattern accepted, as a time."""
    hour, minute = text.split(":")[:2]
    return dt.time(int(hour), int(minute))


ServiceIds = Annotated[
    list[str],
    Meta(
        min_length=1,
        description="Catalogue service ids, as returned by list_services. Omit to use the services the "
        "customer asked a quote for.",
    ),
]


class ToolInput(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What one tool takes. A subclass's docstring is what the model reads about the tool."""

    tool: ClassVar[ChatTool]


class ListServices(ToolInput, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """List the services this shop offers with their prices and durations. Use it whenever the customer
    asks what something costs or what is offered; never state a price that did not come from this tool."""

    tool: ClassVar[ChatTool] = ChatTool.LIST_SERVICES


class FindSlots(ToolInput, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Find open appointment times. Say which days with a single `date`, or `after_date`/`before_date`
    (both exclusive: "before Friday" is `before_date` = that Friday), or a `from`/`to` range, or none
    for the next available times. Narrow the times of day with `part_of_day` and `after_time`/
    `before_time`; when the customer asks about an exact time ("is 2pm free?"), give it as `time` and
    the result says whether it is free (`requested_time`). Name the work with `service_ids` or a
    `service` name so the slots are long enough; otherwise the customer's quoted services are used.
    Each slot has a `start` to book with and a human `label` to show."""

    tool: ClassVar[ChatTool] = ChatTool.FIND_SLOTS

    service_ids: ServiceIds | UnsetType = UNSET
    service: (
        Annotated[str, Meta(min_length=1, description="A service name the customer used.")] | UnsetType
    ) = UNSET
    date: Annotated[dt.date, Meta(description="A day, YYYY-MM-DD, shop time.")] | UnsetType = UNSET
    from_: (
        Annotated[dt.datetime, Meta(description=f"Start of the range (inclusive). {_INSTANT}")] | UnsetType
    ) = msgspec.field(default=UNSET, name="from")
    to: Annotated[dt.datetime, Meta(description=f"End of the range (exclusive). {_INSTANT}")] | UnsetType = (
        UNSET
    )
    after_date: (
        Annotated[
            dt.date,
            Meta(description="Only days after this one (exclusive), YYYY-MM-DD: 'after Tuesday'."),
        ]
        | UnsetType
    ) = UNSET
    before_date: (
        Annotated[
            dt.date,
            Meta(
                description="Only days before this one (exclusive), YYYY-MM-DD: 'before Friday' is that "
                "Friday's date."
            ),
        ]
        | UnsetType
    ) = UNSET
    time: Annotated[str, _time_of_day("An exact start time the customer asked about")] | UnsetType = UNSET
    part_of_day: (
        Annotated[
            PartOfDay,
            Meta(
                description="Only times in this part of the day: morning starts before 12:00, afternoon "
                "from 12:00 to before 17:00, evening from 17:00."
            ),
        ]
        | UnsetType
    ) = UNSET
    after_time: (
        Annotated[str, _time_of_day("Only times starting at or after this time of day ('after 3pm')")]
        | UnsetType
    ) = UNSET
    before_time: (
        Annotated[str, _time_of_day("Only times starting before this time of day ('before noon')")]
        | UnsetType
    ) = UNSET


class BookAppointment(ToolInput, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Book the customer's appointment at a slot `start` returned by find_slots. Only book a time the
    customer chose. The price is the catalogue price of the services."""

    tool: ClassVar[ChatTool] = ChatTool.BOOK_APPOINTMENT

    start: Annotated[dt.datetime, Meta(description=f"The chosen slot's start. {_INSTANT}")]
    service_ids: ServiceIds | UnsetType = UNSET


class RescheduleAppointment(ToolInput, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Move the customer's booked appointment to another slot `start` returned by find_slots, once the
    customer chose it."""

    tool: ClassVar[ChatTool] = ChatTool.RESCHEDULE_APPOINTMENT

    start: Annotated[dt.datetime, Meta(description=f"The new slot's start. {_INSTANT}")]


class CancelAppointment(ToolInput, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Cancel the customer's booked appointment. Ask first: only when the customer, in their latest
    message, confirmed that they want it cancelled, call it with `confirmed: true`."""

    tool: ClassVar[ChatTool] = ChatTool.CANCEL_APPOINTMENT

    confirmed: Annotated[
        bool,
        Meta(
            description="True only when the customer's latest message confirms the cancellation you asked "
            "about; without it the tool asks you to ask them."
        ),
    ] = False


class HandoffToHuman(ToolInput, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Ask the shop's staff to take over: the customer wants a person, asks something you cannot answer
    from the tools, or asks for a discount or anything outside the catalogue."""

    tool: ClassVar[ChatTool] = ChatTool.HANDOFF_TO_HUMAN

    question: Annotated[str, Meta(min_length=1, description="What the customer needs, in their words.")]


TOOL_INPUTS: dict[str, type[ToolInput]] = {
    cls.tool: cls
    for cls in (
        ListServices,
        FindSlots,
        BookAppointment,
        RescheduleAppointment,
        CancelAppointment,
        HandoffToHuman,
    )
}


def tool_spec(input_type: type[ToolInput]) -> ToolSpec:
    """The tool as the model sees it: its name, its docstring, and the Struct's JSON schema, inline."""
    _, components = msgspec.json.schema_components([input_type])
    schema = dict(components[input_type.__name__])
    # The Struct's title and docstring describe the tool itself, which `ToolSpec.description` says once.
    schema.pop("title", None)
    schema.pop("description", None)
    return ToolSpec(name=input_type.tool, description=inspect.getdoc(input_type) or "", input_schema=schema)


TOOL_SPECS: list[ToolSpec] = [tool_spec(input_type) for input_type in TOOL_INPUTS.values()]


def read_input(name: str, tool_input: object) -> ToolInput:
    """`tool_input` as tool `name`'s Struct; `InvalidToolInput` says what is wrong and what it takes."""
    input_type = TOOL_INPUTS.get(name)
    if input_type is None:
        raise InvalidToolInput(f"there is no tool called {name!r}; the tools are {', '.join(TOOL_INPUTS)}")
    try:
        return msgspec.convert(tool_input, input_type)
    except msgspec.ValidationError as invalid:
        raise InvalidToolInput(f"{name}: {invalid}; {name} takes {_takes(input_type)}") from None


def _takes(input_type: type[ToolInput]) -> str:
    fields = [
        f"{field.encode_name} (required)" if field.required else field.encode_name
        for field in msgspec.structs.fields(input_type)
    ]
    return ", ".join(fields) if fields else "no input: {}"
