"""The embedded default assistant against customers written the way people text (issue 16's corpus).

Each customer in `corpus/customers.json` is a short scripted conversation (typos, "tmrw", relative
days, several questions in one message, Spanish, haggling, asking for a person, a service the shop does
not offer) with the outcome it should reach: the right booking (service and start), the catalog prices
in the answers, a hand-off, words that must (not) be said. They are run through the real chat service
over HTTP, as the chat page drives it, with the offline assistant, the tool layer and the booking
service on SQLite and the fake ShopMonkey: the demo shop in San Diego (Mon-Fri 09:00-18:00, Sat
10:00-16:00, two bays, the tint catalog) on Wednesday 25 November 2026 at 09:30, each customer in a
shop of their own. The corpus is data: add a customer to the file and it is measured.

The goals ("How good it must be"): at least 90% of the customers who want to book end with the right
booking within 3 turns, every price question gets the catalog price, no reply is worded as an error
(`ERROR_PHRASES`) and none is the canned help text (every corpus message asks something answerable).

Measured on the 65 customers (2026-12-03; printed by `test_the_corpus_meets_the_goals`, run with `-s`
to see it): 29 of 29 customers who want to book end with the right booking within 3 turns (100%,
median 2 turns), 28 of 28 price questions get the catalog price, 0 of 100 replies read as an error,
0 are the help text, and 11 of 11 Spanish customers are answered in Spanish and reach their goal. The
first 40 were written with the assistant's changes; the next 20 (`"batch": 2`) were written after
those figures and run once before any change for them: 14 of 20 reached their goal then (5 of 7
bookings, 7 of 10 prices, 4 help texts, 1 of 2 Spanish customers); the changes they prompted
("cheapest", comparing packages, the address and hours, "book me the earliest", a time named after one
day's offer) are in. The last five (`"batch": 3`) check that "how much is it?" quotes the package the
quote was for and never what it ruled out, and Spanish cancelling, durations and unoffered services. The issue's figures before (its own held-out corpus of
about 30): 67% right bookings (median 3 turns), 55% of prices, 9% of replies read as an error, 38%
the help text, no Spanish understood.
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.support.chat_world import ChatWorld

from leadorch.adapters.offline_assistant.language import ENGLISH, SPANISH
from leadorch.adapters.offline_assistant.wording import PHRASES
from leadorch.app.chat.service import EMPTY_ANSWER, TOO_MANY_STEPS

CORPUS = json.loads((Path(__file__).parent / "corpus" / "customers.json").read_text(encoding="utf-8"))
MAX_TURNS_TO_BOOK = 3
DEFAULT_QUOTE = "Customer requested a quote online: window tint for my car"

ERROR_PHRASES = (
    "something went wrong", "went wrong", "error", "failed", "unexpected", "try again", "didn't catch",
    "couldn't", "could not", "can't answer right now", "invalid", "problem", "algo salió mal", "no pude",
    "falló", EMPTY_ANSWER, TOO_MANY_STEPS,
)  # fmt: skip
"""Words a reply uses only when something failed: a customer who did nothing wrong never reads them."""
HELP_TEXTS = (PHRASES[ENGLISH]["help"], PHRASES[SPANISH]["help"])
ENGLISH_WORDS = re.compile(r"\b(the|you|your|would|here|which|booked|open|thanks)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def shared_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('corpus') / 'events.db'}"


@dataclass
class Outcome:
    """What happened to one customer: the replies, and the turn (1-based) each appointment state began."""

    customer: dict[str, Any]
    replies: list[dict[str, Any]] = field(default_factory=list)
    right_booking_at: int | None = None
    ever_booked: bool = False
    final: tuple[datetime, list[str]] | None = None

    @property
    def expect(self) -> dict[str, Any]:
        expected: dict[str, Any] = self.customer["expect"]
        return expected

    @property
    def texts(self) -> list[str]:
        return [str(reply["text"]) for reply in self.replies]


def appointment_now(world: ChatWorld) -> tuple[datetime, list[str]] | None:
    appointment = world.container.booking.current_appointment(world.tenant_id, world.lead())
    if appointment is None or not appointment.is_confirmed:
        return None
    return appointment.start, [service.name for service in appointment.services]


def is_right(booked: tuple[datetime, list[str]] | None, wanted: dict[str, Any]) -> bool:
    if booked is None:
        return False
    start, services = booked
    return start == datetime.fromisoformat(wanted["start"]) and services == [wanted["service"]]


def run_customer(world: ChatWorld, customer: dict[str, Any]) -> Outcome:
    world.fresh_tenant()
    world.lead_id = world.new_lead(services=[customer.get("quote", DEFAULT_QUOTE)])
    outcome = Outcome(customer)
    wanted = customer["expect"].get("booking")
    for turn, text in enumerate(customer["turns"], start=1):
        outcome.replies.append(world.say(text))
        booked = appointment_now(world)
        outcome.ever_booked = outcome.ever_booked or booked is not None
        if wanted is not None and outcome.right_booking_at is None and is_right(booked, wanted):
            outcome.right_booking_at = turn
    outcome.final = appointment_now(world)
    return outcome


@pytest.fixture(scope="module")
def outcomes(chat_servers_on: ChatWorld) -> dict[str, Outcome]:
    return {customer["id"]: run_customer(chat_servers_on, customer) for customer in CORPUS}


def reads_as_error(text: str) -> bool:
    lowered = text.lower()
    return any(phrase.lower() in lowered for phrase in ERROR_PHRASES)


def reads_as_spanish(text: str) -> bool:
    without_names = re.sub(r"\b(Ultimate|Supreme|Premium|Tint|Package|Windshield|Ceramic)\b", "", text)
    return not ENGLISH_WORDS.search(without_names)


def goal_met(outcome: Outcome) -> bool:
    """Every expectation of the customer holds (the per-customer test says which one does not)."""
    return not problems(outcome)


def problems(outcome: Outcome) -> list[str]:
    expect, said = outcome.expect, "\n".join(outcome.texts)
    found: list[str] = []
    if (wanted := expect.get("booking")) is not None:
        if outcome.right_booking_at is None:
            found.append(f"never booked {wanted} (ended with {outcome.final})")
        elif not is_right(outcome.final, wanted):
            found.append(f"the right booking did not last: ended with {outcome.final}")
    if expect.get("no_booking") and outcome.ever_booked:
        found.append("booked although the customer only asked")
    if expect.get("cancelled") and (not outcome.ever_booked or outcome.final is not None):
        found.append(f"not booked then cancelled (ended with {outcome.final})")
    if expect.get("handoff") and not any(reply.get("handoff") for reply in outcome.replies):
        found.append("not handed to the team")
    found += [f"the price {price} is never said" for price in expect.get("prices", []) if price not in said]
    found += [f"never says {words!r}" for words in expect.get("says", []) if words not in said]
    found += [f"says {words!r}" for words in expect.get("absent", []) if words in said]
    found += [f"reads as an error: {text!r}" for text in outcome.texts if reads_as_error(text)]
    found += [f"the help text: {text!r}" for text in outcome.texts if text in HELP_TEXTS]
    if outcome.customer.get("language") == SPANISH:
        found += [f"not in Spanish: {text!r}" for text in outcome.texts if not reads_as_spanish(text)]
    return found


@pytest.mark.parametrize("customer", CORPUS, ids=[customer["id"] for customer in CORPUS])
def test_each_customer_reaches_their_goal(outcomes: dict[str, Outcome], customer: dict[str, Any]) -> None:
    outcome = outcomes[customer["id"]]
    conversation = "\n".join(
        f"> {text}\n< {reply}" for text, reply in zip(customer["turns"], outcome.texts, strict=True)
    )
    assert problems(outcome) == [], conversation


def test_the_corpus_meets_the_goals(outcomes: dict[str, Outcome]) -> None:
    bookers = [o for o in outcomes.values() if "booking" in o.expect]
    booked_in_time = [
        o for o in bookers if o.right_booking_at is not None and o.right_booking_at <= MAX_TURNS_TO_BOOK
    ]
    turns = [o.right_booking_at for o in booked_in_time if o.right_booking_at is not None]
    price_questions = [(o, p) for o in outcomes.values() for p in o.expect.get("prices", [])]
    prices_right = [(o, p) for o, p in price_questions if p in "\n".join(o.texts)]
    replies = [text for o in outcomes.values() for text in o.texts]
    errors = [text for text in replies if reads_as_error(text)]
    helps = [text for text in replies if text in HELP_TEXTS]
    spanish = [o for o in outcomes.values() if o.customer.get("language") == SPANISH]
    spanish_right = [o for o in spanish if goal_met(o)]
    print(
        f"\ncorpus of {len(outcomes)} customers: {len(booked_in_time)} of {len(bookers)} who want to book "
        f"end with the right booking within {MAX_TURNS_TO_BOOK} turns "
        f"({100 * len(booked_in_time) / len(bookers):.0f}%, median {statistics.median(turns):g} turns); "
        f"{len(prices_right)} of {len(price_questions)} price questions get the catalog price; "
        f"{len(errors)} of {len(replies)} replies read as an error, {len(helps)} are the help text; "
        f"{len(spanish_right)} of {len(spanish)} Spanish customers answered in Spanish and reach their goal"
    )

    assert len(booked_in_time) >= 0.9 * len(bookers)
    assert prices_right == price_questions
    assert errors == []
    assert helps == []
    assert spanish_right == spanish
