"""A send's proof read back for people: the console's timeline says why a text was allowed at 19:58."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from leadorch.app.console.timeline import sentence
from leadorch.app.touches.proof import why_allowed
from leadorch.domain import notice_rules
from leadorch.domain.cadence import SendingWindow
from leadorch.domain.sending_rules import RecipientContext
from leadorch.domain.sending_terms import SendingTerms

MIAMI = RecipientContext(state="FL", zones=("America/New_York",), derived_from="area code 305 (FL)")
AT_19_58_IN_MIAMI = datetime(2026, 6, 10, 23, 58, tzinfo=UTC)


def proof() -> dict[str, object]:
    terms = SendingTerms(SendingWindow(time(9), time(20)), "America/Los_Angeles", MIAMI)
    recorded = terms.proof(AT_19_58_IN_MIAMI, solicitations=[AT_19_58_IN_MIAMI - timedelta(hours=3)])
    consent = {"channel": "sms", "granted": True, "evidence": {"reason": "opted in to texts in ShopMonkey"}}
    return {**recorded, "consent": consent}


def test_the_proof_reads_as_one_line_naming_every_window_the_recipient_the_count_and_the_consent() -> None:
    line = why_allowed(proof())
    assert "the location's window 09:00–20:00 (America/Los_Angeles: 16:58)" in line
    assert "FL-501.059 08:00–20:00 (America/New_York: 19:58)" in line
    assert "recipient in FL, America/New_York (area code 305 (FL))" in line
    assert "solicitation 2 of 3 in 24 h (FL-501.059)" in line
    assert "sms consent given (opted in to texts in ShopMonkey)" in line


def test_the_timeline_says_why_a_sent_text_was_allowed_and_still_reads_an_older_send() -> None:
    sent = {"touch_number": 3, "channel": "sms", "allowed_by": proof()}
    assert sentence("TouchPointSchedule", "TouchSent", sent, "America/Los_Angeles").startswith(
        "Touch 3 sent by text. Allowed by rules "
    )
    older = {"touch_number": 3, "channel": "sms", "allowed_by": None}
    assert (
        sentence("TouchPointSchedule", "TouchSent", older, "America/Los_Angeles") == "Touch 3 sent by text."
    )


def test_a_reminders_proof_says_it_is_no_solicitation_and_waited_for_both_windows() -> None:
    terms = SendingTerms(SendingWindow(time(9), time(20)), "America/Los_Angeles", MIAMI)
    consent = {"channel": "sms", "granted": True, "evidence": {"reason": "opted in to texts in ShopMonkey"}}
    sent = {
        "kind": "reminder",
        "channel": "sms",
        "allowed_by": notice_rules.proof("reminder", terms, AT_19_58_IN_MIAMI, consent=consent),
    }
    line = sentence("Appointment", "NoticeSent", sent, "America/Los_Angeles")
    assert line.startswith("Appointment reminder sent by text. Allowed by rules ")
    assert "appointment reminder: about an appointment the customer made: not a solicitation" in line
    assert "it waited for both windows" in line and "FL-501.059 08:00–20:00 (America/New_York: 19:58)" in line
    assert "solicitation 1 of 3" not in line and "sms consent given" in line
