"""Dispatching a due touch: claimed once, sent once per channel through the real SDKs, every outcome recorded.

Runs on the embedded SQLite store and on PostgreSQL, with the SendGrid and Twilio stand-ins on sockets.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from tests.support.touch_world import (
    LOCATION,
    SHOP_EMAIL,
    SHOP_NUMBER,
    Providers,
    TouchWorld,
    world_on,
)

from leadorch.app.leads import record_reply
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.touches import TouchOutcome
from leadorch.domain.values import Channel, LeadStatus


def test_touch_one_goes_out_on_both_channels_with_ids_links_and_opt_out_notice(
    touch_world: TouchWorld,
) -> None:
    lead_id, schedule_id = touch_world.new_lead()

    result = touch_world.dispatch(schedule_id)

    assert result.touch_number == 1
    assert result.outcomes == {"sms": "sent", "email": "sent"}
    [email] = touch_world.emails_to(touch_world.email)
    assert email.from_email == SHOP_EMAIL
    assert email.custom_args["idempotency_key"] == f"{schedule_id}:1:email"
    assert email.custom_args["lead_id"] == lead_id
    assert email.custom_args["touch_number"] == "1"
    assert email.headers["List-Unsubscribe"].startswith("<https://leads.sunshield.example.com/unsubscribe/")
    assert email.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "https://leads.sunshield.example.com/chat/" in (email.text or "")
    assert "12400 N Lamar Blvd" in (email.text or "")
    [sms] = touch_world.texts_to(touch_world.phone)
    assert sms.from_number == SHOP_NUMBER
    assert sms.body.endswith("Reply STOP to opt out.")
    assert sms.status_callback is not None
    assert "/webhooks/twilio/status?" in sms.status_callback and "touch=1" in sms.status_callback
    schedule = touch_world.schedule(schedule_id)
    assert schedule.touches[0].outcomes == {Channel.EMAIL: TouchOutcome.SENT, Channel.SMS: TouchOutcome.SENT}
    assert schedule.touches[0].provider_message_ids[Channel.SMS] == sms.sid
    assert schedule.touches[0].provider_message_ids[Channel.EMAIL] == email.message_id
    assert touch_world.lead(lead_id).status is LeadStatus.CONTACTING


def test_a_touch_that_is_not_due_is_not_sent_and_dispatching_again_sends_nothing_more(
    touch_world: TouchWorld,
) -> None:
    _, schedule_id = touch_world.new_lead()
    touch_world.dispatch(schedule_id)

    again = touch_world.dispatch(schedule_id)
    touch_world.clock.advance(timedelta(hours=2))
    still_day_zero = touch_world.dispatch(schedule_id)

    assert again.touch_number is None and again.note == "nothing due"
    assert still_day_zero.touch_number is None
    assert len(touch_world.providers.sendgrid.outbox) == 1
    assert len(touch_world.providers.twilio.outbox) == 1


def test_concurrent_dispatches_of_one_touch_send_each_message_once(touch_world: TouchWorld) -> None:
    _, schedule_id = touch_world.new_lead()
    barrier = threading.Barrier(6)
    results = []

    def dispatch() -> None:
        barrier.wait()
        results.append(touch_world.dispatch(schedule_id))

    threads = [threading.Thread(target=dispatch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [r.touch_number for r in results].count(1) == 1
    assert len(touch_world.providers.sendgrid.outbox) == 1
    assert len(touch_world.providers.twilio.outbox) == 1


def test_the_second_touch_goes_out_next_day_by_email_only_without_the_opt_out_notice_repeated(
    touch_world: TouchWorld,
) -> None:
    _, schedule_id = touch_world.new_lead()
    touch_world.dispatch(schedule_id)

    touch_world.clock.advance(timedelta(days=1))
    second = touch_world.dispatch(schedule_id)
    touch_world.clock.advance(timedelta(days=2))
    third = touch_world.dispatch(schedule_id)

    assert (second.touch_number, second.outcomes) == (2, {"email": "sent"})
    assert (third.touch_number, third.outcomes) == (3, {"sms": "sent"})
    texts = touch_world.texts_to(touch_world.phone)
    assert len(texts) == 2
    assert "Reply STOP" not in texts[1].body


def test_a_provider_500_then_success_sends_one_message(touch_world: TouchWorld) -> None:
    _, schedule_id = touch_world.new_lead()
    touch_world.providers.twilio.fail_next(1, status=500)
    touch_world.providers.sendgrid.fail_next(2, status=503)

    result = touch_world.dispatch(schedule_id)

    assert result.outcomes == {"sms": "sent", "email": "sent"}
    assert len(touch_world.texts_to(touch_world.phone)) == 1
    assert len(touch_world.emails_to(touch_world.email)) == 1
    assert touch_world.providers.twilio.calls == 2
    assert touch_world.providers.sendgrid.calls == 3


def test_an_answer_that_never_comes_makes_the_touch_uncertain_and_nothing_is_sent_twice(
    shared_database_url: str, shared_providers: Providers
) -> None:
    with world_on(shared_database_url, shared_providers, provider_timeout_seconds=0.3) as world:
        _, schedule_id = world.new_lead()
        world.providers.sendgrid.stall_next(1.5)  # SendGrid takes the email, but its answer is lost

        result = world.dispatch(schedule_id)
        world.clock.advance(timedelta(days=1))
        world.dispatch_due()

        assert result.outcomes["email"] == "uncertain"
        time.sleep(1.5)
        touch_one = [m for m in world.emails_to(world.email) if m.custom_args["touch_number"] == "1"]
        assert len(touch_one) == 1  # taken once, never retried; the cadence goes on with touch 2
        touch = world.schedule(schedule_id).touches[0]
        assert touch.number == 1 and Channel.EMAIL in touch.uncertain_channels


def test_a_provider_down_for_every_attempt_fails_the_touch_but_keeps_the_channel(
    touch_world: TouchWorld,
) -> None:
    _, schedule_id = touch_world.new_lead()
    touch_world.providers.twilio.fail_next(3, status=500)

    result = touch_world.dispatch(schedule_id)

    assert result.outcomes == {"sms": "failed", "email": "sent"}
    schedule = touch_world.schedule(schedule_id)
    assert Channel.SMS in schedule.enabled_channels
    assert touch_world.providers.twilio.calls == 3


def test_a_location_without_a_postal_address_sends_no_marketing_email_until_it_has_one(
    touch_world: TouchWorld,
) -> None:
    config = touch_world.container.config
    config.update_location(touch_world.tenant_id, LOCATION, address="", actor="test")
    _, schedule_id = touch_world.new_lead()

    first = touch_world.dispatch(schedule_id)

    assert first.outcomes == {"sms": "sent", "email": "failed"}
    assert touch_world.emails_to(touch_world.email) == []
    schedule = touch_world.schedule(schedule_id)
    (failed,) = [
        event
        for event in touch_world.container.store.events.get(schedule.id)
        if isinstance(event, TouchPointSchedule.TouchFailed)
    ]
    assert "no postal address, which CAN-SPAM requires" in failed.reason and failed.retriable
    assert Channel.EMAIL in schedule.enabled_channels  # the shop's settings are at fault, not the address

    config.update_location(
        touch_world.tenant_id, LOCATION, address="12400 N Lamar Blvd, Austin, TX 78753", actor="test"
    )
    touch_world.clock.advance(timedelta(days=1))
    second = touch_world.dispatch(schedule_id)  # touch 2: email

    assert second.outcomes == {"email": "sent"}
    [email] = touch_world.emails_to(touch_world.email)
    assert "12400 N Lamar Blvd, Austin, TX 78753" in (email.text or "") and "12400 N Lamar Blvd" in (
        email.html or ""
    )


def test_twilio_21610_opts_the_lead_out_of_sms_and_email_goes_on(touch_world: TouchWorld) -> None:
    lead_id, schedule_id = touch_world.new_lead()
    touch_world.providers.twilio.reject_recipient(touch_world.phone, 21610)

    result = touch_world.dispatch(schedule_id)

    assert result.outcomes == {"sms": "failed", "email": "sent"}
    lead = touch_world.lead(lead_id)
    assert not lead.can_contact(Channel.SMS)
    assert lead.can_contact(Channel.EMAIL)
    schedule = touch_world.schedule(schedule_id)
    assert schedule.enabled_channels == {Channel.EMAIL}
    assert schedule.is_active


def test_an_invalid_number_disables_sms_for_the_rest_of_the_cadence(touch_world: TouchWorld) -> None:
    lead_id, schedule_id = touch_world.new_lead()
    touch_world.providers.twilio.reject_recipient(touch_world.phone, 21211)

    touch_world.dispatch(schedule_id)
    touch_world.clock.advance(timedelta(days=3))
    touch_world.dispatch(schedule_id)  # touch 2: email
    third = touch_world.dispatch(schedule_id)  # touch 3 is SMS only: skipped

    assert touch_world.schedule(schedule_id).enabled_channels == {Channel.EMAIL}
    assert touch_world.lead(lead_id).consent[Channel.SMS]  # a bad number is not an opt-out
    assert third.touch_number is None
    assert touch_world.providers.twilio.calls == 1


def test_a_bounced_address_disables_email(touch_world: TouchWorld) -> None:
    _, schedule_id = touch_world.new_lead()
    touch_world.providers.sendgrid.reject_address(touch_world.email)

    result = touch_world.dispatch(schedule_id)

    assert result.outcomes == {"sms": "sent", "email": "failed"}
    assert touch_world.schedule(schedule_id).enabled_channels == {Channel.SMS}


def test_a_lead_without_a_phone_gets_email_only(touch_world: TouchWorld) -> None:
    _, schedule_id = touch_world.new_lead(phone=None)

    result = touch_world.dispatch(schedule_id)

    assert result.outcomes == {"email": "sent"}
    assert touch_world.providers.twilio.outbox == []


def test_a_lead_created_at_23h_local_gets_touch_one_when_the_window_opens(
    shared_database_url: str, shared_providers: Providers
) -> None:
    eleven_pm_austin = datetime(2025, 6, 3, 4, 0, tzinfo=UTC)  # Monday 23:00 CDT
    with world_on(shared_database_url, shared_providers, start=eleven_pm_austin) as world:
        _, schedule_id = world.new_lead()

        at_arrival = world.dispatch(schedule_id)
        world.clock.advance(timedelta(hours=9, minutes=59))  # 08:59 Tuesday
        world.dispatch_due()
        before_opening = list(world.providers.twilio.outbox)
        world.clock.advance(timedelta(minutes=1))  # 09:00
        world.dispatch_due()

        assert at_arrival.touch_number is None
        assert before_opening == []
        [sms] = world.texts_to(world.phone)
        assert world.schedule(schedule_id).touches[0].claimed_at == datetime(2025, 6, 3, 14, 0, tzinfo=UTC)
        assert sms.to == world.phone


class _Crash(BaseException):
    """Stands for the process dying in the middle of a send."""


def test_a_crash_after_twilio_took_the_text_is_swept_and_settled_sent_by_asking_twilio_never_resent(
    touch_world: TouchWorld,
) -> None:
    from leadorch.app.audit import lead_history
    from leadorch.app.console.timeline import sentence
    from leadorch.app.observability.metrics import REGISTRY
    from leadorch.app.touches.sweep import STALE_CLAIM_AFTER, sweep_stale_claims

    lead_id, schedule_id = touch_world.new_lead()
    real = touch_world.container.messenger
    labels = {"channel": "sms", "way": "confirmed_sent"}
    confirmed_before = REGISTRY.get_sample_value("leadorch_uncertain_settlements_total", labels) or 0.0

    class Dying:
        def send_sms(self, msg: object) -> object:
            real.send_sms(msg)  # type: ignore[arg-type]
            raise _Crash  # the provider took it; we die before recording

        def send_email(self, msg: object) -> object:
            raise AssertionError("never reached")

        def was_sms_accepted(self, *, to: str, body: str, since: datetime) -> object:
            return real.was_sms_accepted(to=to, body=body, since=since)

    touch_world.container.messenger = Dying()
    with pytest.raises(_Crash):
        touch_world.dispatch(schedule_id)
    touch_world.container.messenger = real

    touch_world.clock.advance(timedelta(minutes=1))
    assert sweep_stale_claims(touch_world.container) == 0  # not stale yet: might still be running
    assert touch_world.dispatch(schedule_id).note == "nothing due"
    touch_world.clock.advance(STALE_CLAIM_AFTER)
    touch_world.catch_up()
    assert sweep_stale_claims(touch_world.container) == 1
    touch_world.catch_up()

    [sms] = touch_world.texts_to(touch_world.phone)  # the dead worker's, and no other
    schedule = touch_world.schedule(schedule_id)
    assert schedule.touches[0].outcomes == {
        Channel.SMS: TouchOutcome.SENT,  # Twilio listed it: confirmed sent
        Channel.EMAIL: TouchOutcome.UNCERTAIN,  # never handed to SendGrid, and SendGrid can't say "not sent"
    }
    assert schedule.claimed is None and schedule.next_touch_number == 2
    assert touch_world.emails_to(touch_world.email) == []
    answers = [
        e for e in lead_history(touch_world.container.store, lead_id).entries if e.event == "ProviderAnswered"
    ]
    [answered] = [e for e in answers if e.data["channel"] == "sms"]
    assert [(e.data["channel"], e.data["answer"]) for e in answers if e is not answered] == [
        ("email", "unknown")
    ]
    assert answered.data["channel"] == "sms"
    assert answered.data["answer"] == "confirmed_sent"
    assert answered.data["provider_message_id"] == sms.sid
    assert sentence(answered.aggregate, answered.event, answered.data, None) == (
        "Touch 1 by text: the provider confirmed it went out."
    )
    confirmed = REGISTRY.get_sample_value("leadorch_uncertain_settlements_total", labels) or 0.0
    assert confirmed == confirmed_before + 1
    assert sweep_stale_claims(touch_world.container) == 0  # settled: a second sweep finds nothing
    assert len(touch_world.texts_to(touch_world.phone)) == 1
    assert touch_world.dispatch(schedule_id).note == "nothing due"


def test_demo_mode_suppresses_recipients_outside_the_allow_list(
    shared_database_url: str, shared_providers: Providers
) -> None:

    with world_on(shared_database_url, shared_providers, demo_mode=True) as world:
        world.container.config.allow_address(world.tenant_id, world.email, actor="test")
        allowed_lead, allowed = world.new_lead()
        stranger_lead, stranger = world.new_lead(email="stranger@example.com", phone="+17375559876")

        first = world.dispatch(allowed)
        second = world.dispatch(stranger)

        assert first.outcomes == {"sms": "suppressed", "email": "sent"}
        assert second.outcomes == {"sms": "suppressed", "email": "suppressed"}
        assert len(world.emails_to(world.email)) == 1
        assert world.providers.twilio.outbox == []
        assert world.emails_to("stranger@example.com") == []
        assert world.schedule(stranger).touches[0].outcomes == {
            Channel.EMAIL: TouchOutcome.SUPPRESSED,
            Channel.SMS: TouchOutcome.SUPPRESSED,
        }
        assert world.lead(allowed_lead).status is LeadStatus.CONTACTING
        assert world.lead(stranger_lead).status is LeadStatus.NEW  # nobody was actually contacted


def test_a_reply_saved_while_a_message_is_on_its_way_is_kept_and_the_outcome_still_recorded(
    touch_world: TouchWorld,
) -> None:
    """Dispatch records outcomes on the schedule and lead it claimed with; a change made meanwhile by
    someone else makes that save lose its race, and the outcome is recorded on fresh copies instead."""
    lead_id, schedule_id = touch_world.new_lead()
    touch_world.providers.twilio.stall_next(0.6)  # the SMS is accepted, its answer takes a while
    replier = threading.Timer(
        0.2,
        lambda: record_reply(
            touch_world.container, touch_world.tenant_id, lead_id, Channel.EMAIL, "Tuesday?"
        ),
    )
    replier.start()

    result = touch_world.dispatch(schedule_id)
    replier.join()

    assert result.outcomes["sms"] == "sent"
    lead = touch_world.lead(lead_id)
    assert lead.status is LeadStatus.ENGAGED, "the reply saved meanwhile is not lost"
    touch = touch_world.schedule(schedule_id).touches[0]
    assert touch.outcomes[Channel.SMS] is TouchOutcome.SENT
    assert touch.provider_message_ids[Channel.SMS] == touch_world.texts_to(touch_world.phone)[0].sid
