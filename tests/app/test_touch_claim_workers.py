"""A touch claimed by a worker that died is swept within a minute; a live dispatch is never swept; a
claim whose worker is not known keeps the long bound (`app/touches/claim_workers.py`, `sweep.py`).

Time is simulated on two clocks moved together: the business clock the claims are made on, and the
wall clock the worker's beats are written on (`app/worker/liveness.py`). On SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from tests.support.touch_world import TouchWorld

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.touches.actors import SWEEP_INTERVAL_SECONDS
from leadorch.app.touches.dispatch import DispatchResult
from leadorch.app.touches.sweep import STALE_CLAIM_AFTER, sweep_stale_claims
from leadorch.app.worker.liveness import DEAD_AFTER, WorkerLiveness
from leadorch.domain.touches import TouchOutcome
from leadorch.domain.values import Channel

SWEEP_EVERY = timedelta(seconds=SWEEP_INTERVAL_SECONDS)


class Killed(BaseException):
    """Stands for the SIGKILL: nothing after it runs, nothing catches it."""


class Worker:
    """The world's container as a worker process: registered, beating only when told to."""

    def __init__(self, world: TouchWorld) -> None:
        self.world = world
        self.beats = AdjustableClock(datetime.now(UTC))
        self.liveness = WorkerLiveness(world.container.db, self.beats)

    def elapse(self, delta: timedelta, *, beating: bool) -> None:
        self.world.clock.advance(delta)
        self.beats.advance(delta)
        if beating:
            self.liveness.beat()

    def sweep(self) -> None:
        """One run of the periodic sweep (by any worker: they all read the same beats)."""
        self.world.catch_up()
        sweep_stale_claims(self.world.container)
        self.world.catch_up()


@pytest.fixture
def worker(touch_world: TouchWorld) -> Iterator[Worker]:
    built = Worker(touch_world)
    own = touch_world.container.liveness
    touch_world.container.liveness = built.liveness
    try:
        yield built
    finally:
        touch_world.container.liveness = own


def killed_while_sending(world: TouchWorld, schedule_id: str) -> None:
    real = world.container.messenger

    class Dying:
        def send_sms(self, msg: object) -> object:
            raise Killed  # inside the send: whether the provider took it, nobody knows

        def send_email(self, msg: object) -> object:
            raise AssertionError("never reached")

    world.container.messenger = Dying()  # type: ignore[assignment]
    try:
        with pytest.raises(Killed):
            world.dispatch(schedule_id)
    finally:
        world.container.messenger = real


def in_flight(world: TouchWorld, schedule_id: str) -> bool:
    return world.schedule(schedule_id).claimed is not None


def test_a_touch_claimed_by_a_worker_that_died_is_swept_uncertain_within_a_minute(
    touch_world: TouchWorld, worker: Worker
) -> None:
    worker.liveness.register()
    _, schedule_id = touch_world.new_lead()
    killed_while_sending(touch_world, schedule_id)

    waited = timedelta()
    while in_flight(touch_world, schedule_id):
        assert waited < timedelta(minutes=1), "the dead worker's claim was not swept within a minute"
        worker.elapse(SWEEP_EVERY, beating=False)
        waited += SWEEP_EVERY
        worker.sweep()

    assert waited > DEAD_AFTER, "swept only once the worker had been silent for DEAD_AFTER"
    schedule = touch_world.schedule(schedule_id)
    # Swept, then settled with the providers (`settle.py`): Twilio never took the text, so it went once.
    assert schedule.touches[0].outcomes == {
        Channel.SMS: TouchOutcome.SENT,
        Channel.EMAIL: TouchOutcome.UNCERTAIN,
    }
    assert len(touch_world.texts_to(touch_world.phone)) == 1


def test_a_live_dispatch_is_never_swept_however_long_its_provider_takes(
    touch_world: TouchWorld, worker: Worker
) -> None:
    worker.liveness.register()
    _, schedule_id = touch_world.new_lead()
    real = touch_world.container.messenger
    sending, answer = threading.Event(), threading.Event()

    class Slow:
        def send_sms(self, msg: object) -> object:
            sending.set()
            assert answer.wait(timeout=30)
            return real.send_sms(msg)  # type: ignore[arg-type]

        def send_email(self, msg: object) -> object:
            return real.send_email(msg)  # type: ignore[arg-type]

    touch_world.container.messenger = Slow()  # type: ignore[assignment]
    results: list[DispatchResult] = []
    dispatch = threading.Thread(target=lambda: results.append(touch_world.dispatch(schedule_id)))
    dispatch.start()
    try:
        assert sending.wait(timeout=30)
        waited = timedelta()
        while waited + SWEEP_EVERY < STALE_CLAIM_AFTER:
            worker.elapse(SWEEP_EVERY, beating=True)
            waited += SWEEP_EVERY
            worker.sweep()
            assert in_flight(touch_world, schedule_id), f"a live dispatch was swept after {waited}"
    finally:
        answer.set()
        dispatch.join(timeout=30)
        touch_world.container.messenger = real

    [result] = results
    assert result.outcomes == {"sms": "sent", "email": "sent"}
    assert touch_world.schedule(schedule_id).touches[0].outcomes == {
        Channel.SMS: TouchOutcome.SENT,
        Channel.EMAIL: TouchOutcome.SENT,
    }


def test_a_claim_whose_worker_is_not_known_is_swept_only_after_the_long_bound(
    touch_world: TouchWorld, worker: Worker
) -> None:
    assert worker.liveness.worker_id is None  # a process that runs no worker dispatched it
    _, schedule_id = touch_world.new_lead()
    killed_while_sending(touch_world, schedule_id)

    worker.elapse(STALE_CLAIM_AFTER - SWEEP_EVERY, beating=False)
    worker.sweep()
    assert in_flight(touch_world, schedule_id)
    worker.elapse(SWEEP_EVERY, beating=False)
    worker.sweep()

    assert not in_flight(touch_world, schedule_id)
    assert touch_world.schedule(schedule_id).touches[0].outcomes[Channel.EMAIL] is TouchOutcome.UNCERTAIN
    assert len(touch_world.texts_to(touch_world.phone)) == 1, "settled with Twilio: sent once"
