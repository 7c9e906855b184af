"""SendGrid's Event Webhook received: each event recorded once, and an uncertain email it names settled."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadorch.adapters.sendgrid_events import EmailEvent
from leadorch.app.touches.email_events import EmailEvents
from leadorch.app.touches.settle import settle_email_by_event
from leadorch.domain.schedule import PROVIDER_CONFIRMED_SENT

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventsReceived:
    recorded: int
    """Events new to us (a repeated `sg_event_id` is not recorded again)."""
    settled: int
    """Uncertain emails these events settled as sent."""


def receive_email_events(container: Container, events: list[EmailEvent]) -> EventsReceived:
    """Record `events` (already verified as SendGrid's), then settle the uncertain emails they name."""
    new = EmailEvents(container.db).record(events)
    settled = 0
    for event in new:
        outcome = settle_email_by_event(container, event)
        settled += outcome == PROVIDER_CONFIRMED_SENT
    log.info(
        "SendGrid events: %d received, %d new, %d uncertain emails settled", len(events), len(new), settled
    )
    return EventsReceived(recorded=len(new), settled=settled)
