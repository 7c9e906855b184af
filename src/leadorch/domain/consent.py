"""Consent on record: whether a channel may carry automated messages, and the evidence it rests on.

A lead's consent per channel is decided at intake from what the shop's CRM holds about the customer,
and the lead keeps *where that came from*: the CRM's own fields and values as they were seen, when the
CRM says the consent was verified, and when we read it. When a shop is asked "why did you text this
number?", that record is the answer; when a number is a landline or was never opted in, it says so.

The rule (`decide_channel_consent`) is the domain's; which CRM fields say what is the adapter's, so the
fields travel here as plain data (`{"phoneNumbers[0].optIn": True, "phoneNumbers[0].type": "Mobile"}`)
and are shown, never interpreted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadorch.domain.errors import InvalidValue
from leadorch.domain.instants import require_instant
from leadorch.domain.values import Channel, parse_channel

# What a field's value may be: the store's codec round-trips these unchanged.
_FIELD_VALUE_TYPES = (str, bool, int, type(None))


@dataclass(frozen=True)
class ConsentEvidence:
    """What a source said about one channel's consent, and what we decided from it.

    `granted` is the decision the domain's rule reached from the source's flags; `fields` are the
    source's own field names and values as seen (data for people, never read by a rule); `verified_at`
    is when the source says the consent was verified, if it says; `observed_at` is when we read it.
    """

    channel: Channel
    granted: bool
    source: str
    reason: str
    observed_at: datetime
    fields: Mapping[str, Any] = field(default_factory=dict)
    verified_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel", parse_channel(self.channel))
        if not isinstance(self.granted, bool):
            raise InvalidValue(f"consent granted must be true or false, not {self.granted!r}")
        for name in ("source", "reason"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InvalidValue(f"consent {name} must be non-empty text, not {value!r}")
        object.__setattr__(self, "observed_at", require_instant(self.observed_at, "observed_at"))
        if self.verified_at is not None:
            object.__setattr__(self, "verified_at", require_instant(self.verified_at, "verified_at"))
        if not isinstance(self.fields, Mapping) or not all(
            isinstance(key, str) and isinstance(value, _FIELD_VALUE_TYPES)
            for key, value in self.fields.items()
        ):
            raise InvalidValue(f"consent fields must map field names to plain values, not {self.fields!r}")
        object.__setattr__(self, "fields", dict(self.fields))

    def says_the_same_as(self, other: ConsentEvidence | None) -> bool:
        """Whether `other` is the same record read again (only when it was read differs)."""
        return other is not None and self.record() == other.record()

    def record(self) -> tuple[Any, ...]:
        return (
            self.channel,
            self.granted,
            self.source,
            self.reason,
            sorted(self.fields.items()),
            self.verified_at,
        )

    def to_data(self) -> dict[str, Any]:
        """The evidence as event data (types the store's codec keeps unchanged)."""
        return {
            "channel": self.channel.value,
            "granted": self.granted,
            "source": self.source,
            "reason": self.reason,
            "fields": dict(self.fields),
            "verified_at": self.verified_at,
            "observed_at": self.observed_at,
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ConsentEvidence:
        return cls(
            channel=Channel(data["channel"]),
            granted=bool(data["granted"]),
            source=data["source"],
            reason=data["reason"],
            fields=dict(data.get("fields") or {}),
            verified_at=data.get("verified_at"),
            observed_at=data["observed_at"],
        )


@dataclass(frozen=True)
class ChannelConsent:
    """The rule's answer for one channel: may it carry automated messages, and why (or why not)."""

    granted: bool
    reason: str


def decide_channel_consent(
    channel: Channel | str,
    *,
    has_address: bool,
    address_flag: bool,
    preferred_contact_method: str | None,
    marketing_opt_in: bool | None,
) -> ChannelConsent:
    """Whether a website quote may be followed up on `channel`, from what the CRM holds.

    - A channel needs an address and that address's own consent flag (never assumed): for email its
      subscription, for texts the number's opt-in, which a landline never has.
    - An explicit "no" to marketing is a "no" to follow-ups on both channels.
    - Texting needs the stronger consent: a customer whose preferred method is "Email" is not texted.
      A preference for "SMS" does not withdraw email, which the customer gave us for exactly this quote
      and can unsubscribe from in one click.
    """
    channel = parse_channel(channel)
    noun = "email address" if channel is Channel.EMAIL else "phone number"
    if not has_address:
        return ChannelConsent(False, f"no usable {noun} on file")
    if marketing_opt_in is False:
        return ChannelConsent(False, "the customer opted out of marketing in the CRM")
    if not address_flag:
        flag = "subscribed" if channel is Channel.EMAIL else "opted in to automatic texts (or is a landline)"
        return ChannelConsent(False, f"the {noun} is not {flag}")
    if channel is Channel.SMS and (preferred_contact_method or "").strip().lower() == "email":
        return ChannelConsent(False, "the customer prefers email")
    flag = "is subscribed" if channel is Channel.EMAIL else "is opted in to automatic texts"
    return ChannelConsent(True, f"the {noun} {flag} in the CRM")
