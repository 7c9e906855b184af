"""A text a dead worker may have sent is settled by asking Twilio: re-sent once when Twilio never took
it, left uncertain (and shown to staff) when Twilio cannot be asked.

The worker dies right after claiming touch 1, before its text reached Twilio. The sweep asks Twilio's
message list (`Messenger.was_sms_accepted`): nothing to the number since the claim, so the text's one
re-send is claimed in the same save and sent; two sweeps at once still send it once. With Twilio's list
unanswerable the text stays uncertain, on record as unknown, and the lead page shows it to staff.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from tests.support.touch_world import TouchWorld

from leadorch.app.audit import lead_history
from leadorch.app.console.lead_page import build_lead_page
from leadorch.app.observability.metrics import REGISTRY
from leadorch.app.touches.sweep import STALE_CLAIM_AFTER, sweep_stale_claims
from leadorch.domain.touches import TouchOutcome
from leadorch.domain.values import Channel


class _Crash(BaseException):
    """The worker dies (a BaseException, so nothing on the way catches it)."""


def crash_before_twilio_took_the_text(world: TouchWorld) -> tuple[str, str]:
    lead_id, schedule_id = world.new_lead(email=None)  # a text only
    real = world.container.messenger

    class Dying:
        def send_sms(self, msg: Any) -> Any:
            raise _Crash  # the worker dies before the request leaves

        def send_email(self, msg: Any) -> Any:
            raise AssertionError("no email address")

        def was_sms_accepted(self, **question: Any) -> Any:
            return real.was_sms_accepted(**question)

    world.container.messenger = Dying()  # type: ignore[assignment]
    try:
        with pytest.raises(_Crash):
            world.dispatch(schedule_id)
    finally:
        world.container.messenger = real
    world.clock.advance(STALE_CLAIM_AFTER + timedelta(seconds=1))
    world.catch_up()
    return lead_id, schedule_id


def answers(world: TouchWorld, lead_id: str) -> list[tuple[str, str]]:
    return [
        (entry.data["channel"], entry.data["answer"])
        for entry in lead_history(world.container.store, lead_id).entries
        if entry.event == "ProviderAnswered"
    ]


def settlements(way: str) -> float:
    return (
        REGISTRY.get_sample_value("leadorch_uncertain_settlements_total", {"channel": "sms", "way": way})
        or 0.0
    )


def test_a_text_twilio_never_took_is_re_sent_once_even_when_two_sweeps_run_at_once(
    touch_world: TouchWorld,
) -> None:
    lead_id, schedule_id = crash_before_twilio_took_the_text(touch_world)
    before = settlements("confirmed_not_sent")

    sweeps = [threading.Thread(target=sweep_stale_claims, args=(touch_world.container,)) for _ in range(2)]
    for sweep in sweeps:
        sweep.start()
    for sweep in sweeps:
        sweep.join()
    touch_world.catch_up()
    sweep_stale_claims(touch_world.container)

    assert len(touch_world.texts_to(touch_world.phone)) == 1  # the one re-send
    assert touch_world.schedule(schedule_id).touches[0].outcomes == {Channel.SMS: TouchOutcome.SENT}
    assert answers(touch_world, lead_id) == [("sms", "confirmed_not_sent")]
    assert settlements("confirmed_not_sent") == before + 1


def test_with_twilio_unanswerable_the_text_stays_uncertain_on_record_and_shown_to_staff(
    touch_world: TouchWorld,
) -> None:
    lead_id, schedule_id = crash_before_twilio_took_the_text(touch_world)
    touch_world.providers.twilio.fail_lookups(503)
    try:
        assert sweep_stale_claims(touch_world.container) == 1
    finally:
        touch_world.providers.twilio.fail_lookups(None)
    touch_world.catch_up()

    assert touch_world.texts_to(touch_world.phone) == []  # never re-sent blind
    assert touch_world.schedule(schedule_id).touches[0].outcomes == {Channel.SMS: TouchOutcome.UNCERTAIN}
    assert answers(touch_world, lead_id) == [("sms", "unknown")]
    page = build_lead_page(touch_world.container, touch_world.tenant_id, lead_id, reveal=False)
    assert [row.uncertain for row in page.touches] == [True]  # the lead page shows staff it is unknown
