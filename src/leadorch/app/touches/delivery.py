"""Twilio's delivery reports for our texts: what became of each touch's SMS after Twilio took it.

A report is also proof that Twilio accepted the message, so it settles a touch whose worker died before
recording the send: a claimed or *uncertain* SMS becomes *sent*. Final statuses (delivered, undelivered,
failed, read) are recorded on the touch; an undelivered text to a number that cannot receive SMS
(Twilio 30005 unknown or inactive, 30006 landline or unreachable carrier) disables SMS for the lead's
cadence, as a permanent send failure would.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.app.projections.wiring import wake_projections
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchOutcome, TouchPointSchedule
from leadorch.domain.values import Channel

FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "read"})
KNOWN_STATUSES = FINAL_STATUSES | {"accepted", "scheduled", "queued", "sending", "sent", "canceled"}
UNREACHABLE_NUMBER_CODES = frozenset({"30005", "30006"})


def record_sms_status(
    container: Any,
    *,
    tenant_id: str,
    schedule_id: str,
    touch_number: int,
    message_sid: str,
    status: str,
    error_code: str | None = None,
) -> str:
    """Apply one status callback to its touch; returns what was done (for logs and tests)."""
    store: EventStore = container.store
    status = status.strip().lower()
    if status not in KNOWN_STATUSES:
        return f"ignored unknown status {status!r}"
    if status == "canceled":
        return "ignored: canceled messages were never sent"
    try:
        schedule_uuid = UUID(schedule_id)
    except ValueError:
        return f"ignored: {schedule_id!r} is not a schedule id"
    now = container.clock.now()

    def command() -> tuple[str, list[Any]]:
        schedule = store.load(schedule_uuid, TouchPointSchedule, tenant_id)
        record = schedule.history.get(touch_number)
        if record is None or Channel.SMS not in record.channels:
            return f"ignored: touch {touch_number} has no SMS", []
        outcome = record.outcomes.get(Channel.SMS)
        lead: Lead | None = None
        done = []
        if outcome is None or outcome is TouchOutcome.UNCERTAIN:
            schedule.record_sent(
                touch_number=touch_number, channel=Channel.SMS, provider_message_id=message_sid, now=now
            )
            lead = store.load(UUID(schedule.lead_id), Lead, tenant_id)
            lead.record_contacted(at=now)
            done.append("confirmed sent")
        elif outcome is not TouchOutcome.SENT:
            return f"ignored: the touch's SMS is {outcome}", []
        if status in FINAL_STATUSES:
            schedule.record_delivery(
                touch_number=touch_number, channel=Channel.SMS, status=status, error_code=error_code, now=now
            )
            done.append(f"delivery {status}")
            if status in ("undelivered", "failed") and error_code in UNREACHABLE_NUMBER_CODES:
                reason = f"the number cannot receive texts (Twilio {error_code})"
                schedule.disable_channel(channel=Channel.SMS, reason=reason, now=now)
                done.append("SMS disabled")
        return ", ".join(done) or "nothing to record", [schedule, lead]

    try:
        done = store.decide(command)
    except NotFound:
        return f"ignored: no schedule {schedule_id} for tenant {tenant_id}"
    wake_projections(container)
    return done
