"""The console's small rules, without a server: how values are written for people, the date range,
speed-to-lead buckets, sessions, CSRF tokens and one-time notices."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadorch.app.console import display
from leadorch.app.console.dashboard import DateRange, InvalidDateRange, parse_date_range
from leadorch.app.console.flash import Flash, decode_flash, encode_flash
from leadorch.app.console.session import csrf_matches, csrf_token, issue_session, read_session
from leadorch.app.console.speed_to_lead import BUCKETS, distribution, median_ms

SECRET = "a-console-test-secret-of-32-characters!"


@pytest.mark.parametrize(
    ("ms", "shown"),
    [
        (None, "—"), (250, "250 ms"), (45_000, "45 s"), (125_000, "2 min 5 s"), (600_000, "10 min"),
        (4_800_000, "1 h 20 min"), (7_200_000, "2 h"), (273_600_000, "3 d 4 h"), (259_200_000, "3 d"),
    ],
)  # fmt: skip
def test_durations_read_in_at_most_two_units(ms: int | None, shown: str) -> None:
    assert display.duration(ms) == shown


def test_money_rates_and_times_are_written_for_people() -> None:
    assert display.money(123450) == "$1,234.50" and display.money(5) == "$0.05" and display.money(None) == "—"
    assert display.dollars_field(45000) == "450.00"
    assert (
        display.percent(1, 5) == "20%" and display.percent(1, 30) == "3.3%" and display.percent(0, 0) == "—"
    )
    moment = datetime(2025, 11, 2, 8, 30, tzinfo=UTC)  # the morning US clocks fell back
    assert display.local_time(moment, "America/Chicago") == "2025-11-02 02:30 CST"
    assert display.local_time(moment, "No/Such_Zone") == "2025-11-02 08:30 UTC"
    assert display.contact_name("Maria", "Garcia", reveal=False) == "M*** G***"
    assert display.contact_phone("+15125551003", reveal=False) == "+1******1003"


def test_the_date_range_defaults_to_the_last_thirty_days_and_explains_a_bad_one() -> None:
    today = date(2025, 6, 10)
    assert parse_date_range(None, None, today=today) == DateRange(date(2025, 5, 12), today)
    assert parse_date_range("2025-06-01", "", today=today) == DateRange(date(2025, 6, 1), today)
    assert len(parse_date_range("2025-06-01", "2025-06-03", today=today).days) == 3
    with pytest.raises(InvalidDateRange, match="'to' must be a date written YYYY-MM-DD, not '10/06/2025'"):
        parse_date_range(None, "10/06/2025", today=today)


@given(st.lists(st.integers(min_value=0, max_value=10**9), max_size=50))
def test_every_speed_falls_in_exactly_one_bucket(values: list[int]) -> None:
    counts = distribution(values)
    assert [bucket for bucket, _ in counts] == list(BUCKETS)
    assert sum(count for _, count in counts) == len(values)
    for value in values:
        assert sum(bucket.holds(value) for bucket in BUCKETS) == 1


def test_the_median_is_the_nearest_rank_one() -> None:
    assert median_ms([30_000, 45_000, 120_000, 600_000]) == 45_000
    assert median_ms([7]) == 7 and median_ms([]) is None


def test_a_session_lasts_until_it_expires_and_its_csrf_token_is_its_own() -> None:
    session, cookie = issue_session(SECRET, tenant_id="sunshield", name="  Sam   Lee ", now=1000, seconds=60)
    assert read_session(SECRET, cookie, now=1059) == session
    assert read_session(SECRET, cookie, now=1060) is None
    assert session.name == "Sam Lee"
    assert (
        session.principal.tenant_id == "sunshield"
        and session.principal.actor == "Sam Lee via console (tenant-token:sunshield)"
    )
    other, _ = issue_session(SECRET, tenant_id="sunshield", name="Sam Lee", now=1000, seconds=60)
    assert csrf_matches(SECRET, session, csrf_token(SECRET, session))
    assert not csrf_matches(SECRET, other, csrf_token(SECRET, session))
    assert not csrf_matches(SECRET, session, None)


def test_a_notice_survives_a_redirect_only_if_the_server_wrote_it() -> None:
    value = encode_flash(SECRET, Flash("error", "cannot pause automation: already paused by Ana"))
    assert decode_flash(SECRET, value) == Flash("error", "cannot pause automation: already paused by Ana")
    assert decode_flash("another-secret-of-at-least-32-characters", value) is None
    assert decode_flash(SECRET, value.replace(".", "x.", 1)) is None
    with pytest.raises(ValueError, match="a flash is one of notice, error"):
        encode_flash(SECRET, Flash("warning", "x"))
