"""Every background job, periodic job and feed of the system, registered by importing them by name.

`build_runtime` binds exactly these to a container; "go to definition" on any name below leads to the
feature module that declares it. A new feature's jobs are added here, beside the others.
"""

from __future__ import annotations

from leadorch.app.booking import actors as booking
from leadorch.app.chat import actors as chat
from leadorch.app.conversations import actors as conversations
from leadorch.app.ingestion import actors as ingestion
from leadorch.app.touches import actors as touches
from leadorch.app.worker.specs import ActorSpec, PeriodicSpec

ACTORS: tuple[ActorSpec, ...] = (
    *ingestion.ACTORS,
    *touches.ACTORS,
    *booking.ACTORS,
    *chat.ACTORS,
    *conversations.ACTORS,
)

PERIODIC: tuple[PeriodicSpec, ...] = (*ingestion.PERIODIC, *touches.PERIODIC, *booking.PERIODIC)

FEEDS = (ingestion.inbox_feed,)
"""Factories `(container) -> Feed | None`, started with the worker threads and stopped first."""
