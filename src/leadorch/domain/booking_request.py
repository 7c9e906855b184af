"""Does a customer's message ask to book (or confirm) a time, or only ask about one?

A question never books: "is 2pm booked?" and "who is booked tomorrow at 10?" want an answer, while
"book it", "yes", "the 2pm one please", "let's do Saturday 9" and the chat page's slot button ("Book
Fri Nov 27, 10:00 AM (2026-11-27T10:00:00-08:00)") ask for the appointment. The application refuses
`book_appointment`, `reschedule_appointment` and a confirmed `cancel_appointment` unless the customer's
latest message says so (`app/chat/tool_runner.py`), whatever the model decided; the offline assistant
reads the same rule, so both sides agree on what a booking request is.

The rule is the table `RULES`, read top to bottom: the first row whose pattern is found in the
message (folded to lower case, accents kept, curly quotes straightened, spaces collapsed) decides.
Each row carries an example that the tests check it decides. When no row matches the message is
`OTHER`, which does not book: when in doubt the assistant offers the time and asks, which costs one
message; a booking nobody asked for costs the customer a trip and the shop a bay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class BookingIntent(StrEnum):
    """What a message means for a booking."""

    REQUEST = "request"
    """Asks to book or move, in words or with the page's slot button: "book me Friday at 10"."""
    CONFIRMATION = "confirmation"
    """Says yes to what was offered or picks one of the offered times: "yes", "the 2pm one please"."""
    QUESTION = "question"
    """Asks about times or bookings without asking for one: "is 2pm booked?"."""
    DECLINE = "decline"
    """Says no, or not yet: "no thanks", "don't book it yet"."""
    OTHER = "other"
    """Anything else ("thanks", "how much?"): not a booking request."""


@dataclass(frozen=True)
class Rule:
    """One row of the table: a message in which `pattern` is found means `intent`, as in `example`."""

    intent: BookingIntent
    pattern: re.Pattern[str]
    example: str


def _rule(intent: BookingIntent, pattern: str, example: str) -> Rule:
    return Rule(intent, re.compile(pattern), example)


_CLOCK = (
    r"\b(?:[01]?\d|2[0-3])(?::[0-5]\d)?\s?(?:am|pm|a\.m\.|p\.m\.)|\b(?:[01]?\d|2[0-3]):[0-5]\d\b|\bnoon\b"
)
_DAY = (
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat"
    r"|sun|today|tomorrow|tmrw)\b"
    r"|\b(?:lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo|ma[ñn]ana)\b"
)
_WHEN = rf"(?:{_CLOCK}|{_DAY})"
_ORDINAL = (
    r"(?:first|second|third|fourth|fifth|sixth|last|earliest|latest|earlier|later|1st|2nd|3rd|4th|5th|6th)"
)
_AFFIRMATIVE = (
    r"yes|yeah|yea|yep|yup|ya|sure|ok|okay|k|perfect|great|sounds good|sounds great|that works|works for me"
    r"|confirm|confirmed|correct|absolutely|definitely|please do|do it|deal|s[ií]|claro|vale|dale|de acuerdo"
    r"|est[aá] bien|perfecto"
)

RULES: tuple[Rule, ...] = (
    # The chat page's slot button carries the slot's exact start.
    _rule(
        BookingIntent.REQUEST,
        r"^book\b.*\(\d{4}-\d{2}-\d{2}t[^)]*\)$",
        "Book Fri Nov 27, 10:00 AM (2026-11-27T10:00:00-08:00)",
    ),
    # No, not now, don't.
    _rule(
        BookingIntent.DECLINE, r"^(?:no|nope|nah|no thanks|no thank you|not really)\b[\s.,!]*$", "no thanks"
    ),
    _rule(
        BookingIntent.DECLINE,
        r"\b(?:don'?t|do not|dont)\s+(?:book|schedule|reserve|do it|cancel|move)\b|\bnot (?:yet|now)\b"
        r"|\bno need\b|\bnever ?mind\b|\bhold off\b|^wait\b",
        "don't book it yet",
    ),
    _rule(
        BookingIntent.DECLINE, r"^(?:no|nope|nah)\b(?!.*\b(?:book|one|option)\b)", "no, I'll think about it"
    ),
    # Thanks is not a yes.
    _rule(
        BookingIntent.OTHER,
        r"^(?:ok|okay|k|great|perfect|cool|awesome)?[\s,.!]*(?:thanks?|thank you|thx|ty|gracias)"
        r"(?:\s(?:so much|a lot|again|very much))?[\s,.!]*$",
        "ok thanks",
    ),
    # Questions: who is booked, wh-questions, and questions that start like one.
    _rule(BookingIntent.QUESTION, r"\bwho(?:'s|se|m)?\b", "who is booked tomorrow at 10?"),
    _rule(
        BookingIntent.QUESTION,
        r"^(?:what|when|where|which|why|how|qu[eé]|cu[aá]ndo|cu[aá]l|d[oó]nde|c[oó]mo)\b|^¿",
        "what times do you have Friday?",
    ),
    _rule(
        BookingIntent.QUESTION,
        r"^(?:do|does|did) (?:you|they|y'?all|the shop|u|i|we)\b",
        "do you book on Sundays?",
    ),
    _rule(
        BookingIntent.QUESTION,
        r"^(?:is|are|was|were|has|have|had|any|anything|hay|tienen|tiene|est[aá])\b",
        "is 2pm available to book?",
    ),
    # Asking in words: book, reserve, schedule, move ("can you book me…" is a polite request).
    _rule(
        BookingIntent.REQUEST,
        r"\b(?:book|reserve|schedule|reschedule|move|switch|rebook)\b"
        r"|\b(?:put me (?:down|in)|sign me up|set (?:it|me) up|lock (?:it|that) in|make (?:the|an|my) appointment)\b"
        r"|\b(?:reserv[aeo]\w*|agend[aeo]\w*|apart[aeo]\w*|ap[aá]rtame\w*)\b",
        "can you book me Friday at 10?",
    ),
    _rule(
        BookingIntent.CONFIRMATION,
        r"\b(?:i'?ll take|i will take|let'?s do|lets do|let'?s go with|go ahead|i want (?:that|this|the)"
        r"|i'?d like (?:that|this|the)|quiero (?:esa|ese|el|la)|me quedo con)\b",
        "let's do Saturday 9",
    ),
    # Any other question.
    _rule(BookingIntent.QUESTION, r"\?$|^(?:can|could|would|will|should|may)\b", "2pm?"),
    # Yes, and picking one of the times offered.
    _rule(BookingIntent.CONFIRMATION, rf"^(?:{_AFFIRMATIVE})\b", "yes"),
    _rule(BookingIntent.CONFIRMATION, r"^(?:y|👍|👌|✅|🙌)[\s.!]*$", "👍"),
    _rule(
        BookingIntent.CONFIRMATION,
        rf"\b(?:the |that |this )?(?:{_ORDINAL}|{_WHEN}(?:\s\w+)?) "
        r"(?:one|option|slot|time|works|is good|is fine|is perfect|please|pls)\b"
        r"|\b(?:that|this) one\b|\b(?:option|number|#)\s?\d\b",
        "the 2pm one please",
    ),
    # A bare number picks from a numbered list ("Reply 1 for Sat 9:00 AM"); a bare time picks that time.
    _rule(BookingIntent.CONFIRMATION, r"^#?\d$", "2"),
    _rule(
        BookingIntent.CONFIRMATION,
        rf"^(?:(?:{_DAY}|at|on|el|a las|,|\s)+)?(?:{_CLOCK})[\s.!]*$|^(?:{_DAY})\s(?:at\s)?\d{{1,2}}[\s.!]*$",
        "Saturday 9",
    ),
)


def booking_intent(text: str) -> BookingIntent:
    """What `text` means for a booking (the first row of `RULES` found in it, else `OTHER`)."""
    said = _fold(text)
    for rule in RULES:
        if rule.pattern.search(said):
            return rule.intent
    return BookingIntent.OTHER


def asks_to_book(text: str) -> bool:
    """True when `text` asks for the appointment (or a move) or confirms a time that was offered."""
    return booking_intent(text) in (BookingIntent.REQUEST, BookingIntent.CONFIRMATION)


def confirms(text: str) -> bool:
    """True when `text` says yes to what was just asked (e.g. "cancel your appointment?")."""
    return booking_intent(text) is BookingIntent.CONFIRMATION


def _fold(text: str) -> str:
    said = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    return " ".join(said.split()).strip()
