"""An email a dead worker may have sent is settled by SendGrid's Event Webhook, never re-sent blind.

A worker dies after SendGrid took touch 1's email and before recording it: the sweep marks the email
uncertain and records that SendGrid has said nothing yet (unknown, shown to staff). SendGrid's signed
events for the email's idempotency key, posted to `/webhooks/sendgrid/events` as the stand-in posts
them (batched, shuffled, one event repeated), settle it as sent; a repeated post changes nothing; an
unsigned or tampered post is refused and records nothing. Events that came before the sweep settle it
at the sweep.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from tests.support.touch_world import TouchWorld

from leadorch.adapters.standins.sendgrid_events import EventWebhookPoster
from leadorch.app.audit import lead_history
from leadorch.app.touches.email_events import EmailEvents
from leadorch.app.touches.settle import EMAIL_EVENT_WAIT, settle_waiting_emails
from leadorch.app.touches.sweep import STALE_CLAIM_AFTER, sweep_stale_claims
from leadorch.domain.touches import TouchOutcome
from leadorch.domain.values import Channel

PATH = "/webhooks/sendgrid/events"


class _Crash(BaseException):
    """The worker dies (a BaseException, so nothing on the way catches it)."""


@pytest.fixture
def poster(touch_world: TouchWorld) -> Iterator[EventWebhookPoster]:
    poster = EventWebhookPoster("http://unused")
    settings = touch_world.container.settings
    touch_world.container.settings = msgspec.structs.replace(
        settings, sendgrid_event_webhook_public_key=poster.public_key
    )
    yield poster
    touch_world.container.settings = settings


def crash_after_sendgrid_took_the_email(world: TouchWorld, *, taken: bool = True) -> tuple[str, str]:
    lead_id, schedule_id = world.new_lead()
    real = world.container.messenger

    class Dying:
        def send_sms(self, msg: Any) -> Any:
            return real.send_sms(msg)

        def send_email(self, msg: Any) -> Any:
            if taken:
                real.send_email(msg)
            raise _Crash  # SendGrid took it (or the request never left); the worker dies before recording

        def was_sms_accepted(self, **question: Any) -> Any:
            return real.was_sms_accepted(**question)

    world.container.messenger = Dying()  # type: ignore[assignment]
    try:
        with pytest.raises(_Crash):
            world.dispatch(schedule_id)
    finally:
        world.container.messenger = real
    return lead_id, schedule_id


def sweep(world: TouchWorld) -> None:
    world.clock.advance(STALE_CLAIM_AFTER + timedelta(seconds=1))
    world.catch_up()
    assert sweep_stale_claims(world.container) == 1
    world.catch_up()


def answers(world: TouchWorld, lead_id: str) -> list[tuple[str, str]]:
    return [
        (entry.data["channel"], entry.data["answer"])
        for entry in lead_history(world.container.store, lead_id).entries
        if entry.event == "ProviderAnswered"
    ]


def email_outcome(world: TouchWorld, schedule_id: str) -> TouchOutcome:
    return world.schedule(schedule_id).touches[0].outcomes[Channel.EMAIL]


def test_sendgrids_events_settle_an_uncertain_email_as_sent_once_and_nothing_is_sent_again(
    touch_world: TouchWorld, touch_client: Any, poster: EventWebhookPoster
) -> None:
    lead_id, schedule_id = crash_after_sendgrid_took_the_email(touch_world)
    sweep(touch_world)
    assert email_outcome(touch_world, schedule_id) is TouchOutcome.UNCERTAIN
    assert ("email", "unknown") in answers(touch_world, lead_id)  # SendGrid said nothing yet: shown as such

    [mail] = touch_world.emails_to(touch_world.email)
    body = poster.batch(poster.events_for(mail))
    first = touch_client.post(PATH, content=body, headers=poster.headers(body))
    again = touch_client.post(PATH, content=body, headers=poster.headers(body))

    assert first.status_code == 200 and first.json() == {"recorded": 2, "settled": 1}
    assert again.status_code == 200 and again.json() == {"recorded": 0, "settled": 0}
    assert email_outcome(touch_world, schedule_id) is TouchOutcome.SENT
    assert answers(touch_world, lead_id).count(("email", "confirmed_sent")) == 1
    assert len(touch_world.emails_to(touch_world.email)) == 1  # never re-sent
    assert touch_world.dispatch(schedule_id).note == "nothing due"


def test_events_recorded_before_the_sweep_settle_the_email_at_the_sweep(
    touch_world: TouchWorld, touch_client: Any, poster: EventWebhookPoster
) -> None:
    lead_id, schedule_id = crash_after_sendgrid_took_the_email(touch_world)
    [mail] = touch_world.emails_to(touch_world.email)
    body = poster.batch(poster.events_for(mail, kinds=("processed",)), repeat_one=False)
    early = touch_client.post(PATH, content=body, headers=poster.headers(body))

    sweep(touch_world)

    assert early.json() == {"recorded": 1, "settled": 0}  # the claim was not uncertain yet
    assert email_outcome(touch_world, schedule_id) is TouchOutcome.SENT
    assert ("email", "confirmed_sent") in answers(touch_world, lead_id)


def test_an_unsigned_tampered_or_unverifiable_post_is_refused_and_records_nothing(
    touch_world: TouchWorld, touch_client: Any, poster: EventWebhookPoster
) -> None:
    _, schedule_id = crash_after_sendgrid_took_the_email(touch_world)
    sweep(touch_world)
    [mail] = touch_world.emails_to(touch_world.email)
    body = poster.batch(poster.events_for(mail), repeat_one=False)
    key = mail.custom_args["idempotency_key"]

    unsigned = touch_client.post(PATH, content=body, headers={"Content-Type": "application/json"})
    tampered_body = body.replace(b"delivered", b"dropped")
    tampered = touch_client.post(
        PATH, content=tampered_body, headers=poster.headers(tampered_body, sign_with=body)
    )
    stranger = EventWebhookPoster("http://unused")
    foreign = touch_client.post(PATH, content=body, headers=stranger.headers(body))
    not_events = touch_client.post(PATH, content=b'{"a": 1}', headers=poster.headers(b'{"a": 1}'))

    assert [r.status_code for r in (unsigned, tampered, foreign)] == [403, 403, 403]
    assert "headers are required" in unsigned.json()["detail"]
    assert not_events.status_code == 400 and "array of events" in not_events.json()["detail"]
    assert EmailEvents(touch_world.container.db).of_key(key) == []
    assert email_outcome(touch_world, schedule_id) is TouchOutcome.UNCERTAIN


def test_without_a_verification_key_the_webhook_is_refused(
    touch_world: TouchWorld, touch_client: Any
) -> None:
    response = touch_client.post(PATH, content=b"[]", headers={"Content-Type": "application/json"})

    assert response.status_code == 403
    assert "SENDGRID_EVENT_WEBHOOK_PUBLIC_KEY" in response.json()["detail"]


def test_an_email_sendgrid_never_took_is_re_sent_once_after_the_wait_for_its_events(
    touch_world: TouchWorld, poster: EventWebhookPoster
) -> None:
    lead_id, schedule_id = crash_after_sendgrid_took_the_email(touch_world, taken=False)
    sweep(touch_world)

    early = settle_waiting_emails(touch_world.container)
    touch_world.clock.advance(EMAIL_EVENT_WAIT)
    touch_world.catch_up()
    settled = settle_waiting_emails(touch_world.container)
    touch_world.catch_up()
    again = settle_waiting_emails(touch_world.container)

    assert early == 0 and again == 0
    assert settled >= 1  # this one (the module's database may hold other tests' waiting emails)
    assert len(touch_world.emails_to(touch_world.email)) == 1  # the one re-send, and no other
    assert email_outcome(touch_world, schedule_id) is TouchOutcome.SENT
    assert ("email", "confirmed_not_sent") in answers(touch_world, lead_id)


def test_without_the_event_webhook_an_uncertain_email_is_never_re_sent(touch_world: TouchWorld) -> None:
    _, schedule_id = crash_after_sendgrid_took_the_email(touch_world, taken=False)
    sweep(touch_world)
    touch_world.clock.advance(EMAIL_EVENT_WAIT * 3)
    touch_world.catch_up()

    assert settle_waiting_emails(touch_world.container) == 0
    assert touch_world.emails_to(touch_world.email) == []
    assert email_outcome(touch_world, schedule_id) is TouchOutcome.UNCERTAIN
