"""Lead use cases: load the lead and its schedule, decide, save both in one transaction.

Every function takes the container, the tenant first, then the lead id (a UUID or its text). A lead of
another tenant, or an id that is not a UUID, is `NotFound`; a command the domain refuses raises its
`DomainError` (e.g. "cannot pause automation: already paused by ana"). Time comes from the container's
clock. Concurrent writers are handled by `EventStore.run` (reload and decide again).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.domain import handoff, ids
from leadorch.domain.auto_reply import AutoReply
from leadorch.domain.errors import InvalidValue
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.values import Channel, parse_channel

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

LOST_REASON = "no response to the whole cadence"
log = logging.getLogger(__name__)


def lead_uuid(lead_id: UUID | str) -> UUID:
    """`lead_id` as a UUID; anything else is a lead that does not exist."""
    if isinstance(lead_id, UUID):
        return lead_id
    try:
        return UUID(str(lead_id))
    except ValueError:
        raise NotFound(f"Lead {lead_id} not found") from None


def load_schedule(store: EventStore, tenant_id: str, lead_id: UUID) -> TouchPointSchedule | None:
    """The lead's touch schedule, or None if it never got one."""
    try:
        return store.load(ids.schedule_id(lead_id), TouchPointSchedule, tenant_id)
    except NotFound:
        return None


def _change(container: Container, tenant_id: str, lead_id: UUID | str, decide: Any) -> None:
    """Load lead + schedule, let `decide(lead, schedule, now)` change them, save both atomically."""
    store: EventStore = container.store
    uuid = lead_uuid(lead_id)
    now = container.clock.now()

    def command() -> list[Aggregate | None]:
        lead = store.load(uuid, Lead, tenant_id)
        schedule = load_schedule(store, tenant_id, uuid)
        decide(lead, schedule, now)
        return [lead, schedule]

    store.run(command)


def record_reply(
    container: Container, tenant_id: str, lead_id: UUID | str, channel: Channel | str, text: str
) -> None:
    """The customer answered (SMS or email): the lead is engaged and its cadence stops."""
    channel = parse_channel(channel)

    def decide(lead: Lead, schedule: TouchPointSchedule | None, now: Any) -> None:
        lead.record_reply(channel=channel, text=text, at=now)
        if schedule is not None:
            schedule.stop(reason=f"the customer replied by {channel}", now=now)

    _change(container, tenant_id, lead_id, decide)


def record_auto_reply(
    container: Container,
    tenant_id: str,
    lead_id: UUID | str,
    channel: Channel | str,
    auto_reply: AutoReply,
    text: str,
) -> None:
    """A machine answered (an out-of-office, a bounce, "I'm driving"): it joins the lead's timeline and
    the cadence goes on; an absence that names the day the customer is back holds the next touch until
    after that day."""
    channel = parse_channel(channel)
    back = auto_reply.returns_on

    def decide(lead: Lead, schedule: TouchPointSchedule | None, now: Any) -> None:
        lead.record_auto_reply(
            channel=channel,
            kind=auto_reply.kind.value,
            sign=auto_reply.sign,
            text=text,
            returns_on=back,
            at=now,
        )
        if schedule is None or back is None:
            return
        try:
            schedule.hold_until(
                day=back, reason=f"the customer's {channel} auto-reply says they are away", now=now
            )
        except InvalidValue as refused:  # the day read on another clock than the schedule's: no hold
            log.info("no hold for lead %s: %s", lead.id, refused)

    _change(container, tenant_id, lead_id, decide)


def opt_out(
    container: Container, tenant_id: str, lead_id: UUID | str, channel: Channel | str, reason: str
) -> None:
    """The customer revoked consent for `channel`; with no channel left the cadence stops. Idempotent."""
    channel = parse_channel(channel)

    def decide(lead: Lead, schedule: TouchPointSchedule | None, now: Any) -> None:
        lead.opt_out(channel=channel, reason=reason, at=now)
        if schedule is not None:
            schedule.disable_channel(channel=channel, reason=f"opted out: {reason}", now=now)
            if not any(lead.can_contact(c) for c in Channel):
                schedule.stop(reason="the customer opted out of every channel", now=now)

    _change(container, tenant_id, lead_id, decide)


def opt_in(
    container: Container,
    tenant_id: str,
    lead_id: UUID | str,
    channel: Channel | str,
    reason: str = "customer opted in",
) -> None:
    """The customer gave consent for `channel` again; a running cadence may use it again. Idempotent.

    A cadence that already stopped (every channel opted out, a reply, a takeover) is not restarted:
    opting back in allows messages, it does not ask for more marketing.
    """
    channel = parse_channel(channel)

    def decide(lead: Lead, schedule: TouchPointSchedule | None, now: Any) -> None:
        lead.opt_in(channel=channel, reason=reason, at=now)
        if schedule is not None and schedule.is_active and lead.can_contact(channel):
            schedule.enable_channel(channel=channel, now=now)

    _change(container, tenant_id, lead_id, decide)


def pause(container: Container, tenant_id: str, lead_id: UUID | str, by: str, reason: str = "") -> None:
    """A person takes over: no automated touch goes out until `resume`."""

    def decide(lead: Lead, schedule: TouchPointSchedule | None, now: Any) -> None:
        lead.pause_automation(by=by, reason=reason, at=now)
        if schedule is not None and schedule.is_active and not schedule.is_paused:
            schedule.pause(by=by, now=now)

    _change(container, tenant_id, lead_id, decide)


def resume(container: Container, tenant_id: str, lead_id: UUID | str, by: str) -> None:
    """Hand the lead back to the automation; the next touch is rescheduled from now (no burst)."""

    def decide(lead: Lead, schedule: TouchPointSchedule | None, now: Any) -> None:
        lead.resume_automation(by=by, at=now)
        if schedule is not None and schedule.is_paused:
            schedule.resume(by=by, now=now)

    _change(container, tenant_id, lead_id, decide)


def hand_to_shop(container: Container, tenant_id: str, lead_id: UUID | str, reason: str) -> None:
    """Shop staff took the lead over: the automation stops for good."""

    def decide(lead: Lead, schedule: TouchPointSchedule | None, now: Any) -> None:
        handoff.hand_to_shop(lead, schedule, reason=reason, at=now)

    _change(container, tenant_id, lead_id, decide)


def mark_lost(container: Container, tenant_id: str, lead_id: UUID | str, reason: str = LOST_REASON) -> None:
    """The cadence ran out with no response: the lead is lost, and its schedule closed."""

    def decide(lead: Lead, schedule: TouchPointSchedule | None, now: Any) -> None:
        lead.mark_lost(reason=reason, at=now)
        if schedule is not None:
            schedule.stop(reason="the lead was marked lost", now=now)

    _change(container, tenant_id, lead_id, decide)
