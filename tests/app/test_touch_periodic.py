"""The periodic jobs: the tick finds due touches in the read model, finished cadences become lost leads."""

from __future__ import annotations

from datetime import timedelta

from dramatiq import Message
from dramatiq.brokers.stub import StubBroker
from tests.support.touch_world import TouchWorld

from leadorch.app.leads import record_reply
from leadorch.app.touches.actors import DISPATCH_TOUCH, tick_due_touches
from leadorch.app.touches.lost import mark_lost_leads
from leadorch.app.touches.tick import REENQUEUE_AFTER_SECONDS, RecentlyEnqueued, tick_interval
from leadorch.app.worker.runtime import build_runtime
from leadorch.domain.schedule import DEFAULT_LOST_GRACE
from leadorch.domain.values import LeadStatus

TWO_TOUCHES = [{"number": 1, "day": 0, "channels": ["email"]}, {"number": 2, "day": 1, "channels": ["sms"]}]


def queued_dispatches(broker: StubBroker) -> list[tuple[str, str]]:
    queue = broker.queues["default"]
    messages = [Message.decode(raw) for raw in list(queue.queue)]
    return [tuple(m.args) for m in messages if m.actor_name == DISPATCH_TOUCH.name]  # type: ignore[misc]


def test_the_tick_enqueues_each_due_touch_once_until_it_may_have_been_lost(touch_world: TouchWorld) -> None:
    runtime = build_runtime(touch_world.container, broker=StubBroker())
    _, due_now = touch_world.new_lead()
    touch_world.clock.advance(timedelta(hours=1))
    touch_world.catch_up()

    first = tick_due_touches(touch_world.container)
    second = tick_due_touches(touch_world.container)

    assert (first, second) == (1, 0)
    assert queued_dispatches(runtime.broker) == [(touch_world.tenant_id, due_now)]
    recent = touch_world.container.recently_enqueued
    assert isinstance(recent, RecentlyEnqueued)
    assert recent.first_time(("x", "t"), 0.0) and not recent.first_time(
        ("x", "t"), REENQUEUE_AFTER_SECONDS - 1
    )
    assert recent.first_time(("x", "t"), REENQUEUE_AFTER_SECONDS + 1)
    runtime.broker.close()


def test_the_tick_is_never_slower_than_ten_seconds(touch_world: TouchWorld) -> None:
    slow = touch_world.container.settings.__class__(tick_interval_seconds=60)
    assert tick_interval(slow) == 10
    assert (
        tick_interval(touch_world.container.settings) == touch_world.container.settings.tick_interval_seconds
    )


def test_a_lead_whose_cadence_ran_out_is_lost_after_the_grace_and_only_once(touch_world: TouchWorld) -> None:
    touch_world.container.config.set_touch_plan(touch_world.tenant_id, TWO_TOUCHES, actor="test")
    lead_id, schedule_id = touch_world.new_lead()
    touch_world.dispatch(schedule_id)
    touch_world.clock.advance(timedelta(days=1))
    touch_world.dispatch(schedule_id)
    touch_world.catch_up()
    assert touch_world.schedule(schedule_id).is_finished

    before_grace = mark_lost_leads(touch_world.container)
    touch_world.clock.advance(DEFAULT_LOST_GRACE)
    touch_world.catch_up()
    after_grace = mark_lost_leads(touch_world.container)
    touch_world.catch_up()
    again = mark_lost_leads(touch_world.container)

    assert (before_grace, after_grace, again) == (0, 1, 0)
    assert touch_world.lead(lead_id).status is LeadStatus.LOST
    assert touch_world.schedule(schedule_id).is_stopped


def test_a_lead_that_answered_the_last_touch_is_not_lost(touch_world: TouchWorld) -> None:
    touch_world.container.config.set_touch_plan(touch_world.tenant_id, TWO_TOUCHES, actor="test")
    lead_id, schedule_id = touch_world.new_lead()
    touch_world.dispatch(schedule_id)
    touch_world.clock.advance(timedelta(days=1))
    touch_world.dispatch(schedule_id)
    touch_world.clock.advance(timedelta(hours=3))
    record_reply(touch_world.container, touch_world.tenant_id, lead_id, "sms", "Sounds good, Friday?")
    touch_world.clock.advance(DEFAULT_LOST_GRACE)
    touch_world.catch_up()

    assert mark_lost_leads(touch_world.container) == 0
    assert touch_world.lead(lead_id).status is LeadStatus.ENGAGED
