"""The day an out-of-office notice says its writer is back: "out of the office until December 14".

`return_date(text, today)` reads the first date that follows a return word (until, till, through,
back, returning, return on, in the office on) within a few words, in the forms such notices use:

- a month and day, with or without the year, weekday or ordinal: "December 14", "Dec. 14th, 2026",
  "Monday, December 14", "14 December", "14th of Dec", "14 Dec 2026";
- US numeric dates: "12/14", "12/14/2026", "12/14/26", "12-14"; and ISO "2026-12-14";
- a weekday alone: "back on Monday" is the first Monday after `today` (never today itself);
- "tomorrow".

A date without a year is the next such date on or after `today`. `today` is the recipient's date (the
caller reads it on the location's clock: the notice was written for the time zone the shop works in).
A date that is not a real day (Feb 30), lies before `today`, or is more than `MAX_DAYS_AHEAD` away is
no answer: an out-of-office left on after its holiday, or a sabbatical, should not hold a cadence.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

# The furthest ahead a return day is believed, and so the longest an absence may hold a cadence.
MAX_DAYS_AHEAD = 60

MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2, "thu": 3,
    "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4, "sat": 5, "saturday": 5, "sun": 6,
    "sunday": 6,
}  # fmt: skip

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?P<weekday>" + "|".join(sorted(WEEKDAYS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>20\d\d))?"
# The words after which a notice names the day its writer is back (or the last day away).
_RETURN_WORDS = re.compile(
    r"\b(?:until|till|til|through|thru|back(?:\s+in\s+(?:the\s+)?office)?(?:\s+(?:on|from))?"
    r"|return(?:ing)?(?:\s+to\s+(?:the\s+)?(?:office|work))?(?:\s+(?:on|from))?"
    r"|in\s+(?:the\s+)?office\s+(?:on|from)|hasta|regreso(?:\s+el)?)\b",
    re.IGNORECASE,
)
# What may stand between the return word and the date: "until Monday,", "back in on the".
_GAP = r"[\s,]*(?:(?:on|the|of|next)\s+)*"
_DATE_FORMS = tuple(
    re.compile(_GAP + pattern, re.IGNORECASE)
    for pattern in (
        r"(?P<iso_year>20\d\d)-(?P<iso_month>[01]?\d)-(?P<iso_day>[0-3]?\d)\b",
        rf"(?:{_WEEKDAY}[\s,]+)?(?P<num_month>[01]?\d)[/-](?P<num_day>[0-3]?\d)(?:[/-](?P<num_year>(?:20)?\d\d))?\b",
        rf"(?:{_WEEKDAY}[\s,]+(?:the\s+)?)?{_MONTH}\s+{_DAY}\b{_YEAR}",
        rf"(?:{_WEEKDAY}[\s,]+(?:the\s+)?)?{_DAY}\s+(?:of\s+)?{_MONTH}{_YEAR}\b",
        rf"{_WEEKDAY}\b",
        r"(?P<tomorrow>tomorrow)\b",
    )
)


def return_date(text: str, today: date) -> date | None:
    """The day `text` says its writer is back (see the module's rules), or None."""
    for anchor in _RETURN_WORDS.finditer(text):
        rest = text[anchor.end() : anchor.end() + 60]
        for form in _DATE_FORMS:
            match = form.match(rest)
            if match is None:
                continue
            found = _date_of(match, today)
            if found is not None:
                return found if today <= found <= today + timedelta(days=MAX_DAYS_AHEAD) else None
    return None


def _date_of(match: re.Match[str], today: date) -> date | None:
    parts = match.groupdict()
    if parts.get("tomorrow"):
        return today + timedelta(days=1)
    if parts.get("iso_year"):
        return _real(int(parts["iso_year"]), int(parts["iso_month"]), int(parts["iso_day"]))
    if parts.get("num_month"):
        year = parts.get("num_year")
        full_year = None if year is None else int(year) + (2000 if len(year) == 2 else 0)
        return _on_or_after(today, int(parts["num_month"]), int(parts["num_day"]), full_year)
    if parts.get("month"):
        year = parts.get("year")
        return _on_or_after(
            today, MONTHS[parts["month"].lower()], int(parts["day"]), int(year) if year else None
        )
    if parts.get("weekday"):
        ahead = (WEEKDAYS[parts["weekday"].lower()] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    return None


def _on_or_after(today: date, month: int, day: int, year: int | None) -> date | None:
    if year is not None:
        return _real(year, month, day)
    this_year = _real(today.year, month, day)
    if this_year is not None and this_year >= today:
        return this_year
    return _real(today.year + 1, month, day)


def _real(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
