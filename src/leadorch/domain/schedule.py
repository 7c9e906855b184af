"""The TouchPointSchedule aggregate: which touch of a lead's cadence is due, in flight, or done.

Dispatch protocol (at most one touch in flight, never sent twice by us):

1. A worker calls `claim_next_touch(now=, claim_id=)` once `next_due_at` has passed and saves the
   schedule. The save is the lock: a second worker loses on optimistic concurrency. The claim names
   the channels still allowed for that touch; a touch whose channels were all disabled is recorded as
   `TouchSkipped` instead, and a claim made outside the sending window moves the touch to the next
   allowed moment (`TouchRescheduled`).
2. It sends on each claimed channel with `ClaimedTouch.idempotency_key(channel)` and records the final
   outcome per channel: `record_sent`, `record_failed` (retries belong to the worker; `retriable=False`
   means the address is bad, which also disables the channel) or `record_suppressed` (demo mode).
3. When every claimed channel has an outcome the touch is `TouchCompleted`, carrying the next touch's
   due time; after the last one, `Finished`.
4. A claim nobody confirmed (the worker died mid-send) is `mark_uncertain`: it completes the touch but
   is never claimed again, since the message may have gone out. A person, or a late provider
   confirmation, resolves it with `resolve_uncertain`. Asked, the provider answers it
   (`record_provider_answer`): confirmed sent resolves it; confirmed not sent claims its one re-send
   (whose outcome is then recorded as any send's); unknown leaves it uncertain for a person.

Due times follow `cadence.due_time`. A touch found overdue when the next one is planned (after a pause
or an outage) shifts the rest of the plan by the whole days missed and is due no earlier than now, so
a backlog never goes out as a burst. An out-of-office that names the day its writer is back holds the
cadence (`hold_until`, event `Held`) the same way: the plan shifts by whole days so that the next touch
falls after that day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate

from leadorch.domain import ids
from leadorch.domain.cadence import SendingWindow, TouchPlan
from leadorch.domain.errors import (
    IllegalTransition,
    InvalidValue,
    NoSendingTime,
    ScheduleStopped,
    TouchAlreadyClaimed,
    TouchNotDue,
    UnknownTouch,
)
from leadorch.domain.instants import require_instant, wall_clock, zone
from leadorch.domain.return_date import MAX_DAYS_AHEAD as MAX_HOLD_DAYS
from leadorch.domain.sending_rules import UNKNOWN_RECIPIENT, RecipientContext
from leadorch.domain.sending_terms import SendingTerms
from leadorch.domain.tenancy import TenantAggregate
from leadorch.domain.touch_timing import due_time
from leadorch.domain.touches import ClaimedTouch, TouchOutcome, TouchRecord
from leadorch.domain.values import Channel, parse_channel

DEFAULT_LOST_GRACE = timedelta(hours=24)


def _text(value: str, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidValue(f"{name} must be non-empty text, not {value!r}")
    return value


def _with_outcome(record: TouchRecord, channels: list[str], outcome: TouchOutcome) -> TouchRecord:
    return replace(record, outcomes={**record.outcomes, **{Channel(c): outcome for c in channels}})


PROVIDER_CONFIRMED_SENT = "confirmed_sent"
PROVIDER_CONFIRMED_NOT_SENT = "confirmed_not_sent"
PROVIDER_UNKNOWN = "unknown"
PROVIDER_ANSWERS = frozenset({PROVIDER_CONFIRMED_SENT, PROVIDER_CONFIRMED_NOT_SENT, PROVIDER_UNKNOWN})


class TouchPointSchedule(TenantAggregate):
    """The cadence of one lead: the plan, the window, which channels are allowed, and every touch so far."""

    class Started(Aggregate.Created):
        # Version 1 had no `recipient`: such schedules read as "nothing known about the number" (the
        # federal hours in the location's zone), which is what they were planned with.
        class_version = 2

        tenant_id: str
        lead_id: str
        location_id: str
        plan: list[dict[str, Any]]
        window: dict[str, Any]
        time_zone: str
        email_ok: bool
        sms_ok: bool
        anchor_at: datetime
        next_due_at: datetime
        shift_days: int
        recipient: dict[str, Any] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.setdefault("recipient", None)

        def apply(self, aggregate: TouchPointSchedule) -> None:
            aggregate.tenant_id = self.tenant_id
            aggregate.recipient = RecipientContext.from_data(self.recipient)
            aggregate.lead_id = self.lead_id
            aggregate.location_id = self.location_id
            aggregate.plan = TouchPlan.from_data(self.plan)
            aggregate.window = SendingWindow.from_data(self.window)
            aggregate.time_zone = self.time_zone
            aggregate.anchor_at = self.anchor_at
            aggregate.enabled_channels = frozenset(
                channel for channel, ok in ((Channel.EMAIL, self.email_ok), (Channel.SMS, self.sms_ok)) if ok
            )
            aggregate.next_touch_number = 1
            aggregate.due_at = self.next_due_at
            aggregate.shift_days = self.shift_days
            aggregate.claimed = None
            aggregate.history = {}
            aggregate.last_touch_local_date = None
            aggregate.paused_by = None
            aggregate.stop_reason = None
            aggregate.stopped_at = None
            aggregate.finished_at = None
            aggregate.sent_count = 0

    class TouchClaimed(TenantAggregate.Event):
        # Version 1 had no `allowed_by` (the proof of the sending rules it was claimed under).
        class_version = 2

        touch_number: int
        channels: list[str]
        claim_id: str
        allowed_by: dict[str, Any] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.setdefault("allowed_by", None)

        def apply(self, aggregate: TouchPointSchedule) -> None:
            channels = frozenset(Channel(c) for c in self.channels)
            aggregate.claimed = ClaimedTouch(
                aggregate.id, self.touch_number, channels, self.claim_id, self.timestamp, self.allowed_by
            )
            aggregate.history = {
                **aggregate.history,
                self.touch_number: TouchRecord(self.touch_number, channels, claimed_at=self.timestamp),
            }

    class TouchSent(TenantAggregate.Event):
        # Version 1 had no `allowed_by`: the proof a message was allowed (the claim's sending rules and
        # the consent relied on), recorded with the send so the audit can answer for every message.
        class_version = 2

        touch_number: int
        channel: str
        provider_message_id: str
        allowed_by: dict[str, Any] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.setdefault("allowed_by", None)

        def apply(self, aggregate: TouchPointSchedule) -> None:
            record = _with_outcome(aggregate.history[self.touch_number], [self.channel], TouchOutcome.SENT)
            record = replace(
                record,
                provider_message_ids={
                    **record.provider_message_ids,
                    Channel(self.channel): self.provider_message_id,
                },
            )
            aggregate.history = {**aggregate.history, self.touch_number: record}
            aggregate.sent_count += 1

    class TouchFailed(TenantAggregate.Event):
        touch_number: int
        channel: str
        reason: str
        retriable: bool

        def apply(self, aggregate: TouchPointSchedule) -> None:
            record = _with_outcome(aggregate.history[self.touch_number], [self.channel], TouchOutcome.FAILED)
            aggregate.history = {**aggregate.history, self.touch_number: record}

    class TouchSuppressed(TenantAggregate.Event):
        touch_number: int
        channel: str
        reason: str

        def apply(self, aggregate: TouchPointSchedule) -> None:
            record = _with_outcome(
                aggregate.history[self.touch_number], [self.channel], TouchOutcome.SUPPRESSED
            )
            aggregate.history = {**aggregate.history, self.touch_number: record}

    class TouchUncertain(TenantAggregate.Event):
        touch_number: int
        channels: list[str]

        def apply(self, aggregate: TouchPointSchedule) -> None:
            record = _with_outcome(
                aggregate.history[self.touch_number], self.channels, TouchOutcome.UNCERTAIN
            )
            aggregate.history = {**aggregate.history, self.touch_number: record}

    class UncertainTouchResolved(TenantAggregate.Event):
        touch_number: int
        channels: list[str]
        outcome: str
        by: str

        def apply(self, aggregate: TouchPointSchedule) -> None:
            sent = self.outcome == TouchOutcome.SENT
            outcome = TouchOutcome.SENT if sent else TouchOutcome.NOT_SENT
            record = _with_outcome(aggregate.history[self.touch_number], self.channels, outcome)
            aggregate.history = {**aggregate.history, self.touch_number: record}
            if sent:
                aggregate.sent_count += len(self.channels)

    class ProviderAnswered(TenantAggregate.Event):
        """The provider was asked whether it took an uncertain touch's message, and answered `answer`."""

        touch_number: int
        channel: str
        answer: str
        provider_message_id: str | None
        reason: str

        def apply(self, aggregate: TouchPointSchedule) -> None:
            if self.answer != PROVIDER_CONFIRMED_NOT_SENT:
                return
            record = aggregate.history[self.touch_number]
            resend = record.resend_claimed | {Channel(self.channel)}
            aggregate.history = {
                **aggregate.history,
                self.touch_number: replace(record, resend_claimed=resend),
            }

    class TouchSkipped(TenantAggregate.Event):
        touch_number: int
        reason: str
        next_touch_number: int | None
        next_due_at: datetime | None
        shift_days: int

        def apply(self, aggregate: TouchPointSchedule) -> None:
            skipped = TouchRecord(
                self.touch_number,
                frozenset(),
                claimed_at=None,
                completed_at=self.timestamp,
                skipped_reason=self.reason,
            )
            aggregate.history = {**aggregate.history, self.touch_number: skipped}
            aggregate.next_touch_number = self.next_touch_number
            aggregate.due_at = self.next_due_at
            aggregate.shift_days = self.shift_days

    class TouchCompleted(TenantAggregate.Event):
        touch_number: int
        next_touch_number: int | None
        next_due_at: datetime | None
        shift_days: int

        def apply(self, aggregate: TouchPointSchedule) -> None:
            record = replace(aggregate.history[self.touch_number], completed_at=self.timestamp)
            aggregate.history = {**aggregate.history, self.touch_number: record}
            if record.claimed_at is not None:
                aggregate.last_touch_local_date = aggregate.local_date(record.claimed_at)
            aggregate.claimed = None
            aggregate.next_touch_number = self.next_touch_number
            aggregate.due_at = self.next_due_at
            aggregate.shift_days = self.shift_days

    class TouchRescheduled(TenantAggregate.Event):
        touch_number: int
        next_due_at: datetime
        reason: str

        def apply(self, aggregate: TouchPointSchedule) -> None:
            aggregate.due_at = self.next_due_at

    class ChannelDisabled(TenantAggregate.Event):
        channel: str
        reason: str

        def apply(self, aggregate: TouchPointSchedule) -> None:
            aggregate.enabled_channels = aggregate.enabled_channels - {Channel(self.channel)}

    class ChannelEnabled(TenantAggregate.Event):
        channel: str

        def apply(self, aggregate: TouchPointSchedule) -> None:
            aggregate.enabled_channels = aggregate.enabled_channels | {Channel(self.channel)}

    class Paused(TenantAggregate.Event):
        by: str

        def apply(self, aggregate: TouchPointSchedule) -> None:
            aggregate.paused_by = self.by

    class Resumed(TenantAggregate.Event):
        by: str
        next_due_at: datetime | None
        shift_days: int

        def apply(self, aggregate: TouchPointSchedule) -> None:
            aggregate.paused_by = None
            if self.next_due_at is not None:
                aggregate.due_at = self.next_due_at
            aggregate.shift_days = self.shift_days

    class Held(TenantAggregate.Event):
        """The next touch waits until after `until` (the customer's out-of-office named that day):
        the rest of the plan moves by the same days (`shift_days`), in order, one touch a day."""

        until: str
        reason: str
        touch_number: int
        next_due_at: datetime | None
        shift_days: int

        def apply(self, aggregate: TouchPointSchedule) -> None:
            aggregate.shift_days = self.shift_days
            if self.next_due_at is not None:
                aggregate.due_at = self.next_due_at

    class RecipientChanged(TenantAggregate.Event):
        """The customer's number changed, and with it where they presumably are (`recipient`: the state
        and zones the legal hours and cap are read by). The next touch is planned again under the new
        terms (`next_due_at`; None while a touch is in flight or the cadence is paused: it is planned
        when that touch completes, or on resume, by the new terms)."""

        recipient: dict[str, Any]
        reason: str
        next_due_at: datetime | None
        shift_days: int

        def apply(self, aggregate: TouchPointSchedule) -> None:
            aggregate.recipient = RecipientContext.from_data(self.recipient)
            aggregate.shift_days = self.shift_days
            if self.next_due_at is not None:
                aggregate.due_at = self.next_due_at

    class SendingTermsChanged(TenantAggregate.Event):
        """The location's side of the sending terms changed under a running cadence: the operator edited
        the location's sending window or time zone, or the CRM moved the lead to another location
        (`location_id`, `window`, `time_zone`: what every later touch is planned and claimed by). The
        next touch is planned again by them (`next_due_at`; None while a touch is in flight or the
        cadence is paused: it is planned when that touch completes, or on resume, by the new terms)."""

        location_id: str
        window: dict[str, Any]
        time_zone: str
        reason: str
        next_due_at: datetime | None
        shift_days: int

        def apply(self, aggregate: TouchPointSchedule) -> None:
            aggregate.location_id = self.location_id
            aggregate.window = SendingWindow.from_data(self.window)
            aggregate.time_zone = self.time_zone
            # "one touch per local day" is read on the location's clocks: the new zone's, from now on
            aggregate.last_touch_local_date = _last_touch_date(aggregate.history, self.time_zone)
            aggregate.shift_days = self.shift_days
            if self.next_due_at is not None:
                aggregate.due_at = self.next_due_at

    class Stopped(TenantAggregate.Event):
        reason: str

        def apply(self, aggregate: TouchPointSchedule) -> None:
            aggregate.stop_reason = self.reason
            aggregate.stopped_at = self.timestamp

    class Finished(TenantAggregate.Event):
        def apply(self, aggregate: TouchPointSchedule) -> None:
            aggregate.finished_at = self.timestamp

    class TouchDeliveryReported(TenantAggregate.Event):
        """The provider reported what became of a sent message (added for delivery status callbacks)."""

        touch_number: int
        channel: str
        status: str
        error_code: str | None

        def apply(self, aggregate: TouchPointSchedule) -> None:
            record = aggregate.history[self.touch_number]
            record = replace(record, delivery={**record.delivery, Channel(self.channel): self.status})
            aggregate.history = {**aggregate.history, self.touch_number: record}

    tenant_id: str
    lead_id: str
    location_id: str
    plan: TouchPlan
    window: SendingWindow
    time_zone: str
    recipient: RecipientContext
    anchor_at: datetime
    enabled_channels: frozenset[Channel]
    next_touch_number: int | None
    due_at: datetime | None
    shift_days: int
    claimed: ClaimedTouch | None
    history: dict[int, TouchRecord]
    last_touch_local_date: date | None
    paused_by: str | None
    stop_reason: str | None
    stopped_at: datetime | None
    finished_at: datetime | None
    sent_count: int

    def __init__(self) -> None:
        """State is set by `Started.apply`, so recording and replaying share one path."""

    # ----------------------------------------------------------------------------------- creation

    @classmethod
    def start(
        cls,
        *,
        tenant_id: str,
        lead_id: str,
        location_id: str,
        plan: TouchPlan,
        window: SendingWindow,
        time_zone: str,
        email_ok: bool,
        sms_ok: bool,
        at: datetime,
        anchor: datetime | None = None,
        recipient: RecipientContext = UNKNOWN_RECIPIENT,
    ) -> TouchPointSchedule:
        """The schedule of lead `lead_id`, counting days from `anchor` (the lead's arrival; default `at`).

        `recipient` is where the customer's number presumably is: their legal hours are planned around.
        Its id is `ids.schedule_id(lead_id)`, so a lead can never get two schedules.
        """
        at = require_instant(at)
        anchor_at = require_instant(anchor, "anchor") if anchor is not None else at
        if not isinstance(plan, TouchPlan):
            raise InvalidValue(f"plan must be a TouchPlan, not {type(plan).__name__}")
        if not isinstance(window, SendingWindow):
            raise InvalidValue(f"window must be a SendingWindow, not {type(window).__name__}")
        tz = zone(time_zone)
        if not isinstance(recipient, RecipientContext):
            raise InvalidValue(f"recipient must be a RecipientContext, not {type(recipient).__name__}")
        if not (email_ok or sms_ok):
            raise IllegalTransition("cannot start a touch schedule: the lead can be reached on no channel")
        terms = SendingTerms(window, tz.key, recipient)
        shift, no_meeting = 0, None
        try:
            first = due_time(plan.touch(1), anchor_at, None, terms)
            if first < at:
                first, shift = _catch_up(plan, 1, anchor_at, None, terms, 0, at)
        except NoSendingTime as error:
            first, no_meeting = at, error
        schedule = cls._create(
            cls.Started,
            id=ids.schedule_id(lead_id),
            timestamp=at,
            tenant_id=_text(tenant_id, "tenant_id"),
            lead_id=str(lead_id),
            location_id=_text(location_id, "location_id"),
            plan=plan.to_data(),
            window=window.to_data(),
            time_zone=tz.key,
            email_ok=bool(email_ok),
            sms_ok=bool(sms_ok),
            anchor_at=anchor_at,
            next_due_at=first,
            shift_days=shift,
            recipient=recipient.to_data(),
        )
        if no_meeting is not None:
            schedule._stop_for(no_meeting, at)
        return schedule

    # --------------------------------------------------------------------------------- properties

    @property
    def terms(self) -> SendingTerms:
        """What every message of this cadence must meet: the location's window and the recipient's law."""
        return SendingTerms(self.window, self.time_zone, self.recipient)

    def solicitations(self) -> list[datetime]:
        """When this cadence texted the number (claims whose SMS went out, may have, or is in flight).

        The cap counts texts to the number; an email-only touch is not sent to it.
        """
        reached = (TouchOutcome.SENT, TouchOutcome.UNCERTAIN)
        return [
            record.claimed_at
            for record in self.touches
            if record.claimed_at is not None
            and Channel.SMS in record.channels
            and (record.outcomes.get(Channel.SMS, TouchOutcome.UNCERTAIN) in reached)
        ]

    def _counted(self, number: int, others: Sequence[datetime]) -> list[datetime] | None:
        """The solicitations the cap counts for touch `number`, or None when it sends no text."""
        if Channel.SMS not in self.plan.touch(number).channels & self.enabled_channels:
            return None
        return [*self.solicitations(), *others]

    @property
    def schedule_id(self) -> UUID:
        """This schedule's id (the same as `id`)."""
        return self.id

    @property
    def is_stopped(self) -> bool:
        """Whether the schedule was stopped (a response, an opt-out, a takeover…)."""
        return self.stop_reason is not None

    @property
    def is_finished(self) -> bool:
        """Whether every touch of the plan was completed or skipped."""
        return self.finished_at is not None

    @property
    def is_active(self) -> bool:
        """Whether touches may still go out (neither stopped nor finished; it may be paused)."""
        return not self.is_stopped and not self.is_finished

    @property
    def is_paused(self) -> bool:
        """Whether a person paused the schedule."""
        return self.paused_by is not None

    @property
    def next_due_at(self) -> datetime | None:
        """When the next touch may be claimed; None while stopped, paused, finished or a touch is in flight."""
        if not self.is_active or self.is_paused or self.claimed is not None:
            return None
        return self.due_at

    @property
    def touches(self) -> tuple[TouchRecord, ...]:
        """Every touch claimed or skipped so far, in order."""
        return tuple(self.history[number] for number in sorted(self.history))

    def local_date(self, instant: datetime) -> date:
        """The date clocks at the location read at `instant`."""
        return wall_clock(instant, zone(self.time_zone)).date()

    def is_lost_due(self, now: datetime, grace: timedelta = DEFAULT_LOST_GRACE) -> bool:
        """Whether the plan ran out with no response and `grace` has passed for a late answer."""
        now = require_instant(now, "now")
        return self.finished_at is not None and not self.is_stopped and now >= self.finished_at + grace

    # ----------------------------------------------------------------------------------- commands

    def claim_next_touch(
        self, *, now: datetime, claim_id: str | UUID, other_solicitations: Sequence[datetime] = ()
    ) -> ClaimedTouch | None:
        """Claim the due touch for sending; None if it had to be skipped or moved into the allowed hours.

        The claim is checked against `terms` (both windows, and for a text the cap, counting this
        cadence's texts and `other_solicitations`: marketing texts to the same number from elsewhere);
        the claim records the proof. Claiming again with the claim id in flight returns that claim.
        """
        now = require_instant(now, "now")
        claim = _text(str(claim_id), "claim_id")
        if self.claimed is not None:
            if self.claimed.claim_id == claim:
                return self.claimed
            raise TouchAlreadyClaimed(
                f"cannot claim another touch: touch {self.claimed.touch_number} is in flight "
                f"(claim {self.claimed.claim_id})"
            )
        self._require_running("claim a touch")
        if self.is_paused:
            raise IllegalTransition(f"cannot claim a touch: schedule paused by {self.paused_by}")
        number = self.next_touch_number
        assert number is not None and self.due_at is not None  # a running schedule has a next touch
        if now < self.due_at:
            raise TouchNotDue(f"cannot claim touch {number}: it is due at {self.due_at.isoformat()}")
        terms, counted = self.terms, self._counted(number, other_solicitations)
        if not terms.admits(now, solicitations=counted):
            try:
                later = terms.next_plannable(now, solicitations=counted)
            except NoSendingTime as error:
                self._stop_for(error, now)
                return None
            self.trigger_event(
                self.TouchRescheduled,
                timestamp=now,
                touch_number=number,
                next_due_at=later,
                reason=f"claimed when the sending rules do not allow it: {terms.refusal(now, solicitations=counted)}",
            )
            return None
        channels = self.plan.touch(number).channels & self.enabled_channels
        if not channels:
            planned = ", ".join(sorted(self.plan.touch(number).channels))
            next_number, due, shift, no_meeting = self._plan_after(number, now, self.last_touch_local_date)
            self.trigger_event(
                self.TouchSkipped,
                timestamp=now,
                touch_number=number,
                reason=f"no allowed channel among {planned}",
                next_touch_number=next_number,
                next_due_at=due,
                shift_days=shift,
            )
            self._finish_if_done(next_number, now, no_meeting)
            return None
        self.trigger_event(
            self.TouchClaimed,
            timestamp=now,
            touch_number=number,
            channels=sorted(c.value for c in channels),
            claim_id=claim,
            allowed_by=terms.proof(now, solicitations=counted),
        )
        return self.claimed

    def record_sent(
        self,
        *,
        touch_number: int,
        channel: Channel | str,
        provider_message_id: str,
        now: datetime,
        consent: Mapping[str, Any] | None = None,
    ) -> None:
        """The provider accepted the message of `touch_number` on `channel`.

        The send records what allowed it: the sending rules its claim was checked against, and
        `consent`, the consent on record the sender relied on for `channel`.
        """
        now = require_instant(now, "now")
        channel = parse_channel(channel)
        message_id = _text(provider_message_id, "provider_message_id")
        record = self.history.get(touch_number)
        if record is not None and record.outcomes.get(channel) is TouchOutcome.SENT:
            if record.provider_message_ids.get(channel) == message_id:
                return
            raise UnknownTouch(
                f"cannot record touch {touch_number} on {channel} as sent again: it was already sent "
                f"as {record.provider_message_ids.get(channel)}"
            )
        if record is not None and channel in record.uncertain_channels:
            self._resolve(touch_number, [channel], TouchOutcome.SENT, "provider", now)
            return
        self._require_pending(touch_number, channel, "sent")
        assert self.claimed is not None  # _require_pending checked it
        rules = self.claimed.allowed_by
        allowed_by = None if rules is None and consent is None else {**(rules or {}), "consent": consent}
        self.trigger_event(
            self.TouchSent,
            timestamp=now,
            touch_number=touch_number,
            channel=channel.value,
            provider_message_id=message_id,
            allowed_by=allowed_by,
        )
        self._complete_if_done(now)

    def record_failed(
        self, *, touch_number: int, channel: Channel | str, reason: str, retriable: bool, now: datetime
    ) -> None:
        """Sending `touch_number` on `channel` failed for good (the worker already retried).

        `retriable=False` means the address itself is bad (bounced, invalid number): the channel is
        disabled for the rest of the cadence. A retriable cause (an outage) keeps the channel.
        """
        now = require_instant(now, "now")
        channel = parse_channel(channel)
        reason = _text(reason, "reason")
        record = self.history.get(touch_number)
        if record is not None and channel in record.uncertain_channels:
            self._resolve(touch_number, [channel], TouchOutcome.NOT_SENT, "provider", now)
        else:
            self._require_pending(touch_number, channel, "failed")
            self.trigger_event(
                self.TouchFailed,
                timestamp=now,
                touch_number=touch_number,
                channel=channel.value,
                reason=reason,
                retriable=bool(retriable),
            )
        if not retriable:
            self._disable(channel, f"touch {touch_number} failed permanently: {reason}", now)
        self._complete_if_done(now)

    def record_suppressed(
        self, *, touch_number: int, channel: Channel | str, reason: str, now: datetime
    ) -> None:
        """The message was deliberately not sent (demo mode); the touch counts as done."""
        now = require_instant(now, "now")
        channel = parse_channel(channel)
        self._require_pending(touch_number, channel, "suppressed")
        self.trigger_event(
            self.TouchSuppressed,
            timestamp=now,
            touch_number=touch_number,
            channel=channel.value,
            reason=_text(reason, "reason"),
        )
        self._complete_if_done(now)

    def mark_uncertain(self, *, touch_number: int, now: datetime) -> None:
        """The claim of `touch_number` was never confirmed: close it without ever claiming it again."""
        now = require_instant(now, "now")
        if self.claimed is None or self.claimed.touch_number != touch_number:
            in_flight = f"touch {self.claimed.touch_number}" if self.claimed else "no touch"
            raise UnknownTouch(f"cannot mark touch {touch_number} uncertain: {in_flight} is in flight")
        pending = self.history[touch_number].pending_channels
        self.trigger_event(
            self.TouchUncertain,
            timestamp=now,
            touch_number=touch_number,
            channels=sorted(c.value for c in pending),
        )
        self._complete_if_done(now)

    def resolve_uncertain(
        self,
        *,
        touch_number: int,
        outcome: Literal["sent", "not_sent"],
        by: str,
        now: datetime,
        channel: Channel | str | None = None,
    ) -> None:
        """Settle whether an uncertain touch went out (on `channel`, or on all its uncertain channels)."""
        now = require_instant(now, "now")
        if outcome not in (TouchOutcome.SENT, TouchOutcome.NOT_SENT):
            raise InvalidValue(f"an uncertain touch resolves as 'sent' or 'not_sent', not {outcome!r}")
        record = self.history.get(touch_number)
        uncertain = record.uncertain_channels if record is not None else frozenset()
        if channel is not None:
            uncertain = uncertain & {parse_channel(channel)}
        if not uncertain:
            on = f" on {channel}" if channel is not None else ""
            raise UnknownTouch(f"cannot resolve touch {touch_number}{on}: it is not uncertain")
        self._resolve(touch_number, sorted(uncertain), TouchOutcome(outcome), _text(by, "by"), now)

    def record_provider_answer(
        self,
        *,
        touch_number: int,
        channel: Channel | str,
        answer: str,
        now: datetime,
        provider_message_id: str | None = None,
        reason: str = "",
    ) -> None:
        """What the provider answered about an uncertain touch's message on `channel`.

        Confirmed sent resolves the channel as sent; confirmed not sent claims its one re-send (the save
        is the lock: a channel already claimed for re-sending cannot be claimed again, so two settlers
        never both re-send); unknown changes nothing but is on record for the audit.
        """
        now = require_instant(now, "now")
        channel = parse_channel(channel)
        if answer not in PROVIDER_ANSWERS:
            raise InvalidValue(f"a provider answers one of {sorted(PROVIDER_ANSWERS)}, not {answer!r}")
        record = self.history.get(touch_number)
        if record is None or channel not in record.uncertain_channels:
            raise UnknownTouch(f"cannot settle touch {touch_number} on {channel}: it is not uncertain")
        if channel in record.resend_claimed:
            raise UnknownTouch(f"touch {touch_number} on {channel} is already being re-sent")
        self.trigger_event(
            self.ProviderAnswered,
            timestamp=now,
            touch_number=touch_number,
            channel=channel.value,
            answer=answer,
            provider_message_id=provider_message_id,
            reason=reason,
        )
        if answer == PROVIDER_CONFIRMED_SENT:
            self._resolve(touch_number, [channel], TouchOutcome.SENT, "provider", now)

    def record_delivery(
        self,
        *,
        touch_number: int,
        channel: Channel | str,
        status: str,
        error_code: str | None = None,
        now: datetime,
    ) -> None:
        """The provider reported the fate of the sent message of `touch_number` on `channel`.

        Only a sent message has a delivery; the same status reported again is recorded once.
        """
        now = require_instant(now, "now")
        channel = parse_channel(channel)
        status = _text(status, "status")
        record = self.history.get(touch_number)
        if record is None or record.outcomes.get(channel) is not TouchOutcome.SENT:
            raise UnknownTouch(
                f"cannot record the delivery of touch {touch_number} on {channel}: it was not sent"
            )
        if record.delivery.get(channel) == status:
            return
        self.trigger_event(
            self.TouchDeliveryReported,
            timestamp=now,
            touch_number=touch_number,
            channel=channel.value,
            status=status,
            error_code=error_code,
        )

    def disable_channel(self, *, channel: Channel | str, reason: str, now: datetime) -> None:
        """Stop using `channel` (an opt-out, a bad address); with no channel left the schedule stops."""
        now = require_instant(now, "now")
        self._disable(parse_channel(channel), _text(reason, "reason"), now)

    def enable_channel(self, *, channel: Channel | str, now: datetime) -> None:
        """Use `channel` again (the customer opted back in)."""
        now = require_instant(now, "now")
        channel = parse_channel(channel)
        if channel in self.enabled_channels:
            return
        if self.is_stopped:
            raise ScheduleStopped(f"cannot enable {channel}: schedule stopped ({self.stop_reason})")
        self.trigger_event(self.ChannelEnabled, timestamp=now, channel=channel.value)

    def hold_until(self, *, day: date, reason: str, now: datetime) -> None:
        """Send nothing more until after the location's date `day` (the customer is away until then).

        The next touch (the one after the touch in flight, if any) moves to the first allowed time on
        a later local date, and every later touch by the same number of days: the plan keeps its order
        and spacing, one touch a day, inside the sending terms. A hold the plan already meets, or on a
        cadence that is over, changes nothing; `day` before today holds nothing either. A day more
        than `MAX_HOLD_DAYS` away is refused.
        """
        now = require_instant(now, "now")
        if not isinstance(day, date) or isinstance(day, datetime):
            raise InvalidValue(f"a hold needs a date, not {day!r}")
        reason = _text(reason, "reason")
        today = self.local_date(now)
        if day > today + timedelta(days=MAX_HOLD_DAYS):
            raise InvalidValue(
                f"cannot hold the cadence until {day.isoformat()}: more than {MAX_HOLD_DAYS} days away"
            )
        if not self.is_active or day < today:
            return
        number = self.next_touch_number if self.claimed is None else self.claimed.touch_number + 1
        if number is None or number > len(self.plan):
            return
        arrival = self.local_date(self.anchor_at)
        needed = (day - arrival).days + 1 - self.plan.touch(number).day
        already_after = (
            self.claimed is None and self.due_at is not None and self.local_date(self.due_at) > day
        )
        if needed <= self.shift_days or already_after:
            return
        due: datetime | None = None
        no_meeting = None
        if self.claimed is None:
            try:
                due = due_time(
                    self.plan.touch(number), self.anchor_at, self.last_touch_local_date, self.terms,
                    shift_days=needed, not_before=now, solicitations=self._counted(number, ()),
                )  # fmt: skip
            except NoSendingTime as error:
                no_meeting = error
        self.trigger_event(
            self.Held,
            timestamp=now,
            until=day.isoformat(),
            reason=reason,
            touch_number=number,
            next_due_at=due,
            shift_days=needed,
        )
        if no_meeting is not None:
            self._stop_for(no_meeting, now)

    def change_recipient(self, *, recipient: RecipientContext, reason: str, now: datetime) -> None:
        """The number the cadence texts now reads as `recipient` (a new phone number in the CRM): the
        rules follow the customer, so the next touch is planned again by the new terms, no earlier than
        `now`. The same context, or a cadence that is over, changes nothing."""
        now = require_instant(now, "now")
        if not isinstance(recipient, RecipientContext):
            raise InvalidValue(f"recipient must be a RecipientContext, not {type(recipient).__name__}")
        reason = _text(reason, "reason")
        if recipient == self.recipient or not self.is_active:
            return
        terms = SendingTerms(self.window, self.time_zone, recipient)
        due, shift, no_meeting = self._replan(terms, self.last_touch_local_date, now)
        self.trigger_event(
            self.RecipientChanged,
            timestamp=now,
            recipient=recipient.to_data(),
            reason=reason,
            next_due_at=due,
            shift_days=shift,
        )
        if no_meeting is not None:
            self._stop_for(no_meeting, now)

    def change_location_terms(
        self, *, location_id: str, window: SendingWindow, time_zone: str, reason: str, now: datetime
    ) -> None:
        """The cadence now follows `location_id`'s sending window and time zone (the operator edited
        them, or the CRM moved the lead to another location): the next touch is planned again by the
        new terms, no earlier than `now`, as for a new number (`change_recipient`); a touch in flight
        keeps its claim. The same location, window and zone, or a cadence that is over, changes
        nothing; a move to another location is recorded even when its window and zone read the same,
        so the cadence follows that location's later edits."""
        now = require_instant(now, "now")
        location_id = _text(location_id, "location_id")
        if not isinstance(window, SendingWindow):
            raise InvalidValue(f"window must be a SendingWindow, not {type(window).__name__}")
        tz_name = zone(time_zone).key
        reason = _text(reason, "reason")
        if not self.is_active or (location_id, window, tz_name) == (
            self.location_id,
            self.window,
            self.time_zone,
        ):
            return
        terms = SendingTerms(window, tz_name, self.recipient)
        previous = _last_touch_date(self.history, tz_name)
        due, shift, no_meeting = self._replan(terms, previous, now)
        self.trigger_event(
            self.SendingTermsChanged,
            timestamp=now,
            location_id=location_id,
            window=window.to_data(),
            time_zone=tz_name,
            reason=reason,
            next_due_at=due,
            shift_days=shift,
        )
        if no_meeting is not None:
            self._stop_for(no_meeting, now)

    def stop(self, *, reason: str, now: datetime) -> None:
        """No further touch will be claimed (a response, a booking, an opt-out, a takeover). Idempotent."""
        now = require_instant(now, "now")
        if not self.is_stopped:
            self.trigger_event(self.Stopped, timestamp=now, reason=_text(reason, "reason"))

    def pause(self, *, by: str, now: datetime) -> None:
        """Hold the cadence while a person talks to the customer."""
        now = require_instant(now, "now")
        self._require_running("pause")
        if self.is_paused:
            raise IllegalTransition(f"cannot pause: already paused by {self.paused_by}")
        self.trigger_event(self.Paused, timestamp=now, by=_text(by, "by"))

    def resume(self, *, by: str, now: datetime) -> None:
        """Continue with the next touch, rescheduled from `now` if it became overdue."""
        now = require_instant(now, "now")
        if not self.is_paused:
            raise IllegalTransition("cannot resume: the schedule is not paused")
        due: datetime | None = None
        shift = self.shift_days
        number = self.next_touch_number
        no_meeting = None
        if self.is_active and self.claimed is None and number is not None:
            try:
                due, shift = _catch_up(
                    self.plan, number, self.anchor_at, self.last_touch_local_date, self.terms,
                    self.shift_days, now, self._counted(number, ()),
                )  # fmt: skip
            except NoSendingTime as error:
                no_meeting = error
        self.trigger_event(
            self.Resumed,
            timestamp=now,
            by=_text(by, "by"),
            next_due_at=due,
            shift_days=shift,
        )
        if no_meeting is not None:
            self._stop_for(no_meeting, now)

    # ------------------------------------------------------------------------------------ private

    def _require_running(self, action: str) -> None:
        if self.is_stopped:
            raise ScheduleStopped(f"cannot {action}: schedule stopped ({self.stop_reason})")
        if self.is_finished:
            raise ScheduleStopped(f"cannot {action}: all {len(self.plan)} touches are done")

    def _require_pending(self, touch_number: int, channel: Channel, outcome: str) -> None:
        if self.claimed is None or self.claimed.touch_number != touch_number:
            in_flight = f"touch {self.claimed.touch_number}" if self.claimed else "no touch"
            raise UnknownTouch(f"cannot record touch {touch_number} as {outcome}: {in_flight} is in flight")
        record = self.history[touch_number]
        if channel not in record.channels:
            raise UnknownTouch(
                f"cannot record touch {touch_number} as {outcome} on {channel}: it was claimed for "
                f"{', '.join(sorted(record.channels))}"
            )
        if channel in record.outcomes:
            raise UnknownTouch(
                f"cannot record touch {touch_number} as {outcome} on {channel}: it is already {record.outcomes[channel]}"
            )

    def _resolve(
        self, touch_number: int, channels: list[Channel], outcome: TouchOutcome, by: str, now: datetime
    ) -> None:
        self.trigger_event(
            self.UncertainTouchResolved,
            timestamp=now,
            touch_number=touch_number,
            channels=[c.value for c in channels],
            outcome=outcome.value,
            by=by,
        )

    def _disable(self, channel: Channel, reason: str, now: datetime) -> None:
        if channel not in self.enabled_channels or self.is_stopped:
            return
        self.trigger_event(
            self.ChannelDisabled,
            timestamp=now,
            channel=channel.value,
            reason=reason,
        )
        if not self.enabled_channels:
            self.trigger_event(
                self.Stopped,
                timestamp=now,
                reason=f"no channel left to reach the customer ({reason})",
            )

    def _complete_if_done(self, now: datetime) -> None:
        claimed = self.claimed
        if claimed is None or self.history[claimed.touch_number].pending_channels:
            return
        number = claimed.touch_number
        next_number, due, shift, no_meeting = self._plan_after(
            number, now, self.local_date(claimed.claimed_at)
        )
        self.trigger_event(
            self.TouchCompleted,
            timestamp=now,
            touch_number=number,
            next_touch_number=next_number,
            next_due_at=due,
            shift_days=shift,
        )
        self._finish_if_done(next_number, now, no_meeting)

    def _plan_after(
        self, number: int, now: datetime, previous_local_date: date | None
    ) -> tuple[int | None, datetime | None, int, NoSendingTime | None]:
        """The next touch, its due time and the plan's shift; or why no moment is left for it."""
        if number >= len(self.plan):
            return None, None, self.shift_days, None
        following = number + 1
        try:
            due, shift = _catch_up(
                self.plan,
                following,
                self.anchor_at,
                previous_local_date,
                self.terms,
                self.shift_days,
                now,
                self._counted(following, ()),
            )
        except NoSendingTime as error:
            return following, None, self.shift_days, error
        return following, due, shift, None

    def _replan(
        self, terms: SendingTerms, previous_local_date: date | None, now: datetime
    ) -> tuple[datetime | None, int, NoSendingTime | None]:
        """The next touch's due time and the plan's shift under `terms`, planned at `now` (None while a
        touch is in flight or the cadence is paused: it is planned on completion or resume); or why no
        moment is left for it."""
        number = self.next_touch_number
        if self.claimed is not None or self.is_paused or number is None:
            return None, self.shift_days, None
        try:
            due, shift = _catch_up(
                self.plan, number, self.anchor_at, previous_local_date, terms, self.shift_days, now,
                self._counted(number, ()),
            )  # fmt: skip
        except NoSendingTime as error:
            return None, self.shift_days, error
        return due, shift, None

    def _finish_if_done(
        self, next_number: int | None, now: datetime, no_meeting: NoSendingTime | None
    ) -> None:
        if no_meeting is not None:
            self._stop_for(no_meeting, now)
        elif next_number is None:
            self.trigger_event(self.Finished, timestamp=now)

    def _stop_for(self, no_meeting: NoSendingTime, now: datetime) -> None:
        """The location's window and the recipient's legal hours no longer meet (a DST change can do it):
        nothing may be sent, so the cadence stops and says why instead of waiting for ever."""
        self.stop(reason=f"the sending rules leave no moment to message the customer: {no_meeting}", now=now)


def _last_touch_date(history: Mapping[int, TouchRecord], time_zone: str) -> date | None:
    """The local date, in `time_zone`, of the last completed touch's claim (the one the next touch must
    come after): what `TouchCompleted` records as `last_touch_local_date`, read on other clocks."""
    claimed = [
        r.claimed_at for r in history.values() if r.claimed_at is not None and r.completed_at is not None
    ]
    return wall_clock(max(claimed), zone(time_zone)).date() if claimed else None


def _catch_up(
    plan: TouchPlan,
    number: int,
    anchor: datetime,
    previous_local_date: date | None,
    terms: SendingTerms,
    shift_days: int,
    now: datetime,
    solicitations: Sequence[datetime] | None = None,
) -> tuple[datetime, int]:
    """Touch `number`'s due time, planned at `now`, and the plan's shift in days.

    A touch that would already be overdue moves the rest of the plan by the whole local days missed,
    and is due no earlier than `now`: after a pause or an outage the cadence resumes, it does not burst.
    """
    touch = plan.touch(number)
    due = due_time(
        touch, anchor, previous_local_date, terms, shift_days=shift_days, solicitations=solicitations
    )
    if due >= now:
        return due, shift_days
    behind = (terms.local_date(now) - terms.local_date(due)).days
    shift = shift_days + max(behind, 0)
    return due_time(
        touch,
        anchor,
        previous_local_date,
        terms,
        shift_days=shift,
        not_before=now,
        solicitations=solicitations,
    ), shift
