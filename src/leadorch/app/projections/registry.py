"""The read models this application keeps, by name (the names `leadorch projections rebuild` takes)."""

from __future__ import annotations

from collections.abc import Iterable

from leadorch.app.projections.appointments import AppointmentsProjection
from leadorch.app.projections.conversations import ConversationsProjection
from leadorch.app.projections.due_touches import DueTouchesProjection
from leadorch.app.projections.funnel import FunnelProjection
from leadorch.app.projections.ingest_log import IngestLogProjection
from leadorch.app.projections.leads import LeadsProjection
from leadorch.app.projections.outbox import OutboxProjection
from leadorch.app.projections.projection import ReadModelProjection

PROJECTION_CLASSES: tuple[type[ReadModelProjection], ...] = (
    LeadsProjection,
    DueTouchesProjection,
    AppointmentsProjection,
    FunnelProjection,
    IngestLogProjection,
    ConversationsProjection,
    OutboxProjection,
)

NAMES: tuple[str, ...] = tuple(cls.name for cls in PROJECTION_CLASSES)


class UnknownProjection(LookupError):
    """A read model name that does not exist; the message lists the ones that do."""


def all_projections() -> list[ReadModelProjection]:
    return [cls() for cls in PROJECTION_CLASSES]


def projections_named(names: Iterable[str]) -> list[ReadModelProjection]:
    """The read models `names` (all of them when empty), in the registry's order."""
    wanted = list(dict.fromkeys(names))
    unknown = [name for name in wanted if name not in NAMES]
    if unknown:
        raise UnknownProjection(f"no read model named {', '.join(unknown)}; known: {', '.join(NAMES)}")
    return [cls() for cls in PROJECTION_CLASSES if not wanted or cls.name in wanted]
