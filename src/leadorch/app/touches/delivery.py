"""Delivery reports for our texts: what became of each touch's SMS after the provider took it.

A report is also proof that the provider accepted the message, so it settles a touch whose worker died
before recording the send: a claimed or *uncertain* SMS becomes *sent*. A journey's end (delivered,
undelivered, failed, read) is recorded on the touch; a report that the number can never receive texts
(the adapter decides which of its provider's error codes mean that) disables SMS for the lead's cadence,
as a permanent send failure would.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from leadorch.app.eventstore.store import EventStore, NotFound
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.touches import TouchOutcome
from leadorch.domain.values import Channel
from leadorch.ports.messaging import SmsDeliveryReport

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container


def record_sms_status(
    container: Container,
    *,
    tenant_id: str,
    schedule_id: str,
    touch_number: int,
    report: SmsDeliveryReport,
) -> str:
    """Apply one delivery report to its touch; returns what was done (for logs and tests)."""
    store: EventStore = container.store
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
                touch_number=touch_number,
                channel=Channel.SMS,
                provider_message_id=report.message_id,
                now=now,
            )
            lead = store.load(UUID(schedule.lead_id), Lead, tenant_id)
            lead.record_contacted(at=now)
            done.append("confirmed sent")
        elif outcome is not TouchOutcome.SENT:
            return f"ignored: the touch's SMS is {outcome}", []
        if report.fate is not None:
            schedule.record_delivery(
                touch_number=touch_number,
                channel=Channel.SMS,
                status=report.fate.value,
                error_code=report.error_code,
                now=now,
            )
            done.append(f"delivery {report.fate.value}")
            if report.number_unreachable:
                reason = report.reason or "the number cannot receive texts"
                schedule.disable_channel(channel=Channel.SMS, reason=reason, now=now)
                done.append("SMS disabled")
        return ", ".join(done) or "nothing to record", [schedule, lead]

    try:
        done = store.decide(command)
    except NotFound:
        return f"ignored: no schedule {schedule_id} for tenant {tenant_id}"
    return done
