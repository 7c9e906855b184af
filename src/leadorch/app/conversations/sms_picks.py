"""Numbered picks and the confirmation turn of a booking by text, decided on the server.

Over SMS a booking always has an explicit confirmation: a number (or "yes" to a single offered time)
picks one of the times the conversation last offered, and the answer is a question ("Book the Ultimate
Tint Package on Sat Dec 5 at 9:00 AM PST, $600? Reply YES"); only a yes to that question books, through
the same booking tool as the chat (its server-side checks, one appointment). It is read from the
conversation alone, so it works with any assistant, the offline one or a model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from leadorch.app.config.models import CatalogEntry
from leadorch.domain.booking_request import confirms
from leadorch.domain.conversation import AssistantLine, Conversation, CustomerLine

CONFIRM = "confirm"
"""Marks the one slot of a confirmation question (`AssistantReplied.slots`): a yes to it books."""
_NUMBER = re.compile(
    r"^\s*(?:#|no\.?|option|number|n[uú]mero)?\s*(\d{1,2})\s*(?:please|pls|por favor)?[.!]*\s*$"
)


@dataclass(frozen=True)
class Decision:
    """What the customer's text does to the times last offered: `ask` the confirmation for `slot`,
    or `book` it (they said yes to the question)."""

    action: str
    slot: dict[str, Any]


def last_offer(conversation: Conversation) -> AssistantLine | None:
    """The assistant's reply just before the customer's newest message, if it offered times."""
    seen_customer = False
    for entry in reversed(conversation.entries):
        if isinstance(entry, CustomerLine):
            if seen_customer:
                return None
            seen_customer = True
        elif isinstance(entry, AssistantLine) and seen_customer:
            return entry if entry.slots else None
    return None


def decide(conversation: Conversation, text: str) -> Decision | None:
    """The pick or the confirmation `text` is, given the times last offered; None: the assistant answers."""
    offer = last_offer(conversation)
    if offer is None:
        return None
    slots = [dict(slot) for slot in offer.slots]
    if len(slots) == 1 and slots[0].get(CONFIRM):
        return Decision("book", slots[0]) if confirms(text) else None
    number = _NUMBER.match(text)
    if number is not None and 1 <= int(number.group(1)) <= len(slots):
        return Decision("ask", slots[int(number.group(1)) - 1])
    if len(slots) == 1 and confirms(text):
        return Decision("ask", slots[0])
    return None


def confirmation_question(slot: dict[str, Any], services: list[CatalogEntry]) -> str:
    """ "Book the Ultimate Tint Package on Sat Dec 5 at 9:00 AM PST, $600? Reply YES"."""
    what = " + ".join(entry.name for entry in services) or "your appointment"
    when = str(slot["label"]).replace(", ", " at ", 1)
    cents = sum(entry.price_cents for entry in services)
    price = f", ${cents // 100:,}" + (f".{cents % 100:02d}" if cents % 100 else "") if services else ""
    return f"Book the {what} on {when}{price}? Reply YES"
