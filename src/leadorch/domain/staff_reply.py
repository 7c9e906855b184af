"""When a staff member may answer a customer, and on which channel.

A staff reply is an answer, not marketing: it is allowed only on a channel the customer wrote on
(their own message is the consent relied on), never on one they opted out of, and only with an address
for it. An answer while the conversation is live (the customer wrote within `LIVE_CONVERSATION`) goes
out at once, as a person at the counter would answer; a later one is a message out of the blue and
keeps the same sending terms as a touch (the location's window and the recipient's legal hours; it is
not a solicitation, so no cap). The web chat is not pushed to the customer's phone (they see it when
they open the page), so no hours apply there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from leadorch.domain.errors import NoSendingTime
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
    if now - require_instant(customer_wrote_at, "customer_wrote_at") <= live or terms is None:
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
