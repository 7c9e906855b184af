"""The one way to hand a job to the background workers, or do it now when this process has none.

Every job is named by its `ActorSpec` constant (declared beside the job's function). The API and the
worker enqueue through the Dramatiq runtime (`container.runtime`). A process
without one (the CLI, a script, a test that did not start workers) runs the job inline instead, and so
does a process whose broker is down: the work is done late rather than lost. An inline job's failure is
logged, never raised into the request that caused it (the periodic sweeps pick such work up again).

`enqueue_each` is the same for a batch of one job's arguments (the inbox feed and relay hand over every
due delivery at once): a broker that fails on one fails on the rest, so it is told once, not per job.
No module outside `app/worker` sends to the runtime itself (tests/test_one_way_to_enqueue.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from leadorch.app.worker.specs import ActorSpec

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)


def enqueue(
    container: Container, spec: ActorSpec, *args: Any, delay_ms: int | None = None, inline: bool = True
) -> None:
    """Send `spec`'s job with `args` to the workers (after `delay_ms`), or run it inline.

    `inline=False`: without a worker, leave the job to the periodic sweep that owns its kind of work
    (touch 1 is found by the tick) instead of doing it in this process.
    """
    enqueue_each(container, spec, [args], delay_ms=delay_ms, inline=inline)


def enqueue_each(
    container: Container,
    spec: ActorSpec,
    batch: Iterable[Sequence[Any]],
    *,
    delay_ms: int | None = None,
    inline: bool = True,
) -> None:
    """`enqueue(container, spec, *args, ...)` for each `args` of `batch`, in order.

    When the broker fails, this job and the rest of the batch are run inline (or, with `inline=False`,
    left to their sweep), with one log line for the batch.
    """
    pending = [tuple(args) for args in batch]
    runtime = container.runtime
    if runtime is not None and spec.name in runtime.actors:
        sent = 0
        try:
            for args in pending:
                if delay_ms:
                    runtime.send_with_options(spec.name, args=args, delay_ms=delay_ms)
                else:
                    runtime.send(spec.name, *args)
                sent += 1
        except Exception:  # a broker outage: do the work now (or leave it to its sweep) rather than lose it
            log.exception(
                "could not enqueue %s (%d jobs); %s",
                spec.name,
                len(pending) - sent,
                "running them inline" if inline else "left to its sweep",
            )
        pending = pending[sent:]
        if not pending or not inline:
            return
    if not pending:
        return
    if not inline:
        log.info("no worker for job %s here; left to its periodic sweep", spec.name)
        return
    if delay_ms:
        # No worker to wake us later: the periodic sweep that owns this kind of work will retry it.
        log.info("no worker for delayed job %s; left to its periodic sweep", spec.name)
        return
    for args in pending:
        try:
            spec.fn(container, *args)
        except Exception:
            log.exception("inline job %s failed", spec.name)
