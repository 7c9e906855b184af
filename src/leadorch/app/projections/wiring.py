"""How a process gets its projection runner and background daemon from the container.

`bootstrap()` creates the daemon (`container.projections`; the readiness check reads its lag there) and
closing the container stops it; a process that follows the log starts it here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadorch.app.projections.daemon import ProjectionDaemon
from leadorch.app.projections.registry import all_projections
from leadorch.app.projections.runner import ReadModelRunner

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container


def projection_runner(container: Container) -> ReadModelRunner:
    """A runner over every live read model of this application."""
    return ReadModelRunner(container.db, container.store, all_projections())


def start_projections(container: Container, *, poll_interval: float = 0.5) -> ProjectionDaemon:
    """Start following the log in the background of this process."""
    daemon = container.projections
    daemon.poll_interval = poll_interval
    daemon.start()
    return daemon


def catch_up(container: Container) -> int:
    """Bring every read model up to the head of the log on this thread (tests, CLI, demo)."""
    return projection_runner(container).catch_up()
