"""After a crash, nothing lost and nothing doubled: random SIGKILLs of the real worker over ten bursts of
new leads, with providers that answer after 0.5 s, then the touches the dead workers left uncertain are
settled by asking the providers (issue 17).

Each burst starts a `leadorch worker` process (forked from one that imported everything once, so kills
land in dispatching, not in Python's start-up), creates leads whose touch 1 goes by email and text,
enqueues their dispatch and kills the worker at a random moment while the stand-ins take 0.5 s to answer.
A healthy worker then dispatches what was never claimed; the sweep (the test's clock past the stale age)
marks the dead workers' claims uncertain and settles each by asking: Twilio's message list for a text,
SendGrid's Event Webhook (the stand-in posts its signed events, shuffled, one repeated) for an email,
and the periodic re-send of an email SendGrid never took once the wait for its events is over.

Promised at the end: no message reached a provider twice; every customer got touch 1 on both channels
exactly once (none lost, since the stand-ins answer the look-ups); no touch is left uncertain; and every
settlement is on record (`ProviderAnswered`). That a delivery held by a killed worker becomes a lead
within a minute is `tests/app/test_worker_liveness_process.py`.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from tests.e2e.test_dispatch_faults import (
    WorkerLauncher,
    alive,
    duplicates,
    finish_with_a_healthy_worker,
    kill,
    wait_until_consuming,
    zone_at_midday,
)
from tests.support.redis_process import RedisProcess, redis_process
from tests.support.touch_world import Providers, start_providers, touch_of_text, touch_world

from leadorch.adapters.clocks import AdjustableClock
from leadorch.adapters.sendgrid_events import parse_events
from leadorch.adapters.standins.sendgrid_events import EventWebhookPoster
from leadorch.app.touches.actors import DISPATCH_TOUCH
from leadorch.app.touches.email_event_intake import receive_email_events
from leadorch.app.touches.settle import EMAIL_EVENT_WAIT, settle_waiting_emails
from leadorch.app.touches.sweep import STALE_CLAIM_AFTER, sweep_stale_claims
from leadorch.app.worker.runtime import build_runtime
from leadorch.domain.touches import TouchOutcome
from leadorch.domain.values import Channel

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(300)]

BURSTS = 10
LEADS_PER_BURST = 4
PROVIDER_LATENCY = 0.5


@pytest.fixture
def redis() -> Iterator[RedisProcess]:
    with redis_process() as server:
        yield server


@pytest.fixture
def providers() -> Iterator[Providers]:
    providers = start_providers()
    try:
        yield providers
    finally:
        providers.stop()


def test_sigkills_over_ten_bursts_lose_nothing_and_double_nothing_once_the_providers_are_asked(
    pg_url: str, redis: RedisProcess, providers: Providers
) -> None:
    rng = random.Random(20261203)
    clock = AdjustableClock()  # real time, as the worker processes read it, plus what the test adds
    zone = zone_at_midday(clock.now())
    poster = EventWebhookPoster("http://unused")
    with touch_world(
        pg_url,
        redis_url=redis.url,
        providers=providers,
        clock=clock,
        time_zone=zone,
        sendgrid_event_webhook_public_key=poster.public_key,
    ) as world:
        runtime = build_runtime(world.container)  # only to enqueue: this process runs no worker
        schedules: list[str] = []
        kills = 0
        launcher = WorkerLauncher(world)
        try:
            for burst in range(BURSTS):
                worker = launcher.start()
                try:
                    wait_until_consuming(runtime, worker)
                    providers.sendgrid.stall_next(PROVIDER_LATENCY, count=LEADS_PER_BURST)
                    providers.twilio.stall_next(PROVIDER_LATENCY, count=LEADS_PER_BURST)
                    for n in range(LEADS_PER_BURST):
                        # Toll-free numbers place nobody: the shop's midday zone is the recipient's too.
                        world.email, world.phone = f"c{burst}.{n}@example.com", f"+1800557{burst:02d}{n:02d}"
                        _, schedule_id = world.new_lead()
                        schedules.append(schedule_id)
                        runtime.send(DISPATCH_TOUCH.name, world.tenant_id, schedule_id)
                    time.sleep(rng.uniform(0.0, 1.5))  # before, during or after the 0.5 s answers
                finally:
                    if alive(worker):
                        kill(worker)
                        kills += 1
            finish_with_a_healthy_worker(world, runtime, launcher, schedules)
        finally:
            launcher.close()

        # What SendGrid's Event Webhook reports of every email it took (batched, shuffled, one repeated).
        for mail in list(providers.sendgrid.outbox):
            receive_email_events(world.container, parse_events(poster.batch(poster.events_for(mail))))
        world.catch_up()
        clock.advance(STALE_CLAIM_AFTER + timedelta(seconds=1))
        swept = sweep_stale_claims(world.container)  # asks Twilio; reads SendGrid's recorded events
        world.catch_up()
        clock.advance(EMAIL_EVENT_WAIT)
        resent_emails = settle_waiting_emails(world.container)  # an email SendGrid never took
        world.catch_up()
        runtime.broker.close()

        assert kills == BURSTS
        assert duplicates(world) == []
        emailed = Counter(mail.custom_args["idempotency_key"] for mail in providers.sendgrid.outbox)
        texted = Counter((sms.to, touch_of_text(sms)) for sms in providers.twilio.outbox)
        lost, uncertain = [], []
        for schedule_id in schedules:
            schedule = world.schedule(schedule_id)
            assert schedule.claimed is None, f"{schedule_id} still has a claim in flight"
            [first] = schedule.touches
            phone = world.lead(schedule.lead_id).contact.phone
            if emailed[f"{schedule_id}:1:email"] != 1 or texted[(phone, 1)] != 1:
                lost.append(schedule_id)
            uncertain += [c for c, outcome in first.outcomes.items() if outcome is TouchOutcome.UNCERTAIN]
            assert set(first.outcomes) == {Channel.EMAIL, Channel.SMS}
        assert lost == [], f"customers without touch 1 on both channels exactly once: {lost}"
        assert uncertain == [], f"touches left uncertain although the providers answered: {uncertain}"
        print(
            f"\n{kills} kills, {swept} claims swept, {resent_emails} emails settled after the wait, "
            f"{sum(emailed.values())} emails and {sum(texted.values())} texts for {len(schedules)} leads"
        )
