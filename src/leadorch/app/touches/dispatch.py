"""Dispatching one due touch: claim, save the claim, send on each channel, record each outcome.

The protocol, in the order it runs (`TouchPointSchedule` has the rules):

1. Load the schedule and its lead. Nothing is due (not yet, paused, stopped, or a touch already in
   flight) → return: the job is safe to run any number of times, concurrently too.
2. `claim_next_touch` and SAVE. The save is the lock: of two workers only one wins the optimistic-
   concurrency race; the other reloads, sees the touch in flight and returns.
3. For each claimed channel, in turn: no consent or no address → failed (the channel is disabled);
   demo mode and the recipient not on the tenant's allow-list → suppressed; else render, send with the
   touch's idempotency key (transient provider errors retried a few times with backoff, here), and
   save the outcome right away — sent (and the lead `contacted` at its first send), failed with the
   reason (permanent failures disable the channel; Twilio's 21610 also opts the lead out of SMS).
4. If the process dies between 2 and 3, the claim stays in flight and the touch is not due any more;
   `sweep.sweep_stale_claims` later marks it *uncertain* and `settle.settle_uncertain` asks each
   channel's provider: a text the provider took is recorded sent, one it says it never took is re-sent
   once, and an unanswered question (and, for now, every email) stays uncertain for a provider status
   callback or a person. So a crash can delay a message, never double it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from leadorch.app.config.errors import ConfigNotFound
from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.messages.errors import MessageRenderingError
from leadorch.app.messaging import PROVIDER_FOR_CHANNEL, check_provider_credentials
from leadorch.app.observability.logging import bind
from leadorch.app.observability.metrics import SPEED_TO_LEAD, TOUCHES
from leadorch.app.senders import senders_for
from leadorch.app.touches.circuit_alert import alert_operator_of_refusal
from leadorch.app.touches.claim_workers import ClaimWorkers
from leadorch.app.touches.compose import TouchEnvelope, email_for, sms_for
from leadorch.app.touches.proof import consent_relied_on
from leadorch.app.touches.provider_circuit import open_circuit, paused_providers
from leadorch.app.touches.solicitations import other_solicitations
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.touches import ClaimedTouch, TouchOutcome
from leadorch.domain.values import Channel
from leadorch.ports.messaging import (
    DeliveryUnconfirmed,
    PermanentDeliveryError,
    ProviderRefusedCredentials,
    RecipientOptedOut,
    SenderRefused,
    SendReceipt,
    TransientDeliveryError,
)

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 3
FIRST_RETRY_DELAY_SECONDS = 0.25
# SMS first: it is what reaches a customer fastest (speed to lead).
CHANNEL_ORDER = (Channel.SMS, Channel.EMAIL)


@dataclass
class Held:
    """The schedule and lead as this dispatch last saved or loaded them.

    Recording an outcome starts from these instead of loading both again: if anyone else changed
    either meanwhile (a reply, a status callback), the save loses the optimistic-concurrency race and
    the outcome is recorded on freshly loaded ones instead, so holding them never hides a change.
    """

    schedule: TouchPointSchedule
    lead: Lead
    fresh: bool = True  # False once a save from them failed: load again


@dataclass
class DispatchResult:
    """What one dispatch did: the claimed touch (None if nothing was claimed) and each channel's outcome."""

    touch_number: int | None = None
    outcomes: dict[str, str] = field(default_factory=dict)
    note: str = ""


def dispatch_touch(
    container: Container,
    tenant_id: str,
    schedule_id: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> DispatchResult:
    """Send the schedule's due touch, if any (see the module docstring for the protocol)."""
    store: EventStore = container.store
    try:
        schedule_uuid = UUID(str(schedule_id))
    except ValueError:
        return DispatchResult(note=f"{schedule_id!r} is not a schedule id")
    claim_id = str(uuid4())
    now = container.clock.now()

    held: list[Held] = []
    # One small read per dispatch, empty while all is well; a circuit due for its probe is checked here.
    paused = paused_providers(
        container.db, lambda provider: check_provider_credentials(container.messenger, provider), now=now
    )

    def claim() -> tuple[tuple[ClaimedTouch | None, Lead | None, bool, str, list[str]], list[Any]]:
        held.clear()
        schedule = store.load(schedule_uuid, TouchPointSchedule, tenant_id)
        due = schedule.next_due_at
        if due is None or due > now:
            return (None, None, False, "nothing due", []), []
        lead = store.load(UUID(schedule.lead_id), Lead, tenant_id)
        if lead.stops_cadence:
            # The use cases stop the schedule in the same save as the lead; this heals anything else.
            schedule.stop(reason=f"the lead can no longer be messaged (lead is {lead.status})", now=now)
            return (None, None, False, "the lead stops the cadence", []), [schedule]
        if lead.automation_paused:
            schedule.pause(by=lead.paused_by or "staff", now=now)
            return (None, None, False, "automation is paused for the lead", []), [schedule]
        waiting = _waiting_for(schedule, paused)
        if waiting:
            # Not claimed: the touch stays due and goes out once the provider accepts our key again.
            return (None, None, False, f"waiting: {waiting} refuses our credentials (paused)", []), []
        others: list[Any] = []
        if schedule.terms.cap_rule is not None:  # only a capped recipient needs the other cadences' texts
            others = other_solicitations(
                container, tenant_id=tenant_id, lead_id=str(lead.id), phone=lead.contact.phone, now=now
            )
        claimed = schedule.claim_next_touch(now=now, claim_id=claim_id, other_solicitations=others)
        held.append(Held(schedule, lead))
        note = "" if claimed else "skipped or moved into the sending window"
        skipped = _skipped_channels(schedule)
        return (claimed, lead, texted_before(schedule, claimed), note, skipped), [schedule]

    with bind(tenant_id=tenant_id, schedule_id=schedule_id):
        try:
            claimed, lead, was_texted, note, skipped = store.decide(claim)
        except NotFound:
            return DispatchResult(note=f"no schedule {schedule_id} for tenant {tenant_id}")
        for channel_name in skipped:
            TOUCHES.labels(channel=channel_name, outcome="skipped").inc()
        if claimed is None or lead is None:
            return DispatchResult(note=note)
        _record_worker(container, claimed)
        with bind(lead_id=lead.id, touch=claimed.touch_number):
            result = _send_claimed(
                container,
                tenant_id,
                lead,
                claimed,
                held[0],
                texted_before=was_texted,
                sleep=sleep,
            )
            for channel_name, outcome in result.outcomes.items():
                TOUCHES.labels(channel=channel_name, outcome=outcome).inc()
            log.info(
                "touch %d dispatched: %s",
                claimed.touch_number,
                ", ".join(f"{channel} {outcome}" for channel, outcome in result.outcomes.items()),
            )
        return result


def _record_worker(container: Container, claimed: ClaimedTouch) -> None:
    """Name this worker on its claim (`claim_workers.py`), so the sweep closes it soon if this worker dies.

    Not recorded (a process that runs no worker, a failed write), the claim keeps the sweep's long bound.
    """
    worker_id = container.liveness.worker_id
    if worker_id is None:
        return
    try:
        ClaimWorkers(container.db).record(claimed.claim_id, worker_id, claimed_at=claimed.claimed_at)
    except Exception:
        log.warning("claim %s: its worker was not recorded", claimed.claim_id, exc_info=True)


def _send_claimed(
    container: Container,
    tenant_id: str,
    lead: Lead,
    claimed: ClaimedTouch,
    held: Held,
    *,
    texted_before: bool,
    sleep: Callable[[float], None],
) -> DispatchResult:
    """Send each claimed channel in turn and record its outcome (steps 3 and 4 of the protocol)."""
    schedule_id = str(claimed.schedule_id)
    result = DispatchResult(touch_number=claimed.touch_number)
    try:
        envelope = envelope_for(container, tenant_id, lead, claimed)
    except ConfigNotFound as error:
        for channel in sorted(claimed.channels, key=CHANNEL_ORDER.index):
            result.outcomes[channel.value] = _fail(
                container, tenant_id, claimed, channel, f"not sent: {error}", retriable=True, held=held
            )
        return result
    for channel in sorted(claimed.channels, key=CHANNEL_ORDER.index):
        try:
            outcome = deliver(container, envelope, channel, held, first_text=not texted_before, sleep=sleep)
        except DeliveryUnconfirmed as error:
            # The provider may have taken it: never re-sent automatically; a callback or a person settles it.
            log.warning(
                "touch %s of schedule %s: %s unconfirmed: %s",
                claimed.touch_number,
                schedule_id,
                channel,
                error,
            )
            _mark_uncertain(container, tenant_id, claimed, held)
            result.outcomes[channel.value] = TouchOutcome.UNCERTAIN.value
            break
        except Exception:
            # Unknown whether the provider took it: only a person or a status callback may settle it.
            log.exception(
                "touch %s of schedule %s: unexpected error sending %s",
                claimed.touch_number,
                schedule_id,
                channel,
            )
            _mark_uncertain(container, tenant_id, claimed, held)
            result.outcomes[channel.value] = TouchOutcome.UNCERTAIN.value
            break
        first_answer = claimed.touch_number == 1 and TouchOutcome.SENT.value not in result.outcomes.values()
        result.outcomes[channel.value] = outcome
        if first_answer and outcome == TouchOutcome.SENT.value:
            _observe_speed_to_lead(container, lead)
    return result


def _waiting_for(schedule: TouchPointSchedule, paused: set[str]) -> str:
    """The paused providers the schedule's next touch would go through ("" when none)."""
    if not paused or schedule.next_touch_number is None:
        return ""
    channels = schedule.plan.touch(schedule.next_touch_number).channels & schedule.enabled_channels
    return ", ".join(sorted({PROVIDER_FOR_CHANNEL[str(c)] for c in channels} & paused))


def _observe_speed_to_lead(container: Container, lead: Lead) -> None:
    """Touch 1's first channel a provider accepted: how long the customer waited for our first answer."""
    SPEED_TO_LEAD.observe(max(0.0, (container.clock.now() - lead.received_at).total_seconds()))


def _skipped_channels(schedule: TouchPointSchedule) -> list[str]:
    """The planned channels of a touch this claim skipped (none of them is still allowed)."""
    for event in schedule.pending_events:
        if isinstance(event, TouchPointSchedule.TouchSkipped):
            return sorted(channel.value for channel in schedule.plan.touch(event.touch_number).channels)
    return []


def deliver(
    container: Container,
    envelope: TouchEnvelope,
    channel: Channel,
    held: Held,
    *,
    first_text: bool,
    sleep: Callable[[float], None],
) -> str:
    """Send one channel of the claimed touch and save its outcome; returns the outcome's name.

    A channel the sweep left uncertain may be sent this way too (the settler's one re-send, when the
    provider said it never took it): its outcome then resolves the uncertain channel. Raises
    `DeliveryUnconfirmed` (or anything unexpected) when it cannot tell whether the provider took it.
    """
    lead, claimed, tenant = envelope.lead, envelope.claimed, envelope.tenant
    touch = claimed.touch_number
    schedule_uuid = claimed.schedule_id

    def failed(reason: str, *, retriable: bool) -> str:
        return _fail(container, tenant.tenant_id, claimed, channel, reason, retriable=retriable, held=held)

    address = lead.contact.address_for(channel)
    if address is None or not lead.can_contact(channel):
        return failed(f"no consent or no {channel} address for this lead", retriable=False)
    if not tenant.may_message(address):
        reason = f"demo mode: {address} is not on the tenant's allow-list"
        _record(
            container,
            tenant.tenant_id,
            schedule_uuid,
            lambda s, _l, at: s.record_suppressed(touch_number=touch, channel=channel, reason=reason, now=at),
            held=held,
        )
        return TouchOutcome.SUPPRESSED.value
    messenger = container.messenger
    try:
        if channel is Channel.EMAIL:
            email = email_for(envelope)
            send: Callable[[], SendReceipt] = lambda: messenger.send_email(email)  # noqa: E731
        else:
            sms = sms_for(envelope, first_text=first_text)
            send = lambda: messenger.send_sms(sms)  # noqa: E731
    except MessageRenderingError as error:
        # The template is at fault, not the address: the channel stays enabled for the next touches.
        return failed(f"message could not be rendered: {error}", retriable=True)
    try:
        receipt = send_with_retry(send, sleep=sleep)
    except RecipientOptedOut as error:
        reason = f"the provider reports the recipient unsubscribed: {error}"

        def opted_out(schedule: TouchPointSchedule, lead: Lead, at: Any) -> None:
            schedule.record_failed(
                touch_number=touch, channel=channel, reason=reason, retriable=False, now=at
            )
            lead.opt_out(channel=channel, reason=reason, at=at)

        _record(container, tenant.tenant_id, schedule_uuid, opted_out, with_lead=True, held=held)
        return TouchOutcome.FAILED.value
    except ProviderRefusedCredentials as error:
        # Our key, not the customer's address: the channel stays enabled, the provider is paused.
        circuit = open_circuit(container.db, error.provider, str(error), now=container.clock.now())
        if circuit.opened:
            alert_operator_of_refusal(container, error.provider, str(error), until=circuit.until)
        return failed(f"not sent: {error}", retriable=True)
    except SenderRefused as error:  # our configuration, not the recipient's: the channel stays enabled
        return failed(f"not sent: {error}", retriable=True)
    except PermanentDeliveryError as error:
        return failed(str(error), retriable=False)
    except TransientDeliveryError as error:
        return failed(f"gave up after {SEND_ATTEMPTS} attempts: {error}", retriable=True)
    except ValueError as error:  # e.g. no SMS sender number configured: nothing was sent
        return failed(f"not sent: {error}", retriable=True)
    message_id = receipt.provider_message_id or f"{receipt.provider}:{claimed.idempotency_key(channel)}"

    def sent(schedule: TouchPointSchedule, lead: Lead, at: Any) -> None:
        schedule.record_sent(
            touch_number=touch,
            channel=channel,
            provider_message_id=message_id,
            now=at,
            consent=consent_relied_on(lead, channel),
        )
        lead.record_contacted(at=at)

    _record(container, tenant.tenant_id, schedule_uuid, sent, with_lead=True, held=held)
    return TouchOutcome.SENT.value


def send_with_retry(
    send: Callable[[], SendReceipt],
    *,
    attempts: int = SEND_ATTEMPTS,
    first_delay: float = FIRST_RETRY_DELAY_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReceipt:
    """`send()`, retried after a `TransientDeliveryError` with doubling delays, at most `attempts` times.

    A provider that answered 5xx or 429 did not take the message, so trying again cannot double it.
    """
    for attempt in range(attempts):
        try:
            return send()
        except TransientDeliveryError:
            if attempt == attempts - 1:
                raise
            sleep(first_delay * (2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def _record(
    container: Container,
    tenant_id: str,
    schedule_uuid: UUID,
    change: Callable[[TouchPointSchedule, Lead, Any], None],
    *,
    with_lead: bool = False,
    held: Held | None = None,
) -> None:
    """Save one outcome, retrying lost concurrency races on freshly loaded aggregates.

    The first attempt starts from `held` (what this dispatch last saved) when it is still fresh; after
    the save, `held` is what was saved, ready for the next channel's outcome.
    """
    store: EventStore = container.store

    def command() -> list[Any]:
        if held is not None and held.fresh:
            held.fresh = False  # until this save succeeds
            schedule, lead = held.schedule, held.lead
        else:
            schedule = store.load(schedule_uuid, TouchPointSchedule, tenant_id)
            lead = store.load(UUID(schedule.lead_id), Lead, tenant_id)
        change(schedule, lead, container.clock.now())
        if held is not None:
            held.schedule, held.lead = schedule, lead
        return [schedule, lead if with_lead else None]

    store.run(command, attempts=8)
    if held is not None:
        held.fresh = True


def envelope_for(container: Container, tenant_id: str, lead: Lead, claimed: ClaimedTouch) -> TouchEnvelope:
    """What the claimed touch's messages are made of (tenant, location, lead, senders, links).

    Its `now` is the claim's time, not the clock's: the messages of a claim are then the same whenever
    they are composed (the signed links' expiry is part of the body), which is what lets a settler
    (`settle.py`) compose a dead worker's text again and ask the provider whether it took exactly that.
    Raises `ConfigNotFound` when the tenant or location is gone.
    """
    config = container.config
    location = config.location(tenant_id, lead.location_id)
    return TouchEnvelope(
        tenant=config.tenant(tenant_id),
        location=location,
        lead=lead,
        claimed=claimed,
        links=container.links,
        now=claimed.claimed_at,
        senders=senders_for(location, container.settings),
    )


def texted_before(schedule: TouchPointSchedule, claimed: ClaimedTouch | None) -> bool:
    """Whether an earlier touch of this schedule may have reached the customer by SMS.

    Decides whether a text carries the opt-out notice (a lead's first one does); the settler asks it
    too, so that the text it composes again is the one the dispatch sent.
    """
    if claimed is None:
        return False
    reached = (TouchOutcome.SENT, TouchOutcome.UNCERTAIN)
    return any(
        record.outcomes.get(Channel.SMS) in reached
        for record in schedule.touches
        if record.number < claimed.touch_number
    )


def _mark_uncertain(container: Container, tenant_id: str, claimed: ClaimedTouch, held: Held) -> None:
    touch = claimed.touch_number
    _record(
        container,
        tenant_id,
        claimed.schedule_id,
        lambda s, _l, at: s.mark_uncertain(touch_number=touch, now=at),
        held=held,
    )


def _fail(
    container: Container,
    tenant_id: str,
    claimed: ClaimedTouch,
    channel: Channel,
    reason: str,
    *,
    retriable: bool,
    held: Held | None = None,
) -> str:
    touch = claimed.touch_number
    _record(
        container,
        tenant_id,
        claimed.schedule_id,
        lambda s, _l, at: s.record_failed(
            touch_number=touch, channel=channel, reason=reason, retriable=retriable, now=at
        ),
        held=held,
    )
    return TouchOutcome.FAILED.value
