"""The values a schedule's touches are described with: a touch in flight, a touch's record, an outcome.

Kept apart from `schedule.py` (the aggregate and its rules) because the dispatcher, the read models and
the console read these values without needing the aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from leadorch.domain.errors import InvalidValue
from leadorch.domain.values import Channel, parse_channel


class TouchOutcome(StrEnum):
    """What became of one channel of one touch."""

    SENT = "sent"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    UNCERTAIN = "uncertain"
    NOT_SENT = "not_sent"


@dataclass(frozen=True)
class ClaimedTouch:
    """The touch in flight: what the dispatcher must send, and the keys that make each send unique."""

    schedule_id: UUID
    touch_number: int
    channels: frozenset[Channel]
    claim_id: str
    claimed_at: datetime
    allowed_by: dict[str, Any] | None = None
    """The sending rules the claim was checked against (`SendingTerms.proof`); None in older events."""

    def idempotency_key(self, channel: Channel | str) -> str:
        """The key a provider call for `channel` carries: the same for every attempt at this touch."""
        channel = parse_channel(channel)
        if channel not in self.channels:
            raise InvalidValue(
                f"touch {self.touch_number} was claimed for {sorted(self.channels)}, not {channel}"
            )
        return touch_key(self.schedule_id, self.touch_number, channel)


def touch_key(schedule_id: UUID, touch_number: int, channel: Channel) -> str:
    """The idempotency key of touch `touch_number`'s send on `channel`: `{schedule}:{number}:{channel}`."""
    return f"{schedule_id}:{touch_number}:{channel}"


def parse_touch_key(key: str) -> tuple[UUID, int, Channel] | None:
    """The schedule, touch number and channel a `touch_key` names; None for any other string."""
    parts = key.split(":")
    if len(parts) != 3:
        return None
    try:
        return UUID(parts[0]), int(parts[1]), Channel(parts[2])
    except ValueError:
        return None


@dataclass(frozen=True)
class TouchRecord:
    """The history of one touch: when it was claimed, and each channel's outcome."""

    number: int
    channels: frozenset[Channel]
    claimed_at: datetime | None
    outcomes: dict[Channel, TouchOutcome] = field(default_factory=dict)
    provider_message_ids: dict[Channel, str] = field(default_factory=dict)
    completed_at: datetime | None = None
    skipped_reason: str | None = None
    delivery: dict[Channel, str] = field(default_factory=dict)
    """The provider's last delivery report per sent channel (delivered, undelivered…)."""
    resend_claimed: frozenset[Channel] = frozenset()
    """Uncertain channels the provider said it never took, claimed for their one re-send."""

    @property
    def uncertain_channels(self) -> frozenset[Channel]:
        """Channels whose message may or may not have gone out."""
        return frozenset(c for c, outcome in self.outcomes.items() if outcome is TouchOutcome.UNCERTAIN)

    @property
    def pending_channels(self) -> frozenset[Channel]:
        """Claimed channels with no outcome yet."""
        return frozenset(c for c in self.channels if c not in self.outcomes)
