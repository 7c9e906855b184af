"""When a staff member may answer a customer, and on which channel.

A staff reply is an answer, not marketing: it is allowed only on a channel the customer wrote on
(their own message is the consent relied on), never on one they opted out of, and only with an address
for it. An answer while the conversation is live (the customer wrote within `LIVE_CONVERSATION`) goes
out at once, as a person at the counter would answer; a later one is a message out of the blue and
keeps the same sending terms as a touch (the location's window and the recipient's legal hours; it is
not a solicitation, so no cap). The web chat is not pushed to the customer's phone (they see it when
they open the page), so no hours apply there.

The assistant's answers to a text or an emailed reply keep the same rule (`staff_reply_refusal` is the
one place it is decided), and every answer records its proof (`answer_proof`): that it answers the customer's
own message (not a solicitation, so no cap counts it), whether it went at once because the conversation
was live or waited for both windows, both windows as read when it went, and the consent relied on (the
customer's own message; their marketing consent is recorded beside it, and not needed for an answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from leadorch.domain.errors import InvalidValue, NoSendingTime
from leadorch.domain.instants import require_instant
from leadorch.domain.sending_terms import SendingTerms

LIVE_CONVERSATION = timedelta(minutes=15)


@dataclass(frozen=True)
class ReplyRefusal:
    """Why the reply may not go now; `next_allowed` is when it could (quiet hours), else None."""

    reason: str
    next_allowed: datetime | None = None


def staff_reply_refusal(
    *,
    channel: str,
    customer_wrote_at: datetime | None,
    opted_out: bool,
    has_address: bool,
    terms: SendingTerms | None,
    now: datetime,
    live: timedelta = LIVE_CONVERSATION,
) -> ReplyRefusal | None:
    """None when a staff reply may go on `channel` at `now`; else why not.

    `customer_wrote_at` is the customer's latest message on that channel (None: they never wrote there);
    `terms` the sending terms for the customer (needed for a text or an email).
    """
    now = require_instant(now)
    if customer_wrote_at is None:
        return ReplyRefusal(
            f"the customer has not written by {channel}: a staff reply answers the customer's own message"
        )
    if channel == "chat":
        return None
    if opted_out:
        return ReplyRefusal(f"the customer opted out of {channel}: nothing may be sent to them there")
    if not has_address:
        return ReplyRefusal(f"the lead has no {channel} address to answer to")
    if is_live(customer_wrote_at, now, live) or terms is None:
        return None
    if terms.admits(now):
        return None
    try:
        opens: datetime | None = terms.next_allowed(now)
    except NoSendingTime:
        opens = None
    minutes = int(live.total_seconds() // 60)
    return ReplyRefusal(
        f"quiet hours: the customer last wrote more than {minutes} minutes ago and {terms.refusal(now)} "
        "does not allow a message now",
        opens,
    )


def is_live(customer_wrote_at: datetime, now: datetime, live: timedelta = LIVE_CONVERSATION) -> bool:
    """Whether the conversation is live at `now`: the customer wrote within `live` of it."""
    return require_instant(now) - require_instant(customer_wrote_at, "customer_wrote_at") <= live


ANSWERED_BY = {"assistant": "the assistant's answer", "staff": "a staff reply"}


def answer_proof(
    *,
    by: str,
    channel: str,
    customer_wrote_at: datetime,
    terms: SendingTerms | None,
    now: datetime,
    live: timedelta = LIVE_CONVERSATION,
    marketing_consent: bool,
) -> dict[str, Any]:
    """What allowed an answer (`by` the assistant or staff) on `channel` at `now`, in the shape of a
    touch's proof (`SendingTerms.proof`) with a `message` part: an answer to the customer's own message
    of `customer_wrote_at`, not a solicitation, and whether the windows held it (the conversation was no
    longer live) or it went at once (live). Decided by the same rule as `staff_reply_refusal`."""
    if by not in ANSWERED_BY:
        raise InvalidValue(f"unknown answerer {by!r}; expected one of {', '.join(ANSWERED_BY)}")
    now = require_instant(now)
    wrote = require_instant(customer_wrote_at, "customer_wrote_at")
    minutes = int(live.total_seconds() // 60)
    ago = max(0, int((now - wrote).total_seconds() // 60))
    pushed = channel != "chat" and terms is not None
    live_now = is_live(wrote, now, live)
    if not pushed:
        timing = "shown in the web chat the customer opened: no hours apply there"
    elif live_now:
        timing = (
            f"the customer wrote {ago} min before, within the live conversation's {minutes} minutes, "
            "so it goes at once"
        )
    else:
        timing = f"the customer wrote more than {minutes} minutes before, so it kept both windows"
    return {
        **(terms.proof(now) if pushed and terms is not None else {}),
        "message": {
            "kind": "answer",
            "by": by,
            "label": ANSWERED_BY[by],
            "solicitation": False,
            "quiet_hours": "applied" if pushed and not live_now else "not held",
            "customer_wrote_at": wrote.isoformat(),
            "live_minutes": minutes,
            "why": "it answers the customer's own message: not a solicitation, no cap counts it; " + timing,
        },
        "consent": {
            "channel": channel,
            "granted": True,
            "relied_on": "the customer's own message",
            "marketing_consent": marketing_consent,
            "note": f"relied on the customer's own {channel} message of {wrote.isoformat(timespec='minutes')}",
        },
    }
