"""The sending rules as the laws state them: the recipient's hours, by state, in their own zone, and the cap."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadorch.domain.cadence import DEFAULT_WINDOW, SendingWindow
from leadorch.domain.errors import InvalidValue, NoSendingTime
from leadorch.domain.sending_rules import (
    CURRENT_RULES,
    FEDERAL,
    FLORIDA,
    OKLAHOMA,
    RULES,
    RULES_VERSION,
    TEXAS,
    UNKNOWN_RECIPIENT,
    RecipientContext,
)
from leadorch.domain.sending_terms import SendingTerms

LA, NY, CHICAGO = "America/Los_Angeles", "America/New_York", "America/Chicago"
MIAMI = RecipientContext(state="FL", zones=(NY,), derived_from="area code 305")
TULSA = RecipientContext(state="OK", zones=(CHICAGO,), derived_from="area code 918")
AUSTIN = RecipientContext(state="TX", zones=(CHICAGO,), derived_from="area code 512")
WIDE_OPEN = SendingWindow(time(8), time(21))


def at(year: int, month: int, day: int, hour: int, minute: int = 0, tz_name: str = LA) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def test_every_rule_names_its_law_source_and_effective_date_and_the_table_has_a_version() -> None:
    assert RULES_VERSION and CURRENT_RULES.version == RULES_VERSION
    for rule in RULES:
        assert rule.law and rule.source and rule.effective and rule.choice, rule.rule_id
    assert len({rule.rule_id for rule in RULES}) == len(RULES)


def test_the_rows_say_what_the_laws_say() -> None:
    assert FEDERAL.states is None and FEDERAL.hours_on(at(2026, 6, 10, 12).date()) == (time(8), time(21))
    for rule in (FLORIDA, OKLAHOMA):
        assert rule.cap == 3 and rule.cap_period == timedelta(hours=24)
        assert {rule.hours_on(at(2026, 6, d, 12).date()) for d in range(7, 14)} == {(time(8), time(20))}
    assert TEXAS.effective.isoformat() == "2025-09-01" and TEXAS.cap is None
    assert TEXAS.hours_on(at(2026, 6, 14, 12).date()) == (time(12), time(21)), "Sunday"
    assert TEXAS.hours_on(at(2026, 6, 13, 12).date()) == (time(9), time(21)), "Saturday"


def test_the_federal_rule_protects_everyone_and_a_states_rule_only_its_residents() -> None:
    assert CURRENT_RULES.for_recipient(UNKNOWN_RECIPIENT) == (FEDERAL,)
    assert CURRENT_RULES.for_recipient(MIAMI) == (FEDERAL, FLORIDA)
    assert CURRENT_RULES.for_recipient(TULSA) == (FEDERAL, OKLAHOMA)
    assert CURRENT_RULES.for_recipient(AUSTIN) == (FEDERAL, TEXAS)
    assert CURRENT_RULES.for_recipient(RecipientContext(state="CA", zones=(LA,))) == (FEDERAL,)


def test_a_san_diego_shop_may_not_text_a_miami_number_at_19_00_pacific() -> None:
    """19:00 in San Diego is 22:00 in Miami: inside the shop's window, outside Florida's 08:00–20:00."""
    terms = SendingTerms(DEFAULT_WINDOW, LA, MIAMI)
    evening = at(2026, 6, 10, 19)
    assert DEFAULT_WINDOW.admits(evening, LA)
    assert not terms.admits(evening)
    assert "FL-501.059 hours in America/New_York" in terms.refusal(evening)
    assert terms.admits(at(2026, 6, 10, 16, 59)) and not terms.admits(at(2026, 6, 10, 17, 1))
    opening = terms.next_allowed(evening)
    assert opening == at(2026, 6, 11, 9), "the next morning when the shop's window opens (12:00 in Miami)"


def test_a_texas_number_gets_no_text_before_noon_on_sunday() -> None:
    terms = SendingTerms(WIDE_OPEN, CHICAGO, AUSTIN)
    sunday_morning = at(2026, 6, 14, 10, tz_name=CHICAGO)
    assert not terms.admits(sunday_morning)
    assert terms.next_allowed(sunday_morning) == at(2026, 6, 14, 12, tz_name=CHICAGO)
    assert terms.admits(at(2026, 6, 13, 9, tz_name=CHICAGO)), "Saturday from 09:00"
    assert not terms.admits(at(2026, 6, 13, 8, 59, tz_name=CHICAGO))


def test_a_rule_binds_only_sends_from_its_effective_date() -> None:
    terms = SendingTerms(WIDE_OPEN, CHICAGO, AUSTIN)
    assert terms.admits(at(2025, 8, 31, 10, tz_name=CHICAGO)), "a Sunday before SB 140 was in force"
    assert not terms.admits(at(2025, 9, 7, 10, tz_name=CHICAGO)), "the first Sunday after"


def test_a_number_spanning_several_zones_is_held_to_the_most_restrictive_reading() -> None:
    both = RecipientContext(state="FL", zones=(NY, CHICAGO), derived_from="an area code on a zone line")
    terms = SendingTerms(WIDE_OPEN, NY, both)
    assert not terms.admits(at(2026, 6, 10, 8, 30, tz_name=NY)), "07:30 in the Central part"
    assert terms.admits(at(2026, 6, 10, 9, 0, tz_name=NY))
    assert not terms.admits(at(2026, 6, 10, 20, 30, tz_name=NY)), "20:30 in the Eastern part"


def test_a_number_that_tells_nothing_gets_the_federal_hours_in_the_locations_zone() -> None:
    terms = SendingTerms(WIDE_OPEN, LA, UNKNOWN_RECIPIENT)
    assert terms.recipient_zones == (LA,)
    assert terms.admits(at(2026, 6, 10, 20, 59)) and not terms.admits(at(2026, 6, 10, 21, 1))


def test_the_cap_counts_solicitations_in_a_rolling_24_hours_and_reopens_when_the_oldest_falls_out() -> None:
    terms = SendingTerms(WIDE_OPEN, NY, MIAMI)
    sent = [at(2026, 6, 10, 9, tz_name=NY), at(2026, 6, 10, 12, tz_name=NY), at(2026, 6, 10, 15, tz_name=NY)]
    later = at(2026, 6, 10, 18, tz_name=NY)
    assert not terms.admits(later, solicitations=sent)
    assert "FL-501.059 cap of 3 per 24 hours" in terms.refusal(later, solicitations=sent)
    assert terms.admits(later), "a notice or a reminder is not a solicitation: the cap does not count it"
    reopens = terms.next_allowed(later, solicitations=sent)
    assert sent[0] + timedelta(hours=24) < reopens <= sent[0] + timedelta(hours=24, seconds=1)
    assert terms.admits(later, solicitations=sent[1:])


def test_no_cap_protects_a_number_outside_florida_and_oklahoma() -> None:
    terms = SendingTerms(WIDE_OPEN, CHICAGO, AUSTIN)
    monday = at(2026, 6, 15, 10, tz_name=CHICAGO)
    assert terms.admits(monday, solicitations=[monday - timedelta(minutes=m) for m in range(1, 10)])


def test_the_proof_of_a_send_at_19_58_names_every_window_the_recipient_and_the_count() -> None:
    terms = SendingTerms(SendingWindow(time(9), time(20)), NY, MIAMI)
    moment = at(2026, 6, 10, 19, 58, tz_name=NY)
    proof = terms.proof(moment, solicitations=[moment - timedelta(hours=5)])
    assert proof["rules_version"] == RULES_VERSION
    assert proof["location_window"]["zone"] == NY
    assert proof["location_window"]["local_time"] == "2026-06-10T19:58:00"
    assert proof["recipient"] == MIAMI.to_data()
    assert [(row["rule"], row["zone"], row["allowed"]) for row in proof["legal_hours"]] == [
        ("US-TCPA-calling-hours", NY, "08:00–21:00"),
        ("FL-501.059", NY, "08:00–20:00"),
    ]
    assert proof["cap"]["count_with_this_one"] == 2 and proof["cap"]["limit"] == 3


def test_windows_that_never_meet_are_said_so() -> None:
    early_shop = SendingWindow(time(8), time(8, 30))  # 08:30 Eastern is 07:30 in Austin
    terms = SendingTerms(early_shop, NY, AUSTIN)
    with pytest.raises(NoSendingTime, match="inside both the location's sending window"):
        terms.next_allowed(at(2026, 6, 10, 7, tz_name=NY))


def test_recipient_contexts_validate_and_round_trip() -> None:
    assert RecipientContext.from_data(MIAMI.to_data()) == MIAMI
    assert RecipientContext.from_data(None) == UNKNOWN_RECIPIENT
    with pytest.raises(InvalidValue, match="two letters"):
        RecipientContext(state="Florida")
    with pytest.raises(InvalidValue, match="unknown time zone"):
        SendingTerms(DEFAULT_WINDOW, LA, RecipientContext(zones=("Mars/Olympus",)))
