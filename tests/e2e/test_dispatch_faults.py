"""Faults during dispatch: the worker killed mid-send, Redis restarted mid-run.

The worker here is the real `leadorch worker` command in its own process, killed with SIGKILL at a random
moment while it dispatches (the providers answer slowly, so kills land before, during and after sends).
Whatever happens, no message may reach a provider twice, and every claimed touch must end sent, failed
or uncertain. Redis is a server of the test's own, killed and restarted with its queues lost: due
touches must still go out, because the schedule lives in the event store and the tick finds it again.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.cadence_driver import CadenceDriver, running_worker
from tests.support.redis_process import RedisProcess, redis_process
from tests.support.touch_world import Providers, TouchWorld, start_providers, touch_of_text, touch_world

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.touches.actors import DISPATCH_TOUCH
from leadorch.app.touches.sweep import STALE_CLAIM_AFTER, sweep_stale_claims
from leadorch.app.touches.tick import RecentlyEnqueued
from leadorch.app.worker.runtime import build_runtime
from leadorch.domain.touches import TouchOutcome
from leadorch.domain.values import Channel

ROOT = Path(__file__).resolve().parents[2]
TRIALS = 15
LEADS_PER_TRIAL = 3
SETTLED = {TouchOutcome.SENT, TouchOutcome.FAILED, TouchOutcome.UNCERTAIN}


def zone_at_midday(now: datetime) -> str:
    """A fixed-offset IANA zone where it is about noon now, so the real-time worker is inside the window."""
    offset = (12 - now.astimezone(UTC).hour) % 24
    if offset > 14:
        offset -= 24
    # POSIX-style names: Etc/GMT-5 is UTC+5.
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


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


def worker_env(world: TouchWorld) -> dict[str, str]:
    settings = world.container.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LEADORCH_", "SENDGRID_", "TWILIO_"))}
    env.update(
        {
            "DATABASE_URL": settings.database_url,
            "REDIS_URL": str(settings.redis_url),
            "SENDGRID_API_KEY": str(settings.sendgrid_api_key),
            "SENDGRID_HOST": settings.sendgrid_host,
            "TWILIO_ACCOUNT_SID": str(settings.twilio_account_sid),
            "TWILIO_AUTH_TOKEN": str(settings.twilio_auth_token),
            "TWILIO_BASE_URL": str(settings.twilio_base_url),
            "LEADORCH_PUBLIC_BASE_URL": settings.public_base_url,
            "LEADORCH_LOG_LEVEL": "WARNING",
        }
    )
    return env


class WorkerLauncher:
    """Starts `leadorch worker` processes on demand (forked from a process that imported them once)."""

    def __init__(self, world: TouchWorld) -> None:
        self._zygote = subprocess.Popen(
            [sys.executable, "-m", "tests.support.touch_worker", "--threads", "2", "--no-scheduler"],
            env=worker_env(world),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        assert self._readline() == "ready"

    def _readline(self) -> str:
        assert self._zygote.stdout is not None
        return self._zygote.stdout.readline().decode().strip()

    def start(self) -> int:
        assert self._zygote.stdin is not None
        self._zygote.stdin.write(b"go\n")
        self._zygote.stdin.flush()
        return int(self._readline())

    def close(self) -> None:
        self._zygote.kill()
        self._zygote.wait(timeout=30)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def kill(pid: int) -> None:
    """SIGKILL the worker and wait until it is gone (its parent reaps it)."""
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while alive(pid):
        assert time.monotonic() < deadline, f"worker {pid} did not die"
        time.sleep(0.01)


def wait_until_consuming(runtime: Any, worker: int, timeout: float = 60.0) -> None:
    """Send a no-op dispatch and wait until the worker fetched it: then it is up and consuming.

    (Only the waiting list is watched: messages a killed worker had fetched stay in its unacked set
    until Dramatiq notices the missing heartbeat, which the touch engine does not rely on.)
    """
    import redis as redis_client

    runtime.send(DISPATCH_TOUCH.name, "nobody", "not-a-schedule")
    waiting = redis_client.Redis.from_url(runtime.container.settings.redis_url)
    deadline = time.monotonic() + timeout
    while waiting.llen("dramatiq:default") != 0:
        assert alive(worker), "the worker process exited"
        assert time.monotonic() < deadline, "the worker did not start consuming"
        time.sleep(0.02)


def finish_with_a_healthy_worker(
    world: TouchWorld, runtime: Any, launcher: WorkerLauncher, schedules: list[str]
) -> None:
    """A worker nobody kills, and the tick, take every touch that was never claimed to its outcome."""
    from leadorch.app.touches.actors import tick_due_touches

    worker = launcher.start()
    started = world.clock.now()
    try:
        wait_until_consuming(runtime, worker)
        deadline = time.monotonic() + 120
        while True:
            world.catch_up()
            world.container.recently_enqueued = RecentlyEnqueued()
            tick_due_touches(world.container)
            time.sleep(0.5)
            pending = []
            for schedule_id in schedules:
                schedule = world.schedule(schedule_id)
                live_claim = schedule.claimed is not None and schedule.claimed.claimed_at >= started
                if not schedule.touches or live_claim:
                    pending.append(schedule_id)
            if not pending:
                return
            assert time.monotonic() < deadline, f"touches never dispatched: {pending}"
    finally:
        kill(worker)


def duplicates(world: TouchWorld) -> list[tuple[str, ...]]:
    """Messages a provider received more than once for the same touch and channel."""
    keys = [("email", mail.custom_args["idempotency_key"]) for mail in world.providers.sendgrid.outbox]
    keys += [("sms", sms.to, str(touch_of_text(sms))) for sms in world.providers.twilio.outbox]
    return [key for key, count in Counter(keys).items() if count > 1]


@pytest.mark.slow
def test_killing_the_worker_mid_dispatch_never_doubles_a_message_and_leaves_no_touch_unresolved(
    pg_url: str, redis: RedisProcess, providers: Providers
) -> None:
    rng = random.Random(20250602)
    clock = AdjustableClock()  # real time, as the worker process reads it, plus what the test adds
    zone = zone_at_midday(clock.now())
    with touch_world(pg_url, redis_url=redis.url, providers=providers, clock=clock, time_zone=zone) as world:
        runtime = build_runtime(world.container)  # only to enqueue: this process runs no worker
        schedules: list[str] = []
        kills = 0
        launcher = WorkerLauncher(world)
        for trial in range(TRIALS):
            worker = launcher.start()
            try:
                wait_until_consuming(runtime, worker)
                providers.sendgrid.stall_next(rng.uniform(0.02, 0.25), count=LEADS_PER_TRIAL)
                providers.twilio.stall_next(rng.uniform(0.02, 0.25), count=LEADS_PER_TRIAL)
                for n in range(LEADS_PER_TRIAL):
                    # Toll-free numbers place nobody: the shop's midday zone is the recipient's too.
                    world.email, world.phone = f"k{trial}.{n}@example.com", f"+1800556{trial:02d}{n:02d}"
                    _, schedule_id = world.new_lead()
                    schedules.append(schedule_id)
                    runtime.send(DISPATCH_TOUCH.name, world.tenant_id, schedule_id)
                time.sleep(rng.uniform(0.0, 0.8))
            finally:
                if alive(worker):
                    kill(worker)
                    kills += 1
        finish_with_a_healthy_worker(world, runtime, launcher, schedules)
        launcher.close()
        world.catch_up()
        clock.advance(STALE_CLAIM_AFTER + timedelta(seconds=1))
        swept = sweep_stale_claims(world.container)
        runtime.broker.close()

        assert kills == TRIALS
        assert duplicates(world) == []
        emailed = {mail.custom_args["idempotency_key"] for mail in providers.sendgrid.outbox}
        texted = {(sms.to, touch_of_text(sms)) for sms in providers.twilio.outbox}
        reached = {TouchOutcome.SENT, TouchOutcome.UNCERTAIN}
        for schedule_id in schedules:
            schedule = world.schedule(schedule_id)
            assert schedule.claimed is None, f"{schedule_id} still has a claim in flight"
            [first] = schedule.touches
            assert set(first.outcomes) == first.channels == {Channel.EMAIL, Channel.SMS}
            assert set(first.outcomes.values()) <= SETTLED
            # A message a provider holds is recorded as sent or uncertain, never as not sent.
            phone = world.lead(schedule.lead_id).contact.phone
            if f"{schedule_id}:1:email" in emailed:
                assert first.outcomes[Channel.EMAIL] in reached
            if (phone, 1) in texted:
                assert first.outcomes[Channel.SMS] in reached
        print(
            f"\n{kills} kills, {swept} claims swept as uncertain, {len(emailed)} emails, {len(texted)} texts"
        )


def test_due_touches_still_go_out_when_redis_restarts_and_loses_its_queues(
    pg_url: str, redis: RedisProcess
) -> None:
    with touch_world(pg_url, redis_url=redis.url) as world:
        leads = []
        for n in range(4):
            world.email, world.phone = f"r{n}@example.com", f"+17375557{n:03d}"
            leads.append(world.new_lead())
        enqueuer = build_runtime(world.container)
        for _, schedule_id in leads:
            enqueuer.send(DISPATCH_TOUCH.name, world.tenant_id, schedule_id)
        enqueuer.broker.close()

        redis.restart()  # before any worker ran: every queued dispatch is gone

        with running_worker(world) as driver:
            driver.settle()
            nothing_yet = len(world.providers.twilio.outbox)
            driver.tick()
            after_tick = len(world.providers.twilio.outbox)

            world.clock.advance(timedelta(days=1))
            redis.restart()  # mid-run, with the worker connected
            _tick_until_sent(driver, expected_emails=2 * len(leads))

        assert nothing_yet == 0
        assert after_tick == len(leads)
        for _, schedule_id in leads:
            assert [t.number for t in world.schedule(schedule_id).touches] == [1, 2]
        assert duplicates(world) == []


def _tick_until_sent(driver: CadenceDriver, *, expected_emails: int, timeout: float = 60.0) -> None:
    """Tick (as the scheduler would) until the emails went out; the worker reconnects to Redis by itself."""
    deadline = time.monotonic() + timeout
    while len(driver.world.providers.sendgrid.outbox) < expected_emails:
        assert time.monotonic() < deadline, "due touches did not go out after Redis restarted"
        try:
            driver.world.container.recently_enqueued = RecentlyEnqueued()
            driver.tick()
        except Exception:  # Redis still coming back: the scheduler would log and retry
            time.sleep(0.2)
