"""Which sending terms bind an appointment notice (issue 14): quiet hours hold a reminder, a confirmation
of what the customer just did goes at once, and no notice is a solicitation the cap counts."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from leadorch.domain import notice_rules
from leadorch.domain.cadence import SendingWindow
from leadorch.domain.errors import InvalidValue
from leadorch.domain.sending_rules import RecipientContext
from leadorch.domain.sending_terms import SendingTerms

MIAMI = RecipientContext(state="FL", zones=("America/New_York",), derived_from="area code 305 (FL)")
TERMS = SendingTerms(SendingWindow(time(9), time(20)), "America/Los_Angeles", MIAMI)
AT_20_30_IN_MIAMI = datetime(2026, 6, 11, 0, 30, tzinfo=UTC)  # 17:30 in San Diego
AT_10_IN_MIAMI = datetime(2026, 6, 10, 14, 0, tzinfo=UTC)  # 07:00 in San Diego: before the shop opens
AT_NOON_IN_MIAMI = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize("at", [AT_20_30_IN_MIAMI, AT_10_IN_MIAMI])
def test_a_reminder_waits_for_both_windows(at: datetime) -> None:
    assert notice_rules.refusal("reminder", TERMS, at) == TERMS.refusal(at) != ""


@pytest.mark.parametrize("kind", ["booked", "rescheduled", "cancelled"])
def test_a_confirmation_of_what_the_customer_just_did_goes_at_once(kind: str) -> None:
    assert notice_rules.refusal(kind, TERMS, AT_20_30_IN_MIAMI) == ""
    proof = notice_rules.proof(kind, TERMS, AT_20_30_IN_MIAMI, consent=None)
    assert proof["message"]["quiet_hours"] == "not held"
    assert proof["legal_hours"][1]["local_time"] == "2026-06-10T20:30:00"  # read, and recorded as read


@pytest.mark.parametrize("kind", notice_rules.NOTICE_KINDS)
def test_no_notice_is_counted_by_the_cap_even_to_a_florida_number(kind: str) -> None:
    consent = {"channel": "sms", "granted": True}
    proof = notice_rules.proof(kind, TERMS, AT_NOON_IN_MIAMI, consent=consent)
    assert proof["cap"] is None and proof["solicitation"] is False
    assert proof["message"]["solicitation"] is False and proof["consent"] == consent
    assert proof["recipient"]["state"] == "FL" and proof["rules_version"] == TERMS.table.version


def test_an_unknown_notice_is_refused() -> None:
    with pytest.raises(InvalidValue, match="unknown notice 'promo'"):
        notice_rules.refusal("promo", TERMS, AT_NOON_IN_MIAMI)
