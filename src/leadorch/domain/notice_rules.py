"""Which sending terms an appointment notice meets, and the proof it records with its send.

A notice tells the customer about an appointment they made: its confirmation, a reschedule, a
cancellation, and the reminder the day before. None of them is a solicitation (`sending_rules`: the
FL and OK caps count telephone sales messages; a notice about the customer's own booking is not one),
so the cap neither counts nor holds them. Quiet hours are another matter:

- **A reminder** is ours to time, so it goes only inside the location's window and the recipient's
  legal hours, like a touch.
- **A confirmation, a reschedule notice or a cancellation notice** answers what the customer has just
  done in the chat, at the moment they chose to talk to us; it goes at once. Its proof still records
  both windows as read when it went, so the audit shows a 22:10 confirmation for what it was.

`proof` is the same data a touch's send records (`SendingTerms.proof` plus the consent relied on), with
a `message` part saying what kind of message it was and which of the terms bound it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from leadorch.domain.errors import InvalidValue
from leadorch.domain.sending_terms import SendingTerms

REMINDER = "reminder"
CONFIRMATIONS = {
    "booked": "appointment confirmation",
    "rescheduled": "reschedule notice",
    "cancelled": "cancellation notice",
}
NOTICE_KINDS = (*CONFIRMATIONS, REMINDER)
NOT_A_SOLICITATION = "about an appointment the customer made: not a solicitation, no cap counts it"


def _kind(kind: str) -> str:
    if kind not in NOTICE_KINDS:
        raise InvalidValue(f"unknown notice {kind!r}; expected one of {', '.join(NOTICE_KINDS)}")
    return kind


def held_by_quiet_hours(kind: str) -> bool:
    """Whether notice `kind` waits for both windows (a reminder) or goes at once (a confirmation)."""
    return _kind(kind) == REMINDER


def refusal(kind: str, terms: SendingTerms, at: datetime) -> str:
    """Why notice `kind` may not go at `at` ("" when it may): only a reminder is held, by the windows."""
    return terms.refusal(at) if held_by_quiet_hours(kind) else ""


def proof(
    kind: str, terms: SendingTerms, at: datetime, *, consent: Mapping[str, Any] | None
) -> dict[str, Any]:
    """What allowed notice `kind` at `at`: both windows as read then, the recipient as derived, that the
    cap does not count it, whether quiet hours bound it, and the consent relied on."""
    held = held_by_quiet_hours(kind)
    return {
        **terms.proof(at),  # no solicitations passed: the cap neither counts nor holds a notice
        "message": {
            "kind": kind,
            "label": "appointment reminder" if kind == REMINDER else CONFIRMATIONS[kind],
            "solicitation": False,
            "quiet_hours": "applied" if held else "not held",
            "why": NOT_A_SOLICITATION
            + ("" if held else "; it confirms what the customer just did, so it goes at once"),
        },
        "consent": dict(consent) if consent is not None else None,
    }
