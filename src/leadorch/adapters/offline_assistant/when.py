"""Reading dates and times: "Friday", "next week", "Dec 3", "10am", "the second one", and today's date.

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
    r"|\bat\s+(?P<h3>\d{1,2})\b(?!\s*[%/:$])"
    r"|\b(?P<noon>noon|midday)\b",
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

    @property
    def names_a_time(self) -> bool:
        return self.instant is not None or self.clock is not None

    @property
    def names_a_day(self) -> bool:
        return self.day is not None or self.span is not None or self.instant is not None


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
    if match := _ORDINAL.search(rest):
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
    hour_text = match.group("h") or match.group("h2") or match.group("h3")
    minute_text = match.group("m") or match.group("m2") or "0"
    hour, minute = int(hour_text), int(minute_text)
    if ampm := match.group("ampm"):
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
