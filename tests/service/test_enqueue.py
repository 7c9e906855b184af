"""`enqueue` and `enqueue_each`: a job goes to the workers, or is done now, and a broker outage loses none."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from leadorch.app.worker.enqueue import enqueue, enqueue_each
from leadorch.app.worker.specs import ActorSpec

ran: list[tuple[Any, ...]] = []
JOB = ActorSpec("a_test_job", lambda container, *args: ran.append(args))


class Runtime:
    """The worker runtime as `enqueue` sees it: its actors and `send`; fails from the `fail_at`-th send."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.actors = {JOB.name: None}
        self.sent: list[tuple[Any, ...]] = []
        self.fail_at = fail_at

    def send(self, name: str, *args: Any) -> None:
        if self.fail_at is not None and len(self.sent) >= self.fail_at:
            raise ConnectionError("broker down")
        self.sent.append((name, *args))


def container(runtime: Runtime | None) -> Any:
    ran.clear()
    return SimpleNamespace(runtime=runtime)


def test_with_workers_each_job_is_sent_to_them_in_order() -> None:
    runtime = Runtime()
    enqueue_each(container(runtime), JOB, [("a",), ("b",)])

    assert runtime.sent == [(JOB.name, "a"), (JOB.name, "b")] and ran == []


def test_without_workers_the_jobs_run_here_or_wait_for_their_sweep() -> None:
    world = container(None)
    enqueue(world, JOB, "a")
    assert ran == [("a",)]

    world = container(None)
    enqueue_each(world, JOB, [("b",)], inline=False)
    assert ran == []


def test_a_broker_that_fails_mid_batch_leaves_the_rest_to_run_here_or_to_their_sweep() -> None:
    runtime = Runtime(fail_at=1)
    enqueue_each(container(runtime), JOB, [("a",), ("b",), ("c",)])
    assert runtime.sent == [(JOB.name, "a")] and ran == [("b",), ("c",)]

    runtime = Runtime(fail_at=1)
    enqueue_each(container(runtime), JOB, [("a",), ("b",), ("c",)], inline=False)
    assert runtime.sent == [(JOB.name, "a")] and ran == []
