"""Reading dates and times: "Friday", "next week", "Dec 3", "10am", "the second one", and today's date.

Bounds are read as bounds: "before Friday" is every day before that Friday, "after Tuesday" every day
after it ("by Friday" includes it), "after 3" and "before noon" are times of the day; "Wednesday next
week" is that Wednesday, not the week. The text is read as `spelling.respell` and
`language.as_english` leave it (lower case, shorthand spelled out, Spanish phrases in English words).

Everything is resolved against the `Calendar` the system prompt gives (`Today:`, `Now:`, `Time zone:`);
without today's date, relative words ("tomorrow", "Friday") name no day rather than a guessed one.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Calendar:
    """Today's date and the shop's zone, as told by the system prompt."""

    today: date | None
    zone: tzinfo | None

    @classmethod
    def read(cls, dynamic: str) -> Calendar:
        today: date | None = None
        zone: tzinfo | None = None
        if now := re.search(r"^\s*now:\s*(\S+)", dynamic, re.IGNORECASE | re.MULTILINE):
            try:
                instant = datetime.fromisoformat(now.group(1).replace("Z", "+00:00"))
            except ValueError:
                instant = None
            if instant is not None:
                today, zone = instant.date(), instant.tzinfo
        if day := re.search(r"^\s*today:\s*(\d{4}-\d{2}-\d{2})", dynamic, re.IGNORECASE | re.MULTILINE):
            today = date.fromisoformat(day.group(1))
        if name := re.search(r"^\s*time\s?zone:\s*(\S+)", dynamic, re.IGNORECASE | re.MULTILINE):
            with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
                zone = ZoneInfo(name.group(1))
        return cls(today=today, zone=zone)

    def midnight(self, day: date) -> str:
        return datetime.combine(day, time(0), tzinfo=self.zone).isoformat()


_WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6,
}  # fmt: skip
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
}  # fmt: skip
_ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3,
    "fifth": 4, "5th": 4, "sixth": 5, "6th": 5, "last": -1, "earliest": 0,
}  # fmt: skip
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?", re.I)
_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_MONTH_DAY = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b", re.I
)
_SLASH_DAY = re.compile(r"\b(\d{1,2})/(\d{1,2})\b")
_WEEKDAY = re.compile(r"\b(next\s+)?(" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")\b", re.I)
_CLOCK = re.compile(
    r"\b(?P<h>\d{1,2})(?::(?P<m>[0-5]\d))?\s*(?P<ampm>[ap])\.?\s?m\b\.?"
    r"|\b(?P<h2>\d{1,2}):(?P<m2>[0-5]\d)\b"
    r"|\b(?:at|around|about|@)\s*(?P<h3>\d{1,2})\b(?!\s*[%/:$])"
    r"|\b(?P<noon>noon|midday)\b"
    r"|\b(?:" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r"|tomorrow|today)\s+(?P<h4>\d{1,2})\b"
    r"(?!\s*(?:st|nd|rd|th|[%/:$]))",
    re.I,
)
_WEEKDAY_NAMES = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_DAY_BOUND = re.compile(rf"\b(before|after|by|until|till)\s+(?:this\s+|next\s+)?({_WEEKDAY_NAMES})\b", re.I)
_CLOCK_BOUND = re.compile(
    r"\b(before|after|from|by|until|till|past)\s+(?P<h>\d{1,2})(?::(?P<m>[0-5]\d))?\s*(?:(?P<ampm>[ap])\.?\s?m\b\.?)?"
    r"(?!\s*[%/$]|\d)|\b(before|after)\s+(noon|midday|lunch)\b",
    re.I,
)
_ORDINAL = re.compile(r"\b(" + "|".join(_ORDINALS) + r")\b|(?:\boption|\bnumber|#)\s*(\d)\b", re.I)
_PARTS_OF_DAY = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24), "tonight": (17, 24)}


@dataclass(frozen=True)
class When:
    """The time words of one message."""

    day: date | None = None
    span: tuple[date, date] | None = None
    clock: time | None = None
    part_of_day: tuple[int, int] | None = None
    instant: str | None = None
    ordinal: int | None = None
    after_day: date | None = None
    """Only days after this one (exclusive)."""
    before_day: date | None = None
    """Only days before this one (exclusive)."""
    after_clock: time | None = None
    """Only times at or after this time of day."""
    before_clock: time | None = None
    """Only times before this time of day."""

    @property
    def names_a_time(self) -> bool:
        return self.instant is not None or self.clock is not None

    @property
    def names_a_day(self) -> bool:
        return (
            self.day is not None
            or self.span is not None
            or self.instant is not None
            or self.after_day is not None
            or self.before_day is not None
        )

    @property
    def names_times_of_day(self) -> bool:
        return self.part_of_day is not None or self.after_clock is not None or self.before_clock is not None


def read_when(text: str, calendar: Calendar) -> When:
    found: dict[str, Any] = {}
    rest = text
    if match := _INSTANT.search(rest):
        try:
            moment = datetime.fromisoformat(match.group(0).replace("Z", "+00:00"))
            # Written out again with seconds: the tools take RFC 3339 date-times, "10:00" is not one.
            found["day"], found["instant"] = moment.date(), moment.isoformat()
        except ValueError:
            pass
        rest = rest.replace(match.group(0), " ")
    if "day" not in found and (match := _ISO_DAY.search(rest)):
        with contextlib.suppress(ValueError):
            found["day"] = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        rest = rest.replace(match.group(0), " ")
    if "day" not in found and (match := _MONTH_DAY.search(rest)):
        found["day"] = _this_coming(calendar.today, _MONTHS[match.group(1).lower()], int(match.group(2)))
        rest = rest.replace(match.group(0), " ")
    if "day" not in found and (match := _SLASH_DAY.search(rest)):
        found["day"] = _this_coming(calendar.today, int(match.group(1)), int(match.group(2)))
        rest = rest.replace(match.group(0), " ")
    if calendar.today is not None:
        for match in list(_DAY_BOUND.finditer(rest)):
            found.update(_day_bound(match, calendar.today))
            rest = rest.replace(match.group(0), " ")
    for match in list(_CLOCK_BOUND.finditer(rest)):
        found.update(_clock_bound(match))
        rest = rest.replace(match.group(0), " ")
    if "day" not in found and calendar.today is not None:
        found.update(_relative_day(rest, calendar.today))
    if found.get("day") is None:
        found.pop("day", None)
    lowered = rest.lower()
    for word, hours in _PARTS_OF_DAY.items():
        if word in lowered:
            found["part_of_day"] = hours
    if "instant" not in found and (match := _CLOCK.search(rest)):
        found["clock"] = _clock_of(match)
    if bare := re.fullmatch(r"\s*#?([1-9])\s*[.!]?\s*", rest):  # "2": the second of a numbered list
        found["ordinal"] = int(bare.group(1)) - 1
    elif match := _ORDINAL.search(rest):
        found["ordinal"] = _ORDINALS[match.group(1).lower()] if match.group(1) else int(match.group(2)) - 1
    return When(**found)


def _relative_day(text: str, today: date) -> dict[str, Any]:
    lowered = text.lower()
    if "day after tomorrow" in lowered:
        return {"day": today + timedelta(days=2)}
    if re.search(r"\btomorrow\b", lowered):
        return {"day": today + timedelta(days=1)}
    if re.search(r"\b(today|tonight)\b", lowered):
        return {"day": today}
    next_monday = today + timedelta(days=7 - today.weekday())
    weekday = _WEEKDAY.search(text)
    if weekday and re.search(r"\bnext\s+week\b|\bweek\s+after\s+this\b", lowered):
        # "Wednesday next week": that Wednesday, in the week that starts next Monday.
        return {"day": next_monday + timedelta(days=_WEEKDAYS[weekday.group(2).lower()])}
    if re.search(r"\bnext\s+week\b", lowered):
        return {"span": (next_monday, next_monday + timedelta(days=7))}
    if re.search(r"\bweekend\b", lowered):
        saturday = today + timedelta(days=(5 - today.weekday()) % 7)
        return {"span": (saturday, saturday + timedelta(days=2))}
    if re.search(r"\bthis\s+week\b", lowered):
        return {"span": (today, next_monday)}
    if match := _WEEKDAY.search(text):
        ahead = (_WEEKDAYS[match.group(2).lower()] - today.weekday()) % 7
        if match.group(1) and ahead == 0:
            ahead = 7
        return {"day": today + timedelta(days=ahead)}
    return {}


def _coming(today: date, weekday: str, *, next_one: bool = False) -> date:
    """The next day with this weekday name from today (today itself unless `next_one`)."""
    ahead = (_WEEKDAYS[weekday.lower()] - today.weekday()) % 7
    return today + timedelta(days=7 if next_one and ahead == 0 else ahead)


def _day_bound(match: re.Match[str], today: date) -> dict[str, date]:
    """'before Friday' (days before it), 'after Tuesday' (days after it), 'by Friday' (up to it)."""
    word, day = match.group(1).lower(), _coming(today, match.group(2))
    if word == "after":
        return {"after_day": day}
    if word == "before":
        return {"before_day": day}
    return {"before_day": day + timedelta(days=1)}  # by, until, till: that day included


def _clock_bound(match: re.Match[str]) -> dict[str, time]:
    """'after 3' (from 3 PM on), 'before noon', 'from 10am'."""
    word = (match.group(1) or match.group(5) or "").lower()
    if match.group(6):
        at: time | None = time(12)
    else:
        at = _hour(int(match.group("h")), int(match.group("m") or 0), match.group("ampm"))
    if at is None:
        return {}
    return {"after_clock": at} if word in ("after", "from", "past") else {"before_clock": at}


def _this_coming(today: date | None, month: int, day: int) -> date | None:
    """The next date with this month and day, counting from today (this year when today is unknown)."""
    if today is None:
        return None
    try:
        candidate = date(today.year, month, day)
        if candidate < today - timedelta(days=30):
            candidate = date(today.year + 1, month, day)
    except ValueError:
        return None
    return candidate


def _clock_of(match: re.Match[str]) -> time | None:
    if match.group("noon"):
        return time(12, 0)
    hour_text = match.group("h") or match.group("h2") or match.group("h3") or match.group("h4")
    minute_text = match.group("m") or match.group("m2") or "0"
    return _hour(int(hour_text), int(minute_text), match.group("ampm"))


def _hour(hour: int, minute: int, ampm: str | None) -> time | None:
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
    elif 1 <= hour <= 6:  # "at 3" during shop hours means the afternoon
        hour += 12
    return time(hour, minute) if hour < 24 else None


def start_of(slot: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(slot["start"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return None
