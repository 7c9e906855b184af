"""Which customer messages a person at the shop should see even when the assistant answered them.

The assistant hands a conversation over when the customer asks for a person (its hand-off tool, which
alerts the staff itself). A complaint is different: the assistant may answer it politely, but a shop
wants to hear about an unhappy customer from the customer's own words, the same minute. This reads a
message for the signs of one (English and Spanish), leaning towards telling the staff: an alert too
many costs a glance, a complaint missed costs a customer.
"""

from __future__ import annotations

import re
import unicodedata

_COMPLAINT = re.compile(
    r"\b("
    r"complain\w*|complaint|unhappy|disappointed|disappointing|terrible|horrible|awful|worst|"
    r"unacceptable|ridiculous|rude|scam|rip\s?off|ripped off|refund|money back|lawyer|bbb|"
    r"bubbl\w*|peel\w*|not happy|never again|still waiting|no one (?:called|answered)|nobody (?:called|answered)|"
    r"queja|reclamo|reembolso|devoluci[oó]n|p[eé]simo|terrible|molest[oa]|enojad[oa]|decepcionad[oa]"
    r")\b",
    re.IGNORECASE,
)


def complaint_sign(text: str) -> str | None:
    """The words of `text` that read as a complaint (for the alert), else None."""
    if not isinstance(text, str):
        return None
    folded = unicodedata.normalize("NFC", text.replace("\u2019", "'"))
    found = _COMPLAINT.search(folded)
    return found.group(0) if found else None
