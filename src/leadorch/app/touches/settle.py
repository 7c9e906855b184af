"""Settling a dead worker's uncertain touch by asking the provider, instead of giving the message up.

When the sweep finds a claim nobody confirmed, the touch is marked uncertain and `settle_uncertain`
is called once per channel the claim left open. Each channel has its own settler (`SETTLERS`, chosen
by the channel), because each provider is asked differently:

- **SMS** (`settle_uncertain_sms`): Twilio is asked whether it took that touch's text since the claim
  (`Messenger.was_sms_accepted`, with the body the dispatch composed: `dispatch.envelope_for` makes
  it the same whenever it is composed). The answer is recorded on the schedule (`ProviderAnswered`,
  which the audit and the timeline show) and counted (`SETTLEMENTS`, by channel and way):
  - confirmed sent: the touch's text is recorded as sent; nothing is sent again;
  - confirmed not sent: the same save claims the text's one re-send, which then goes out as a
    dispatch sends (`dispatch.deliver`, its outcome recorded as any send's). The save is the lock,
    so two settlers never both re-send, and a re-send whose worker dies too stays uncertain;
  - unknown (an outage, no access, another text to the number meanwhile): it stays uncertain, as
    before, and is shown to staff.
- **Email** (`settle_uncertain_email`): SendGrid's Event Webhook events carry the touch's
  idempotency key (`touches/email_events.py` records them). An event for the key means SendGrid took
  the email: confirmed sent. None yet is unknown (on record, shown to staff); the event, when it comes,
  settles it (`settle_email_by_event`). SendGrid cannot say it did *not* take a message, so an email
  is never re-sent blind.

A settler never raises for a provider's sake: a question it cannot ask or that is not answered leaves
the channel uncertain. Each returns a short phrase saying what it did (for logs and tests).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from leadorch.adapters.sendgrid_events import EmailEvent
from leadorch.app.config.errors import ConfigNotFound
from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.observability.metrics import SETTLEMENTS, TOUCHES
from leadorch.app.touches import dispatch
from leadorch.app.touches.compose import sms_for
from leadorch.app.touches.email_events import EmailEvents
from leadorch.app.touches.work_lists import uncertain_emails
from leadorch.domain.errors import UnknownTouch
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import (
    PROVIDER_CONFIRMED_NOT_SENT,
    PROVIDER_CONFIRMED_SENT,
    PROVIDER_UNKNOWN,
    TouchPointSchedule,
)
from leadorch.domain.touches import ClaimedTouch, parse_touch_key, touch_key
from leadorch.domain.values import Channel
from leadorch.ports.messaging import Accepted, NotAccepted, ProviderAnswer, Unknown

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

LEFT_UNCERTAIN = "left uncertain"


class Settler(Protocol):
    """Settles one channel of an uncertain claim; returns what it did."""

    def __call__(
        self,
        container: Container,
        tenant_id: str,
        claimed: ClaimedTouch,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> str: ...


def settle_uncertain(
    container: Container,
    tenant_id: str,
    claimed: ClaimedTouch,
    channel: Channel,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Settle `channel` of the uncertain `claimed` touch with that channel's settler (`SETTLERS`)."""
    settler = SETTLERS.get(channel)
    if settler is None:
        return f"{LEFT_UNCERTAIN}: nothing settles {channel}"
    return settler(container, tenant_id, claimed, sleep=sleep)


def settle_uncertain_sms(
    container: Container,
    tenant_id: str,
    claimed: ClaimedTouch,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Ask the SMS provider about the uncertain text of `claimed` and act on the answer; returns the way."""
    store: EventStore = container.store
    schedule = store.load(claimed.schedule_id, TouchPointSchedule, tenant_id)
    record = schedule.history.get(claimed.touch_number)
    if record is None or Channel.SMS not in record.uncertain_channels or Channel.SMS in record.resend_claimed:
        return "nothing to settle"
    lead = store.load(UUID(schedule.lead_id), Lead, tenant_id)
    answer = _ask_twilio(container, tenant_id, lead, claimed, schedule)
    match answer:
        case Accepted(provider_message_id=message_id):
            way, provider_message_id, reason = PROVIDER_CONFIRMED_SENT, message_id or None, ""
        case NotAccepted():
            way, provider_message_id, reason = PROVIDER_CONFIRMED_NOT_SENT, None, ""
        case Unknown(reason=why):
            way, provider_message_id, reason = PROVIDER_UNKNOWN, None, why

    saved = record_answer(
        container,
        tenant_id,
        claimed.schedule_id,
        claimed.touch_number,
        Channel.SMS,
        way,
        provider_message_id,
        reason,
    )
    if saved is None:
        return "settled meanwhile"
    if way != PROVIDER_CONFIRMED_NOT_SENT:
        return way
    return f"{way}: {_resend(container, tenant_id, claimed, saved, lead, sleep=sleep)}"


def settle_uncertain_email(
    container: Container,
    tenant_id: str,
    claimed: ClaimedTouch,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Settle the uncertain email of `claimed` by what SendGrid's Event Webhook recorded for its key
    (`touches/email_events.py`): an event means SendGrid took it (confirmed sent); none yet is unknown,
    on record, and the event, when it comes, settles it (`settle_email_by_event`). SendGrid cannot be
    asked whether it did *not* take a message, so an email is never re-sent blind."""
    return _settle_email(container, tenant_id, claimed.schedule_id, claimed.touch_number)


def _settle_email(
    container: Container,
    tenant_id: str,
    schedule_id: UUID,
    touch_number: int,
    *,
    after_the_wait: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """An event for the email's key: confirmed sent. None: at the sweep, unknown on record; later
    (`after_the_wait`), once `EMAIL_EVENT_WAIT` has passed since the claim with the webhook set up, SendGrid
    never took it: its one re-send is claimed and sent. Otherwise nothing yet."""
    schedule = container.store.load(schedule_id, TouchPointSchedule, tenant_id)
    record = schedule.history.get(touch_number)
    if (
        record is None
        or Channel.EMAIL not in record.uncertain_channels
        or Channel.EMAIL in record.resend_claimed
    ):
        return "nothing to settle"
    events = EmailEvents(container.db).of_key(touch_key(schedule_id, touch_number, Channel.EMAIL))
    taken = next((event for event in events if event.means_accepted), None)
    waited = record.claimed_at is not None and container.clock.now() - record.claimed_at >= EMAIL_EVENT_WAIT
    if taken is not None:
        way, message_id, reason = PROVIDER_CONFIRMED_SENT, taken.sg_message_id, f"SendGrid: {taken.event}"
    elif not after_the_wait:
        way, message_id, reason = PROVIDER_UNKNOWN, None, "no event from SendGrid for it yet"
    elif waited and container.settings.sendgrid_event_webhook_public_key:
        minutes = int(EMAIL_EVENT_WAIT.total_seconds() // 60)
        way, message_id, reason = PROVIDER_CONFIRMED_NOT_SENT, None, f"no SendGrid event within {minutes} min"
    else:
        return "still waiting for SendGrid's events"
    saved = record_answer(
        container, tenant_id, schedule_id, touch_number, Channel.EMAIL, way, message_id, reason
    )
    if saved is None:
        return "settled meanwhile"
    if way != PROVIDER_CONFIRMED_NOT_SENT:
        return way
    lead = container.store.load(UUID(saved.lead_id), Lead, tenant_id)
    claimed = ClaimedTouch(
        schedule_id=schedule_id,
        touch_number=touch_number,
        channels=record.channels,
        claim_id="re-send",
        claimed_at=record.claimed_at or container.clock.now(),
    )
    return f"{way}: {_resend(container, tenant_id, claimed, saved, lead, channel=Channel.EMAIL, sleep=sleep)}"


EMAIL_EVENT_WAIT = timedelta(minutes=10)
"""How long after its claim an uncertain email waits for SendGrid's events before it counts as never
taken: SendGrid posts `processed` within seconds, and retries a webhook that failed for hours, so a
message it took is on record long before; with no webhook set up nothing is re-sent."""


def settle_waiting_emails(
    container: Container, *, limit: int = 200, sleep: Callable[[float], None] = time.sleep
) -> int:
    """Settle the uncertain emails whose wait for SendGrid's events is over (the periodic job);
    returns how many were settled either way."""
    if not container.settings.sendgrid_event_webhook_public_key:
        return 0
    settled = 0
    before = container.clock.now() - EMAIL_EVENT_WAIT
    for row in uncertain_emails(container.db, claimed_before=before, limit=limit):
        try:
            outcome = _settle_email(
                container,
                row.tenant_id,
                UUID(row.schedule_id),
                row.touch_number,
                after_the_wait=True,
                sleep=sleep,
            )
        except NotFound:
            continue
        settled += outcome.startswith((PROVIDER_CONFIRMED_SENT, PROVIDER_CONFIRMED_NOT_SENT))
    return settled


def settle_email_by_event(container: Container, event: EmailEvent) -> str:
    """An Event Webhook event arrived: if it names an email touch still uncertain, settle it as sent."""
    key = parse_touch_key(event.idempotency_key or "")
    if key is None or key[2] != Channel.EMAIL or not event.tenant_id or not event.means_accepted:
        return "not about an email touch"
    try:
        return _settle_email(container, event.tenant_id, key[0], key[1])
    except NotFound:  # another tenant's key, or a schedule gone: nothing of ours to settle
        return "no such schedule"


def record_answer(
    container: Container,
    tenant_id: str,
    schedule_id: UUID,
    touch_number: int,
    channel: Channel,
    way: str,
    provider_message_id: str | None,
    reason: str,
) -> TouchPointSchedule | None:
    """Save what the provider answered about `channel` of the uncertain touch and count it; the saved
    schedule, or None when it was settled meanwhile (a status callback, a person, another settler)."""
    store: EventStore = container.store

    def command() -> tuple[TouchPointSchedule | None, list[Any]]:
        current = store.load(schedule_id, TouchPointSchedule, tenant_id)
        try:
            current.record_provider_answer(
                touch_number=touch_number,
                channel=channel,
                answer=way,
                now=container.clock.now(),
                provider_message_id=provider_message_id,
                reason=reason,
            )
        except UnknownTouch:
            return None, []
        return current, [current]

    saved = store.decide(command)
    if saved is not None:
        SETTLEMENTS.labels(channel=channel.value, way=way).inc()
        log.info(
            "uncertain %s of touch %d settled by asking the provider: %s%s",
            channel.value,
            touch_number,
            way,
            f" ({reason})" if reason else "",
        )
    return saved


SETTLERS: dict[Channel, Settler] = {
    Channel.SMS: settle_uncertain_sms,
    Channel.EMAIL: settle_uncertain_email,
}
"""The settler of each channel; a channel missing here is left uncertain."""


def _ask_twilio(
    container: Container, tenant_id: str, lead: Lead, claimed: ClaimedTouch, schedule: TouchPointSchedule
) -> ProviderAnswer:
    """Compose the claim's text again and ask the provider whether it took it; never raises."""
    try:
        envelope = dispatch.envelope_for(container, tenant_id, lead, claimed)
        sms = sms_for(envelope, first_text=not dispatch.texted_before(schedule, claimed))
    except Exception as error:  # configuration gone, template broken: cannot ask
        return Unknown(reason=f"the text could not be composed again to ask about it: {error}")
    try:
        return container.messenger.was_sms_accepted(to=sms.to, body=sms.body, since=claimed.claimed_at)
    except Exception as error:  # the port promises an answer; a broken adapter must not stop the sweep
        log.exception("asking the SMS provider about touch %d failed", claimed.touch_number)
        return Unknown(reason=f"the provider could not be asked: {error}")


def _resend(
    container: Container,
    tenant_id: str,
    claimed: ClaimedTouch,
    schedule: TouchPointSchedule,
    lead: Lead,
    *,
    channel: Channel = Channel.SMS,
    sleep: Callable[[float], None],
) -> str:
    """Send the message the provider never took, once; its outcome settles the touch as a send's would."""
    try:
        envelope = dispatch.envelope_for(container, tenant_id, lead, claimed)
    except ConfigNotFound as error:  # nothing was sent: it stays uncertain (claimed) for a person
        log.warning("re-send of touch %d not composed: %s", claimed.touch_number, error)
        return "re-send not composed: it stays uncertain"
    try:
        outcome = dispatch.deliver(
            container,
            envelope,
            channel,
            dispatch.Held(schedule, lead),
            first_text=not dispatch.texted_before(schedule, claimed),
            sleep=sleep,
        )
    except Exception:
        # It may have reached the provider: it stays uncertain (claimed for re-sending) for a person.
        log.exception("re-send of touch %d: unconfirmed", claimed.touch_number)
        TOUCHES.labels(channel=channel.value, outcome="uncertain").inc()
        return "re-send unconfirmed: it stays uncertain"
    TOUCHES.labels(channel=channel.value, outcome=outcome).inc()
    return f"re-sent: {outcome}"
