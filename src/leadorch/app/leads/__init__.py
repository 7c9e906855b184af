"""The lead use cases every entry point shares: replies, consent, pauses, hand-overs, lost leads.

Each one loads the lead and its touch schedule, applies the business decision to both, and saves them
in ONE transaction, so a reply can never be recorded without its cadence stopping (or the reverse).
"""

from leadorch.app.leads.lookup import (
    LeadMatch,
    find_lead_by_email,
    find_lead_by_phone,
    leads_by_email,
    leads_by_phone,
)
from leadorch.app.leads.use_cases import (
    hand_to_shop,
    mark_lost,
    opt_in,
    opt_out,
    pause,
    record_reply,
    resume,
)

__all__ = [
    "LeadMatch",
    "find_lead_by_email",
    "find_lead_by_phone",
    "hand_to_shop",
    "leads_by_email",
    "leads_by_phone",
    "mark_lost",
    "opt_in",
    "opt_out",
    "pause",
    "record_reply",
    "resume",
]
