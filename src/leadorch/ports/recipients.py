"""The recipient-context port: where the owner of a phone number presumably is (state and time zones).

The sending rules protect the recipient in their own time zone and under their state's law; both laws we
follow presume residency from the area code. The domain takes the answer as data (`RecipientContext`);
how a number is read (numbering-plan data) is an adapter's business.
"""

from __future__ import annotations

from typing import Protocol

from leadorch.domain.sending_rules import RecipientContext


class RecipientLocator(Protocol):
    """Reads a phone number (E.164) into the recipient's presumed state and zones."""

    def context_for(self, phone: str | None) -> RecipientContext:
        """What the number tells; `RecipientContext()` (nothing known) for none, a non-geographic or an
        unreadable number."""
        ...
