"""After a button changes a lead, the page the browser lands on should already show the change.

Pages read read models, which follow the log a moment behind. So after saving, the request applies
the few newest events itself (safe alongside the background daemon: each batch is applied once, under
the position lock), but only a bounded amount: a read model far behind (just rebuilt, say) is left to
the daemon rather than holding the request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadorch.app.projections.wiring import projection_runner

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

MAX_BATCHES = 3


def catch_up_briefly(container: Container, *, max_batches: int = MAX_BATCHES) -> None:
    """Apply up to `max_batches` batches of new events to the read models (the save woke the daemon)."""
    runner = projection_runner(container)
    for _ in range(max_batches):
        if runner.step() == 0:
            break
