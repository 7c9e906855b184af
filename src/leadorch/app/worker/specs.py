"""How a feature declares its background work: jobs (`ActorSpec`), periodic jobs (`PeriodicSpec`) and feeds.

Kept apart from `runtime.py` so a feature module can declare its jobs, and the modules that enqueue can
import those declarations, without importing the runtime that imports every feature's jobs (`registry.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class ActorSpec:
    """A background job: `fn(container, *args)` runs under Dramatiq actor `name` with these limits."""

    name: str
    fn: Callable[..., Any]  # fn(container, *args, **kwargs)
    queue: str = "default"
    max_retries: int = 5
    min_backoff_ms: int = 200
    max_backoff_ms: int = 30_000
    time_limit_ms: int = 120_000


@dataclass(frozen=True)
class PeriodicSpec:
    """Enqueue `actor_name` every `interval(settings)` seconds (the scheduler only enqueues)."""

    actor_name: str
    interval: Callable[[Any], float]  # interval(settings) -> seconds


class Feed(Protocol):
    """A thread of a worker process that turns outside signals into messages (e.g. inbox commits)."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
