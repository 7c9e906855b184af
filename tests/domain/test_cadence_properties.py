"""Properties of the cadence under the sending rules, for random arrivals, zones, windows and late ticks.

Each run drives a `TouchPointSchedule` the way the dispatcher does: at each due time, a tick that is up
to a minute late claims the touch (or is told to come back later) and records it sent. The checks use
their own reading of the laws (`legal_at`), not the code under test.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from uuid import uuid4
from zoneinfo import ZoneInfo

from hypothesis import assume, given
from hypothesis import strategies as st

from leadorch.domain.cadence import SendingWindow, TouchPlan
from leadorch.domain.errors import NoSendingTime
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.sending_rules import RecipientContext
from leadorch.domain.sending_terms import SEARCH_HORIZON, SHORTEST_STRETCH, SendingTerms
from leadorch.domain.touch_timing import due_time
from leadorch.domain.values import Channel
from tests.domain.strategies import (
    RECIPIENT_ZONES,
    instants_around_dst,
    local,
    recipients,
    sending_windows,
    touch_plans,
    zone_names,
)

TICK_DELAYS = st.lists(st.integers(0, 60), min_size=1, max_size=13)
LOCATION_ZONES = st.sampled_from(RECIPIENT_ZONES)
TEXAS_SB140 = date(2025, 9, 1)


def legal_at(moment: datetime, recipient: RecipientContext, location_zone: str) -> bool:
    """The laws as the issue states them, read independently: in every zone of the recipient."""
    for name in recipient.zones or (location_zone,):
        clock = moment.astimezone(ZoneInfo(name))
        hours = (time(8), time(21))
        if recipient.state in ("FL", "OK"):
            hours = (time(8), time(20))
        elif recipient.state == "TX" and clock.date() >= TEXAS_SB140:
            hours = (time(12), time(21)) if clock.weekday() == 6 else (time(9), time(21))
        if not hours[0] <= clock.time().replace(tzinfo=None) <= hours[1]:
            return False
    return True


@dataclass
class Run:
    """What went out, and the location's date each touch was planned on when it became the next one."""

    sends: list[tuple[int, datetime, frozenset[Channel]]] = field(default_factory=list)
    planned: dict[int, date] = field(default_factory=dict)
    short_stretch: bool = False
    stopped: str | None = None


def run_cadence(
    anchor: datetime,
    window: SendingWindow,
    location_zone: str,
    recipient: RecipientContext,
    plan: TouchPlan,
    delays: Sequence[int],
    other_solicitations: Sequence[datetime] = (),
) -> Run:
    schedule = TouchPointSchedule.start(
        tenant_id="t1", lead_id=str(uuid4()), location_id="loc", plan=plan, window=window,
        time_zone=location_zone, email_ok=True, sms_ok=True, at=anchor, recipient=recipient,
    )  # fmt: skip
    terms, run, tick = schedule.terms, Run(), 0
    while (due := schedule.next_due_at) is not None:
        number = schedule.next_touch_number
        assert number is not None
        if number not in run.planned:
            run.planned[number] = terms.local_date(due)
            day_starts = datetime.combine(run.planned[number], time(0), ZoneInfo(location_zone))
            opens, closes = terms.interval_from(day_starts)
            run.short_stretch |= closes - opens < timedelta(minutes=2)
        now = due + timedelta(seconds=delays[tick % len(delays)])
        tick += 1
        assert tick < 200, "the cadence does not converge"
        others = [s for s in other_solicitations if s <= now]
        claimed = schedule.claim_next_touch(now=now, claim_id=f"claim-{tick}", other_solicitations=others)
        if claimed is None:
            continue
        for channel in claimed.channels:
            schedule.record_sent(
                touch_number=number, channel=channel, provider_message_id=f"m-{tick}-{channel}", now=now
            )
        run.sends.append((number, now, claimed.channels))
    run.stopped = schedule.stop_reason
    return run


def allowed_minutes(
    start: datetime,
    window: SendingWindow,
    location_zone: str,
    recipient: RecipientContext,
    *,
    consecutive: int,
) -> list[datetime]:
    """The whole minutes in the rules' search horizon from `start` that begin a run of `consecutive`
    whole minutes each allowed by the location's window and `legal_at`.

    Every limit opens and closes on a whole minute of its zone, and US zones and DST changes are
    whole hours off UTC, so an allowed stretch of a minute or more holds two consecutive whole
    minutes, and an allowed instant at all holds one. The cap is left out: it never closes for good
    (only past sends count, and each falls out of the 24 hours), so it cannot be why nothing is left.
    """
    first = start.replace(second=0, microsecond=0)
    if first < start:
        first += timedelta(minutes=1)
    minutes = int(SEARCH_HORIZON / timedelta(minutes=1))
    allowed = [
        window.admits(moment, location_zone) and legal_at(moment, recipient, location_zone)
        for moment in (first + timedelta(minutes=m) for m in range(minutes + consecutive))
    ]
    return [first + timedelta(minutes=m) for m in range(minutes) if all(allowed[m : m + consecutive])]


def meets(window: SendingWindow, location_zone: str, recipient: RecipientContext, anchor: datetime) -> bool:
    try:
        SendingTerms(window, location_zone, recipient).next_allowed(anchor)
    except NoSendingTime:
        return False
    return True


@given(instants_around_dst(), sending_windows(), LOCATION_ZONES, recipients(), touch_plans(), TICK_DELAYS)
def test_late_ticks_keep_every_touch_on_its_day_inside_both_windows(
    anchor: datetime,
    window: SendingWindow,
    location_zone: str,
    recipient: RecipientContext,
    plan: TouchPlan,
    delays: list[int],
) -> None:
    assume(meets(window, location_zone, recipient, anchor))
    terms = SendingTerms(window, location_zone, recipient)
    run = run_cadence(anchor, window, location_zone, recipient, plan, delays)
    if run.stopped is None:
        assert [number for number, _, _ in run.sends] == list(range(1, len(plan) + 1))
    else:  # the windows stopped meeting (a DST change moved one zone against the other, or they touch
        # only at an instant): said, not hung
        assert "no moment" in run.stopped
        # The stop names the instant it searched from and what it found none of: no allowed moment, or
        # no allowed stretch long enough for a late tick to meet (windows that touch only at an instant,
        # such as a Sunday window from 20:00 and Florida's hours that end at 20:00: the first touch may
        # go at that instant, no later touch can be planned into it). Checked minute by minute.
        searched = re.search(r"no (moment|stretch of \S+) after (\S+) is", run.stopped)
        assert searched is not None, run.stopped
        from_instant = datetime.fromisoformat(searched.group(2))
        if searched.group(1) == "moment":
            assert not allowed_minutes(from_instant, window, location_zone, recipient, consecutive=1)
        else:
            assert searched.group(1) == f"stretch of {SHORTEST_STRETCH}", run.stopped
            assert not allowed_minutes(from_instant, window, location_zone, recipient, consecutive=2)
    location_days = []
    for number, sent_at, _ in run.sends:
        assert window.admits(sent_at, location_zone), (number, local(sent_at, location_zone))
        assert legal_at(sent_at, recipient, location_zone), (number, sent_at)
        day = terms.local_date(sent_at)
        planned = run.planned[number]
        try:
            next_allowed_day = terms.local_date(
                terms.next_plannable(
                    datetime.combine(planned + timedelta(days=1), time(0), ZoneInfo(location_zone))
                )
            )
        except NoSendingTime:  # only stretches too short to plan into are left: no touch follows this one
            next_allowed_day = planned
            assert run.stopped is not None or number == len(plan), "a touch planned where nothing is"
        assert day in (planned, next_allowed_day), (number, day, planned)
        if number > 1 and not run.short_stretch:
            assert day == planned, f"touch {number} was planned where a tick a minute late can meet it"
        location_days.append(day)
    assert all(a < b for a, b in pairwise(location_days)), "one touch a day"
    for name in recipient.zones:
        days = [local(sent_at, name).date() for _, sent_at, _ in run.sends]
        assert len(set(days)) == len(days), f"one touch a day in {name} too"
    if not run.short_stretch and run.stopped is None:
        on_time = run_cadence(anchor, window, location_zone, recipient, plan, [0])
        last_planned = terms.local_date(on_time.sends[-1][1])
        assert location_days[-1] <= last_planned + timedelta(days=1), "a late tick never carries through"


@given(
    instants_around_dst(),
    sending_windows(),
    LOCATION_ZONES,
    recipients(),
    touch_plans(),
    TICK_DELAYS,
    st.lists(st.integers(-36 * 60, 40 * 24 * 60), max_size=8),
)
def test_a_florida_or_oklahoma_number_never_gets_more_than_3_solicitations_in_24_hours(
    anchor: datetime,
    window: SendingWindow,
    location_zone: str,
    recipient: RecipientContext,
    plan: TouchPlan,
    delays: list[int],
    other_minutes: list[int],
) -> None:
    """Counting the cadence's texts and other marketing texts to the same number (from other leads)."""
    assume(meets(window, location_zone, recipient, anchor))
    others = sorted(anchor + timedelta(minutes=m) for m in other_minutes)
    run = run_cadence(anchor, window, location_zone, recipient, plan, delays, others)
    texts = [sent_at for _, sent_at, channels in run.sends if Channel.SMS in channels]
    if recipient.state in ("FL", "OK"):
        for sent_at in texts:
            counted = [s for s in [*texts, *others] if sent_at - timedelta(hours=24) < s <= sent_at]
            assert len(counted) <= 3, (sent_at, counted)


@given(
    instants_around_dst(),
    sending_windows(),
    zone_names(),
    touch_plans(),
    st.lists(st.integers(0, 3 * 24 * 60)),
)
def test_due_times_are_inside_the_window_on_a_later_local_day_however_late_each_touch_went(
    anchor: datetime, window: SendingWindow, tz_name: str, plan: TouchPlan, delays: list[int]
) -> None:
    terms = SendingTerms(window, tz_name)
    previous: date | None = None
    for position, touch in enumerate(plan.touches):
        due = due_time(touch, anchor, previous, terms)
        assert window.admits(due, tz_name), (touch.number, local(due, tz_name))
        assert due >= anchor
        if previous is not None:
            assert local(due, tz_name).date() > previous
        if touch.day == 0:
            assert due == terms.next_allowed(anchor)
        else:
            assert local(due, tz_name).date() >= local(anchor, tz_name).date() + timedelta(days=touch.day)
        # The touch may go out much later than due (an outage); the next one counts from when it went out.
        delay = timedelta(minutes=delays[position] if position < len(delays) else 0)
        previous = local(terms.next_allowed(due + delay), tz_name).date()


@given(instants_around_dst(), sending_windows(), zone_names())
def test_the_next_allowed_moment_is_inside_the_window_and_not_earlier(
    candidate: datetime, window: SendingWindow, tz_name: str
) -> None:
    moment = SendingTerms(window, tz_name).next_allowed(candidate)
    assert moment >= candidate
    assert window.admits(moment, tz_name)
    assert moment - candidate <= timedelta(days=8)
    if window.admits(candidate, tz_name):
        assert moment == candidate


@given(instants_around_dst(), sending_windows(), zone_names(), touch_plans(), instants_around_dst())
def test_a_floor_and_a_shift_still_give_a_moment_inside_the_window(
    anchor: datetime, window: SendingWindow, tz_name: str, plan: TouchPlan, floor: datetime
) -> None:
    touch = plan.touches[-1]
    due = due_time(touch, anchor, None, SendingTerms(window, tz_name), shift_days=3, not_before=floor)
    assert due >= floor
    assert window.admits(due, tz_name)


def test_an_evening_lead_with_a_5_second_tick_gets_every_touch_on_its_planned_day() -> None:
    """The held-out case: arrival after the window closed, each tick 5 s after the due time."""
    window, la = SendingWindow(time(9), time(20)), "America/Los_Angeles"
    anchor = datetime(2026, 6, 10, 20, 30, tzinfo=ZoneInfo(la)).astimezone(UTC)
    plan = TouchPlan.of((day, ["email"]) for day in (0, 1, 3, 5, 7, 10, 13, 16, 19, 22, 25, 27, 30))
    run = run_cadence(anchor, window, la, RecipientContext(), plan, [5])
    sent_days = [local(sent_at, la).date() for _, sent_at, _ in run.sends]
    assert sent_days == [run.planned[number] for number in range(1, 14)]
    assert all(local(sent_at, la).time() < time(20) for _, sent_at, _ in run.sends)


def test_windows_that_touch_only_at_an_instant_get_one_touch_then_a_stop_that_says_so() -> None:
    """What the random search found (the known defect was the oracle's): a Sunday window from 20:00 and
    Florida's hours, which end at 20:00, share one instant a week. Touch 1 may go at that instant (speed
    to lead takes the next allowed moment); no later touch can be planned where a tick a second late
    still meets it, so the cadence stops and names the stretch it could not find."""
    la = "America/Los_Angeles"
    window = SendingWindow(time(20), time(21), frozenset({0}))
    florida_in_la = RecipientContext(state="FL", zones=(la,))
    anchor = datetime(2025, 3, 8, 18, tzinfo=ZoneInfo(la)).astimezone(UTC)
    run = run_cadence(anchor, window, la, florida_in_la, TouchPlan.of([(0, ["sms"]), (2, ["sms"])]), [0])
    assert [(number, local(at, la)) for number, at, _ in run.sends] == [
        (1, datetime(2025, 3, 9, 20, tzinfo=ZoneInfo(la)))
    ]
    assert run.stopped is not None and f"no stretch of {SHORTEST_STRETCH} after" in run.stopped
    assert allowed_minutes(anchor, window, la, florida_in_la, consecutive=1)  # the instants exist
    assert not allowed_minutes(anchor, window, la, florida_in_la, consecutive=2)  # no minute-long stretch
