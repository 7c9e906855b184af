"""The live read-model tables and the position table, for `leadorch.app.schema` to create at start."""

from __future__ import annotations

from leadorch.app.projections import positions
from leadorch.app.projections.registry import PROJECTION_CLASSES
from leadorch.app.projections.tables import LIVE_PREFIX

SCHEMA: list[str] = [
    *positions.SCHEMA,
    *(
        statement
        for cls in PROJECTION_CLASSES
        for table in cls.tables
        for statement in table.ddl(LIVE_PREFIX)
    ),
]
