"""How a process gets its projection runner and background daemon from the container.

The daemon is created once per container and kept in `container.extras["projections"]` (the readiness
check reads its lag there); closing the container stops it. Services call `wake_projections(container)`
after saving events so read models follow within milliseconds instead of at the next poll.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from leadorch.app.projections.daemon import ProjectionDaemon
from leadorch.app.projections.registry import all_projections
from leadorch.app.projections.runner import ReadModelRunner

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

EXTRAS_KEY = "projections"


def projection_runner(container: Container) -> ReadModelRunner:
    """A runner over every live read model of this application."""
    return ReadModelRunner(container.db, container.store, all_projections())


def projection_daemon(container: Container, *, poll_interval: float = 0.5) -> ProjectionDaemon:
    """The container's daemon (created, not started, on first use)."""
    daemon = container.extras.get(EXTRAS_KEY)
    if daemon is None:
        daemon = ProjectionDaemon(projection_runner(container), poll_interval=poll_interval)
        container.extras[EXTRAS_KEY] = daemon
        container.extras.setdefault("_closers", []).append(daemon.stop)
    return daemon


def start_projections(container: Container, *, poll_interval: float = 0.5) -> ProjectionDaemon:
    """Start following the log in the background of this process."""
    daemon = projection_daemon(container, poll_interval=poll_interval)
    daemon.start()
    return daemon


def wake_projections(container: Container) -> None:
    """New events were saved: let a running daemon catch up now (no-op when none runs)."""
    daemon = container.extras.get(EXTRAS_KEY)
    if daemon is not None:
        daemon.wake()


def catch_up(container: Container) -> int:
    """Bring every read model up to the head of the log on this thread (tests, CLI, demo)."""
    return projection_runner(container).catch_up()
