"""The tools the chat assistant may use, as the model sees them.

These specs are the assistant's whole reach: it can read the catalogue and the calendar, book, move or
cancel the customer's appointment, and ask a human. None of the inputs carries a price or a discount:
prices come only from the catalogue when the application executes a tool, so nothing a customer types
can change what they pay. The application validates every input against these schemas before running it.
"""

from __future__ import annotations

from typing import Any

from leadorch.ports.assistant import ToolSpec

_SERVICE_IDS: dict[str, Any] = {
    "type": "array",
    "items": {"type": "string"},
    "description": "Catalogue service ids, as returned by list_services. Omit to use the services the "
    "customer asked a quote for.",
}

_INSTANT = (
    "ISO 8601 date-time with offset, e.g. 2026-11-27T10:00:00-08:00. Without an offset it means the "
    "shop's local time."
)

LIST_SERVICES = ToolSpec(
    name="list_services",
    description="List the services this shop offers with their prices and durations. Use it whenever the "
    "customer asks what something costs or what is offered; never state a price that did not come from "
    "this tool.",
    input_schema={"type": "object", "properties": {}, "additionalProperties": False},
)

FIND_SLOTS = ToolSpec(
    name="find_slots",
    description="Find open appointment times. Give either a single `date`, or a `from`/`to` range, or "
    "neither for the next available times. Name the work with `service_ids` or a `service` name so the "
    "slots are long enough; otherwise the customer's quoted services are used. Each slot has a `start` "
    "to book with and a human `label` to show.",
    input_schema={
        "type": "object",
        "properties": {
            "service_ids": _SERVICE_IDS,
            "service": {"type": "string", "description": "A service name the customer used."},
            "date": {"type": "string", "format": "date", "description": "A day, YYYY-MM-DD, shop time."},
            "from": {"type": "string", "description": f"Start of the range (inclusive). {_INSTANT}"},
            "to": {"type": "string", "description": f"End of the range (exclusive). {_INSTANT}"},
        },
        "additionalProperties": False,
    },
)

BOOK_APPOINTMENT = ToolSpec(
    name="book_appointment",
    description="Book the customer's appointment at a slot `start` returned by find_slots. Only book a "
    "time the customer chose. The price is the catalogue price of the services.",
    input_schema={
        "type": "object",
        "properties": {
            "start": {"type": "string", "description": f"The chosen slot's start. {_INSTANT}"},
            "service_ids": _SERVICE_IDS,
        },
        "required": ["start"],
        "additionalProperties": False,
    },
)

RESCHEDULE_APPOINTMENT = ToolSpec(
    name="reschedule_appointment",
    description="Move the customer's booked appointment to another slot `start` returned by find_slots, "
    "once the customer chose it.",
    input_schema={
        "type": "object",
        "properties": {"start": {"type": "string", "description": f"The new slot's start. {_INSTANT}"}},
        "required": ["start"],
        "additionalProperties": False,
    },
)

CANCEL_APPOINTMENT = ToolSpec(
    name="cancel_appointment",
    description="Cancel the customer's booked appointment, only when they clearly asked to cancel.",
    input_schema={"type": "object", "properties": {}, "additionalProperties": False},
)

HANDOFF_TO_HUMAN = ToolSpec(
    name="handoff_to_human",
    description="Ask the shop's staff to take over: the customer wants a person, asks something you "
    "cannot answer from the tools, or asks for a discount or anything outside the catalogue.",
    input_schema={
        "type": "object",
        "properties": {
            "question": {
                "type": "string",
                "minLength": 1,
                "description": "What the customer needs, in their words.",
            }
        },
        "required": ["question"],
        "additionalProperties": False,
    },
)

TOOL_SPECS: list[ToolSpec] = [
    LIST_SERVICES,
    FIND_SLOTS,
    BOOK_APPOINTMENT,
    RESCHEDULE_APPOINTMENT,
    CANCEL_APPOINTMENT,
    HANDOFF_TO_HUMAN,
]
