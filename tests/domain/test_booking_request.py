"""A question never books: which customer messages ask for (or confirm) an appointment, and which ask
about one. The table below is the specification; `RULES`' own examples are checked too."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadorch.domain.booking_request import (
    RULES,
    BookingIntent,
    Rule,
    asks_to_book,
    booking_intent,
    confirms,
)

REQUEST, CONFIRMATION = BookingIntent.REQUEST, BookingIntent.CONFIRMATION
QUESTION, DECLINE, OTHER = BookingIntent.QUESTION, BookingIntent.DECLINE, BookingIntent.OTHER

CASES = [
    # asking to book, in words or with the page's slot button
    ("book it", REQUEST),
    ("Book me Friday 10am for the premium package", REQUEST),
    ("can you book me Friday at 10?", REQUEST),
    ("I want to book the ultimate for Saturday", REQUEST),
    ("please reserve 9am saturday", REQUEST),
    ("Book Fri Nov 27, 10:00 AM (2026-11-27T10:00:00-08:00)", REQUEST),
    ("can I move it to Saturday?", REQUEST),
    ("quiero reservar el sábado", REQUEST),
    ("no, book the 3pm instead", REQUEST),
    # confirming, or picking an offered time
    ("yes", CONFIRMATION),
    ("Yes please!", CONFIRMATION),
    ("yep, that works", CONFIRMATION),
    ("ok", CONFIRMATION),
    ("the 2pm one please", CONFIRMATION),
    ("the first one", CONFIRMATION),
    ("let's do Saturday 9", CONFIRMATION),
    ("I'll take the 10:30", CONFIRMATION),
    ("2pm works", CONFIRMATION),
    ("Saturday 9am", CONFIRMATION),
    ("Friday at 10am", CONFIRMATION),
    ("2", CONFIRMATION),
    ("option 3", CONFIRMATION),
    ("no, the 3pm one", CONFIRMATION),
    ("yes, cancel it", CONFIRMATION),
    ("sí", CONFIRMATION),
    ("Y", CONFIRMATION),
    ("👍", CONFIRMATION),
    ("YES", CONFIRMATION),
    ("Sí, perfecto", CONFIRMATION),
    # questions
    ("is 2pm booked?", QUESTION),
    ("Is 2pm booked", QUESTION),
    ("who is booked tomorrow at 10?", QUESTION),
    ("who's booked at 10", QUESTION),
    ("is 2pm available to book?", QUESTION),
    ("what times do you have Friday?", QUESTION),
    ("anything saturday morning for the ultimate?", QUESTION),
    ("do you book on Sundays?", QUESTION),
    ("do I need a reservation?", QUESTION),
    ("2pm?", QUESTION),
    ("could you do 2pm", QUESTION),
    ("How much for the premium package?", QUESTION),
    ("¿tienen algo el sábado?", QUESTION),
    ("yes? what times?", QUESTION),
    # declining
    ("no", DECLINE),
    ("no thanks", DECLINE),
    ("don't book it yet", DECLINE),
    ("not now, I'll check my schedule", DECLINE),
    ("never mind", DECLINE),
    # anything else
    ("thanks", OTHER),
    ("ok thanks", OTHER),
    ("Thank you so much!", OTHER),
    ("please cancel", OTHER),
    ("I want to talk to someone", OTHER),
    ("saturday morning", OTHER),
    ("", OTHER),
]


@pytest.mark.parametrize(("text", "intent"), CASES)
def test_what_a_message_means_for_a_booking(text: str, intent: BookingIntent) -> None:
    assert booking_intent(text) is intent


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.example)
def test_each_rule_decides_its_own_example(rule: Rule) -> None:
    assert booking_intent(rule.example) is rule.intent


@pytest.mark.parametrize(("text", "intent"), CASES)
def test_only_requests_and_confirmations_may_book_and_only_a_yes_confirms(
    text: str, intent: BookingIntent
) -> None:
    assert asks_to_book(text) is (intent in (REQUEST, CONFIRMATION))
    assert confirms(text) is (intent is CONFIRMATION)


def test_letter_case_spacing_and_curly_quotes_do_not_matter() -> None:
    assert booking_intent("  LET\u2019S   DO   saturday 9  ") is CONFIRMATION
    assert booking_intent("WHO IS BOOKED AT 10?") is QUESTION


WORDS = [
    "is",
    "who",
    "2pm",
    "booked",
    "free",
    "saturday",
    "the",
    "one",
    "at",
    "10",
    "open",
    "tomorrow",
    "any",
]


@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6))
def test_a_question_about_times_and_bookings_never_books(words: list[str]) -> None:
    # Words about times and bookings, without a word asking to book, asked as a question.
    assert not asks_to_book(" ".join(words) + "?")


@given(st.text(max_size=200))
def test_any_text_gets_exactly_one_intent(text: str) -> None:
    assert booking_intent(text) in set(BookingIntent)
