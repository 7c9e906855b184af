"""Hypothesis strategies for the domain's property tests: instants around US DST changes, windows, plans."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from leadorch.domain.cadence import DEFAULT_PLAN, SendingWindow, TouchPlan
from leadorch.domain.sending_rules import UNKNOWN_RECIPIENT, RecipientContext
from leadorch.domain.values import Channel

US_ZONES = ("America/Los_Angeles", "America/New_York")
RECIPIENT_ZONES = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Phoenix",
    "America/Chicago",
    "America/New_York",
)
RECIPIENT_STATES = ("FL", "OK", "TX", "CA", None)
# Spring-forward and fall-back Sundays in the US.
DST_CHANGES = (date(2025, 3, 9), date(2025, 11, 2), date(2026, 3, 8), date(2026, 11, 1))

WINDOWS = (
    SendingWindow(),
    SendingWindow(time(8), time(21)),
    SendingWindow(time(10), time(18), frozenset({1, 2, 3, 4, 5})),
    SendingWindow(time(9, 15), time(12, 45), frozenset({0, 3, 6})),
)


@st.composite
def instants_around_dst(draw: st.DrawFn, *, days_before: int = 35, days_after: int = 3) -> datetime:
    """An instant from `days_before` days before to `days_after` after a US DST change, to the minute."""
    change = draw(st.sampled_from(DST_CHANGES))
    base = datetime.combine(change, time(2), tzinfo=UTC)
    minutes = draw(st.integers(-days_before * 24 * 60, days_after * 24 * 60))
    return base + timedelta(minutes=minutes)


@st.composite
def sending_windows(draw: st.DrawFn) -> SendingWindow:
    """One of a few fixed windows, or a random legal one."""
    if draw(st.booleans()):
        return draw(st.sampled_from(WINDOWS))
    start_minutes = draw(st.integers(8 * 60, 20 * 60))
    end_minutes = draw(st.integers(start_minutes + 1, 21 * 60))
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    return SendingWindow(
        time(start_minutes // 60, start_minutes % 60), time(end_minutes // 60, end_minutes % 60), days
    )


@st.composite
def touch_plans(draw: st.DrawFn) -> TouchPlan:
    """The default plan, or a random short one."""
    if draw(st.booleans()):
        return DEFAULT_PLAN
    gaps = draw(st.lists(st.integers(1, 6), min_size=0, max_size=6))
    first = draw(st.integers(0, 2))
    days = [first]
    for gap in gaps:
        days.append(days[-1] + gap)
    channel_sets = st.sampled_from([[Channel.EMAIL], [Channel.SMS], [Channel.EMAIL, Channel.SMS]])
    return TouchPlan.of((day, draw(channel_sets)) for day in days)


def zone_names() -> st.SearchStrategy[str]:
    return st.sampled_from(US_ZONES)


@st.composite
def recipients(draw: st.DrawFn) -> RecipientContext:
    """Nothing known, or a state (or none) with one or two US zones."""
    if draw(st.integers(0, 5)) == 0:
        return UNKNOWN_RECIPIENT
    zones = draw(st.lists(st.sampled_from(RECIPIENT_ZONES), min_size=1, max_size=2, unique=True))
    return RecipientContext(state=draw(st.sampled_from(RECIPIENT_STATES)), zones=tuple(zones))


def local(moment: datetime, tz_name: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz_name))
