"""Weekly opening hours: day names, the operator's compact syntax, and its canonical form.

Hours are stored as `{"mon": ["09:00-12:00", "13:00-18:00"], "sat": ["10:00-16:00"]}`: a day that is
missing (or has no intervals) is closed. Operators type them compactly,
`"mon-fri 09:00-18:00; sat 10:00-16:00; sun closed"`, and see them written back the same way.
Days count from Sunday, the convention the domain's `BusinessHours` and `SendingWindow` use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from leadorch.app.config import validation
from leadorch.app.config.errors import InvalidConfiguration

DAY_NAMES: tuple[str, ...] = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_FULL_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
# Operators read weeks from Monday, so ranges such as "mon-sun" and the written form follow that order.
_WEEK_ORDER: tuple[str, ...] = DAY_NAMES[1:] + DAY_NAMES[:1]

WeeklyHours = dict[str, list[str]]


def day_name(value: str) -> str:
    """The three-letter name of a day ('mon'), from 'mon', 'Monday' or 'MONDAY'."""
    key = value.strip().lower() if isinstance(value, str) else ""
    if key in DAY_NAMES:
        return key
    if key in _FULL_NAMES:
        return DAY_NAMES[_FULL_NAMES.index(key)]
    raise InvalidConfiguration(
        f"day {value!r} is not a day of the week (use mon, tue, wed, thu, fri, sat, sun)"
    )


def day_index(name: str) -> int:
    """0 for Sunday … 6 for Saturday."""
    return DAY_NAMES.index(day_name(name))


def days(values: Sequence[str], what: str) -> list[str]:
    """Distinct day names in week order (Monday first); at least one."""
    if isinstance(values, str) or not values:
        raise InvalidConfiguration(f"{what} must list at least one day of the week")
    chosen = {day_name(value) for value in values}
    return [day for day in _WEEK_ORDER if day in chosen]


def parse_days(spec: str) -> list[str]:
    """Days from the compact syntax: `"mon-fri"`, `"mon-fri,sun"`, `"sat"` (week order, Monday first)."""
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidConfiguration("days must not be empty (e.g. 'mon-fri' or 'mon-sat,sun')")
    chosen = [day for piece in spec.split(",") if piece.strip() for day in _day_range(piece.strip())]
    return days(chosen, "days")


def format_days(names: Sequence[str]) -> str:
    """The compact syntax for a set of days ("mon-fri,sun")."""
    chosen = set(names)
    runs: list[list[str]] = []
    for day in _WEEK_ORDER:
        if day in chosen:
            if runs and runs[-1][-1] == _WEEK_ORDER[_WEEK_ORDER.index(day) - 1]:
                runs[-1].append(day)
            else:
                runs.append([day])
    return ",".join(run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


def weekly_hours(raw: Mapping[str, Sequence[str]]) -> WeeklyHours:
    """Checked weekly hours: known day names, each day's intervals valid and not overlapping."""
    if not isinstance(raw, Mapping):
        raise InvalidConfiguration("weekly hours must map day names to lists of HH:MM-HH:MM intervals")
    checked: WeeklyHours = {}
    for given, day_intervals in raw.items():
        day = day_name(given)
        if day in checked:
            raise InvalidConfiguration(f"weekly hours give {day} twice")
        found = validation.intervals(list(day_intervals), f"hours on {day}")
        if found:
            checked[day] = found
    return {day: checked[day] for day in _WEEK_ORDER if day in checked}


def parse_weekly_hours(spec: str) -> WeeklyHours:
    """Hours from the compact syntax: `"mon-fri 09:00-18:00; sat 10:00-12:00,13:00-16:00; sun closed"`.

    Each `;`-separated part is a day or a day range (in week order, Monday first) then either
    comma-separated intervals or `closed`. Days not mentioned are closed; a day given twice is an error.
    """
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidConfiguration("hours must not be empty (e.g. 'mon-fri 09:00-18:00; sat 10:00-16:00')")
    result: dict[str, list[str]] = {}
    for part in (piece.strip() for piece in spec.split(";")):
        if not part:
            continue
        words = part.split(None, 1)
        if len(words) != 2:
            raise InvalidConfiguration(
                f"hours part {part!r} must be days then intervals, e.g. 'mon-fri 09:00-18:00'"
            )
        day_spec, interval_spec = words
        day_intervals = (
            []
            if interval_spec.strip().lower() == "closed"
            else [piece.strip() for piece in interval_spec.split(",") if piece.strip()]
        )
        for day in _day_range(day_spec):
            if day in result:
                raise InvalidConfiguration(f"hours give {day} twice")
            result[day] = validation.intervals(day_intervals, f"hours on {day}")
    return weekly_hours(result)


def format_weekly_hours(hours: Mapping[str, Sequence[str]]) -> str:
    """The compact syntax for `hours`, grouping consecutive days with the same intervals."""
    groups: list[tuple[list[str], tuple[str, ...]]] = []
    for day in _WEEK_ORDER:
        day_intervals = tuple(hours.get(day, ()))
        if groups and groups[-1][1] == day_intervals:
            groups[-1][0].append(day)
        else:
            groups.append(([day], day_intervals))
    parts = []
    for group_days, day_intervals in groups:
        label = group_days[0] if len(group_days) == 1 else f"{group_days[0]}-{group_days[-1]}"
        parts.append(f"{label} {','.join(day_intervals) if day_intervals else 'closed'}")
    return "; ".join(parts)


def _day_range(spec: str) -> list[str]:
    if "-" not in spec:
        return [day_name(spec)]
    first, _, last = spec.partition("-")
    start, end = _WEEK_ORDER.index(day_name(first)), _WEEK_ORDER.index(day_name(last))
    if end < start:
        raise InvalidConfiguration(
            f"day range {spec!r} must run forward from Monday to Sunday, e.g. 'mon-fri'"
        )
    return list(_WEEK_ORDER[start : end + 1])
