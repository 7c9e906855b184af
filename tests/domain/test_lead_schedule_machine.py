"""Random lives of a lead and its touch schedule, driven the way the application drives them.

A small in-test dispatcher claims due touches and reports outcomes (sent, failed, suppressed, or
never confirmed); the customer replies, chats, books, opts out and changes number; staff pause,
resume and take over; the operator edits the location's sending window; time jumps around US DST
changes. After every step the business invariants are checked, and both aggregates are rebuilt from
their events (through the production codec) and compared.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise
from uuid import uuid4

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from leadorch.domain.cadence import SendingWindow, TouchPlan
from leadorch.domain.errors import (
    IllegalTransition,
    InvalidValue,
    ScheduleStopped,
    TouchAlreadyClaimed,
    TouchNotDue,
)
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import MAX_HOLD_DAYS, TouchPointSchedule
from leadorch.domain.sending_rules import RecipientContext
from leadorch.domain.touches import TouchOutcome
from leadorch.domain.values import Channel, LeadStatus, Vehicle
from tests.domain.event_replay import Replica, state_of
from tests.domain.strategies import (
    instants_around_dst,
    local,
    recipients,
    sending_windows,
    touch_plans,
    zone_names,
)
from tests.support.leads import a_lead

CHANNELS = st.sampled_from([Channel.EMAIL, Channel.SMS])
RULES_STOP = "the sending rules leave no moment"


class LeadAndSchedule(RuleBasedStateMachine):
    lead: Lead
    schedule: TouchPointSchedule
    now: datetime
    tz_name: str
    window: SendingWindow
    plan: TouchPlan

    @initialize(
        arrival=instants_around_dst(days_before=35, days_after=3),
        tz_name=zone_names(),
        window=sending_windows(),
        plan=touch_plans(),
        consent=st.sampled_from([(True, True), (True, False), (False, True)]),
        silent=st.booleans(),
    )
    def arrive(
        self,
        arrival: datetime,
        tz_name: str,
        window: SendingWindow,
        plan: TouchPlan,
        consent: tuple[bool, bool],
        silent: bool,
    ) -> None:
        self.now, self.tz_name, self.window, self.plan = arrival, tz_name, window, plan
        # Half the customers never react, so whole cadences run out and leads are lost.
        self.silent = silent
        self.lead, self.schedule = a_lead(
            location_id="loc-1",
            order=f"order-{uuid4()}",
            customer="cust-1",
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.com",
            phone="+15551234567",
            vehicle=Vehicle(2021, "Toyota", "Camry"),
            services=("Full tint",),
            email_consent=consent[0],
            sms_consent=consent[1],
            at=arrival,
            plan=plan,
            window=window,
            time_zone=tz_name,
        ).arrived()
        # The model the invariants compare against.
        self.usable = {c for c in Channel if self.lead.can_contact(c)}
        self.expect_stopped = False
        self.claims: list[tuple[int, date]] = []
        self.due_times_seen: list[datetime] = []
        self.claim_counter = 0
        self.holds: list[tuple[int, date]] = []
        self.lead_replica, self.schedule_replica = Replica(), Replica()

    # ---------------------------------------------------------------------------------- the app

    def stop_schedule(self, reason: str) -> None:
        self.schedule.stop(reason=reason, now=self.now)
        self.expect_stopped = True

    def lost_sweep(self) -> None:
        """What the app's periodic job does: a finished cadence with no response becomes lost."""
        if self.schedule.is_lost_due(self.now) and self.lead.status is not LeadStatus.LOST:
            self.lead.mark_lost(reason="the cadence ran out without a response", at=self.now)

    def note_rules_stop(self) -> None:
        """The windows may stop meeting (a new number's zone, a DST change): the cadence stops, saying so."""
        if not self.expect_stopped and (self.schedule.stop_reason or "").startswith(RULES_STOP):
            self.expect_stopped = True

    def lose_channel(self, channel: Channel) -> None:
        if not self.expect_stopped:
            self.usable.discard(channel)
            if not self.usable:
                self.expect_stopped = True

    # --------------------------------------------------------------------------------- time rules

    @rule(minutes=st.integers(1, 4 * 24 * 60))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        self.lost_sweep()

    @precondition(lambda self: self.schedule.next_due_at is not None)
    @rule(late_by=st.integers(0, 180))
    def wait_until_due(self, late_by: int) -> None:
        due = self.schedule.next_due_at
        assert due is not None
        self.now = max(self.now, due) + timedelta(minutes=late_by)
        self.lost_sweep()

    # ---------------------------------------------------------------------------- the dispatcher

    @precondition(lambda self: self.schedule.next_due_at is not None)
    @rule(late_by=st.integers(0, 180))
    def dispatch_the_next_touch(self, late_by: int) -> None:
        """The usual path: wait until due, claim, and every provider accepts."""
        self.wait_until_due(late_by)
        self.claim()
        claimed = self.schedule.claimed
        if claimed is not None:
            for channel in sorted(claimed.channels):
                self.schedule.record_sent(
                    touch_number=claimed.touch_number,
                    channel=channel,
                    provider_message_id=f"{claimed.touch_number}-{channel}",
                    now=self.now,
                )
            self.lead.record_contacted(at=self.now)

    @rule()
    def claim(self) -> None:
        schedule = self.schedule
        was_stopped, was_paused, in_flight, due = (
            schedule.is_stopped,
            schedule.is_paused,
            schedule.claimed,
            schedule.due_at,
        )
        was_finished = schedule.is_finished
        self.claim_counter += 1
        try:
            claimed = schedule.claim_next_touch(now=self.now, claim_id=f"claim-{self.claim_counter}")
        except TouchAlreadyClaimed:
            assert in_flight is not None
            return
        except ScheduleStopped:
            assert was_stopped or was_finished
            return
        except TouchNotDue:
            assert due is not None and self.now < due
            return
        except IllegalTransition as refused:
            assert was_paused, refused
            return
        assert in_flight is None and not was_stopped and not was_paused and not was_finished
        assert due is not None and self.now >= due
        if claimed is None:
            event("claim: skipped or moved into the window")
            return
        event(f"claim: touch {min(claimed.touch_number, 13)}")
        assert self.window.admits(self.now, self.tz_name), "a touch is only claimed inside the sending window"
        assert claimed.channels <= self.usable, "never a touch on an opted-out or failed channel"
        assert all(self.lead.can_contact(c) for c in claimed.channels)
        assert claimed.channels <= self.plan.touch(claimed.touch_number).channels
        claimed_day = local(self.now, self.tz_name).date()
        if self.claims:
            last_number, last_day = self.claims[-1]
            assert claimed.touch_number > last_number, (
                "an uncertain or completed touch is never claimed again"
            )
            assert claimed_day > last_day, "never two touches on one local day"
        self.claims.append((claimed.touch_number, claimed_day))

    @precondition(lambda self: self.schedule.claimed is not None)
    @rule(data=st.data())
    def report_outcomes(self, data: st.DataObject) -> None:
        claimed = self.schedule.claimed
        assert claimed is not None
        for channel in sorted(claimed.channels):
            if not self.schedule.claimed:
                break
            if channel not in self.schedule.history[claimed.touch_number].pending_channels:
                continue  # reported in an earlier step (the rest was left for 'later')
            outcome = data.draw(
                st.sampled_from(["sent", "sent", "retriable", "permanent", "suppressed", "later"])
            )
            number = claimed.touch_number
            if outcome == "sent":
                self.schedule.record_sent(
                    touch_number=number,
                    channel=channel,
                    provider_message_id=f"{number}-{channel}",
                    now=self.now,
                )
                self.lead.record_contacted(at=self.now)
            elif outcome in ("retriable", "permanent"):
                permanent = outcome == "permanent"
                self.schedule.record_failed(
                    touch_number=number,
                    channel=channel,
                    reason="provider said no",
                    retriable=not permanent,
                    now=self.now,
                )
                if permanent:
                    self.lose_channel(channel)
            elif outcome == "suppressed":
                self.schedule.record_suppressed(
                    touch_number=number, channel=channel, reason="demo", now=self.now
                )

    @precondition(lambda self: self.schedule.claimed is not None)
    @rule()
    def worker_dies_mid_send(self) -> None:
        claimed = self.schedule.claimed
        assert claimed is not None
        self.schedule.mark_uncertain(touch_number=claimed.touch_number, now=self.now + timedelta(minutes=10))

    @rule(data=st.data())
    def staff_resolves_an_uncertain_touch(self, data: st.DataObject) -> None:
        uncertain = [t.number for t in self.schedule.touches if t.uncertain_channels]
        if not uncertain:
            return
        number = data.draw(st.sampled_from(uncertain))
        outcome = data.draw(st.sampled_from(["sent", "not_sent"]))
        self.schedule.resolve_uncertain(touch_number=number, outcome=outcome, by="staff", now=self.now)

    # ------------------------------------------------------------------------------ the customer

    @precondition(lambda self: not self.silent)
    @rule(channel=CHANNELS)
    def customer_replies(self, channel: Channel) -> None:
        if self.lead.status is LeadStatus.HANDLED_BY_SHOP:
            try:
                self.lead.record_reply(channel=channel, text="hello?", at=self.now)
            except IllegalTransition:
                return
            raise AssertionError("a reply to a lead the shop handles must be refused")
        self.lead.record_reply(channel=channel, text="how much?", at=self.now)
        self.stop_schedule("the customer replied")

    @rule(channel=CHANNELS, days_away=st.integers(-3, MAX_HOLD_DAYS + 5))
    def customer_is_away(self, channel: Channel, days_away: int) -> None:
        """An out-of-office answers (silent customers have them too): recorded, never a response; a
        return day within reach holds the cadence until after it."""
        status = self.lead.status
        today = local(self.now, self.tz_name).date()
        back = today + timedelta(days=days_away)
        self.lead.record_auto_reply(
            channel=channel,
            kind="out_of_office",
            sign="Auto-Submitted",
            text="away",
            returns_on=back,
            at=self.now,
        )
        assert self.lead.status is status, "an auto-reply is not a response"
        if days_away > MAX_HOLD_DAYS:
            try:
                self.schedule.hold_until(day=back, reason="away", now=self.now)
            except InvalidValue:
                return
            raise AssertionError("a hold further than the limit must be refused")
        self.schedule.hold_until(day=back, reason="away", now=self.now)
        if days_away >= 0:
            self.holds.append((len(self.claims), back))

    @rule(recipient=recipients())
    def customer_changes_number(self, recipient: RecipientContext) -> None:
        """A new number in the CRM: the rules follow it, and the next touch is planned by them (a shop
        window the new number's hours never meet stops the cadence, saying so)."""
        self.schedule.change_recipient(recipient=recipient, reason="a new number in the CRM", now=self.now)
        self.note_rules_stop()

    @rule(window=sending_windows())
    def locations_window_changes(self, window: SendingWindow) -> None:
        """The operator edits the location's sending window: a running cadence follows it from its next
        touch (a touch in flight keeps its claim; a window the number's hours never meet stops it)."""
        running, before = self.schedule.is_active, self.schedule.window
        self.schedule.change_location_terms(
            location_id="loc-1",
            window=window,
            time_zone=self.tz_name,
            reason="the operator changed the sending window",
            now=self.now,
        )
        assert self.schedule.window == (window if running else before)
        self.window = self.schedule.window
        self.note_rules_stop()

    @precondition(lambda self: not self.silent)
    @rule()
    def customer_chats(self) -> None:
        if self.lead.status is LeadStatus.HANDLED_BY_SHOP:
            return
        self.lead.record_chat_link_opened(at=self.now)
        self.lead.record_chat_started(session_id=f"chat-{uuid4()}", at=self.now)
        self.stop_schedule("the customer started a chat")

    @precondition(lambda self: not self.silent)
    @rule()
    def customer_books(self) -> None:
        if self.lead.status in (LeadStatus.HANDLED_BY_SHOP, LeadStatus.BOOKED):
            return
        self.lead.record_booking(appointment_id=uuid4(), at=self.now)
        self.stop_schedule("the customer booked")

    @precondition(lambda self: not self.silent)
    @rule(channel=CHANNELS)
    def customer_opts_out(self, channel: Channel) -> None:
        self.lead.opt_out(channel=channel, reason="STOP", at=self.now)
        self.schedule.disable_channel(channel=channel, reason="customer opted out", now=self.now)
        self.lose_channel(channel)

    @precondition(lambda self: not self.silent)
    @rule(channel=CHANNELS)
    def customer_opts_back_in(self, channel: Channel) -> None:
        self.lead.opt_in(channel=channel, at=self.now)
        if not self.schedule.is_stopped:
            self.schedule.enable_channel(channel=channel, now=self.now)
            self.usable.add(channel)

    # --------------------------------------------------------------------------------- the staff

    @precondition(lambda self: not self.silent)
    @rule()
    def shop_takes_over(self) -> None:
        if self.lead.status is LeadStatus.BOOKED:
            try:
                self.lead.hand_to_shop(reason="appointment set in the CRM", at=self.now)
            except IllegalTransition:
                return
            raise AssertionError("a booked lead must not be handed to the shop")
        self.lead.hand_to_shop(reason="staff messaged the customer", at=self.now)
        self.stop_schedule("the shop took over")

    @precondition(lambda self: not self.silent)
    @rule()
    def staff_pause(self) -> None:
        if not self.lead.automation_paused:
            self.lead.pause_automation(by="staff:jo", reason="calling", at=self.now)
        if self.schedule.is_active and not self.schedule.is_paused:
            self.schedule.pause(by="staff:jo", now=self.now)

    @precondition(lambda self: not self.silent)
    @rule()
    def staff_resume(self) -> None:
        if self.lead.automation_paused:
            self.lead.resume_automation(by="staff:jo", at=self.now)
        if self.schedule.is_paused:
            self.schedule.resume(by="staff:jo", now=self.now)
            due = self.schedule.next_due_at
            assert due is None or due >= self.now, "resuming never leaves a backlog of overdue touches"

    # -------------------------------------------------------------------------------- invariants

    @invariant()
    def touches_follow_the_plan(self) -> None:
        numbers = [touch.number for touch in self.schedule.touches]
        assert len(numbers) <= len(self.plan)
        assert numbers == list(range(1, len(numbers) + 1))
        claimed_days = [
            local(t.claimed_at, self.tz_name).date() for t in self.schedule.touches if t.claimed_at
        ]
        assert all(a < b for a, b in pairwise(claimed_days))

    @invariant()
    def nothing_is_claimed_on_or_before_a_return_day(self) -> None:
        for claims_before, back in self.holds:
            assert all(day > back for _, day in self.claims[claims_before:]), (back, self.claims)

    @invariant()
    def due_times_are_inside_the_window(self) -> None:
        due = self.schedule.next_due_at
        if due is not None:
            self.due_times_seen.append(due)
            assert self.window.admits(due, self.tz_name), local(due, self.tz_name)
            assert self.schedule.terms.admits(due), (due, self.schedule.recipient)
            if self.claims:
                assert local(due, self.tz_name).date() > self.claims[-1][1]

    @invariant()
    def stops_match_the_customers_story(self) -> None:
        self.note_rules_stop()
        assert self.schedule.is_stopped == self.expect_stopped, self.schedule.stop_reason
        if not self.schedule.is_stopped:
            assert self.schedule.enabled_channels == self.usable
            assert all(self.lead.consent[c] for c in self.schedule.enabled_channels)
        if self.schedule.is_stopped or self.schedule.is_paused or self.schedule.is_finished:
            assert self.schedule.next_due_at is None

    @invariant()
    def lost_iff_the_plan_ran_out_without_a_response(self) -> None:
        if self.lead.status is LeadStatus.LOST:
            event("lead lost")
            assert self.schedule.is_finished and not self.lead.is_responsive
            assert self.lead.outcome_reason == "the cadence ran out without a response"
        if self.schedule.is_lost_due(self.now):
            assert self.lead.status is LeadStatus.LOST
        if self.lead.is_responsive:
            assert self.lead.status is not LeadStatus.LOST

    @invariant()
    def sent_count_matches_the_history(self) -> None:
        sent = sum(
            1
            for touch in self.schedule.touches
            for outcome in touch.outcomes.values()
            if outcome is TouchOutcome.SENT
        )
        assert self.schedule.sent_count == sent

    @invariant()
    def replaying_the_events_rebuilds_the_same_aggregates(self) -> None:
        assert state_of(self.lead_replica.catch_up(self.lead)) == state_of(self.lead)
        assert state_of(self.schedule_replica.catch_up(self.schedule)) == state_of(self.schedule)


TestLeadAndSchedule = LeadAndSchedule.TestCase
