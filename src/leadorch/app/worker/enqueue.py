"""The one way to hand a job to the background workers, or do it now when this process has none.

Every job is named by its `ActorSpec` constant (declared beside the job's function). The API and the
worker enqueue through the Dramatiq runtime (`container.runtime`). A process
without one (the CLI, a script, a test that did not start workers) runs the job inline instead, and so
does a process whose broker is down: the work is done late rather than lost. An inline job's failure is
logged, never raised into the request that caused it (the periodic sweeps pick such work up again).
"""

from __future__ import annotations

import logging
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
    runtime = container.runtime
    if runtime is not None and spec.name in runtime.actors:
        try:
            if delay_ms:
                runtime.send_with_options(spec.name, args=tuple(args), delay_ms=delay_ms)
            else:
                runtime.send(spec.name, *args)
            return
        except Exception:  # a broker outage: do the work now (or leave it to its sweep) rather than lose it
            log.exception(
                "could not enqueue %s; %s", spec.name, "running it inline" if inline else "left to its sweep"
            )
            if not inline:
                return
    if not inline:
        log.info("no worker for job %s here; left to its periodic sweep", spec.name)
        return
    if delay_ms:
        # No worker to wake us later: the periodic sweep that owns this kind of work will retry it.
        log.info("no worker for delayed job %s; left to its periodic sweep", spec.name)
        return
    try:
        spec.fn(container, *args)
    except Exception:
        log.exception("inline job %s failed", spec.name)
