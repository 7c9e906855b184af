"""Where a lead's console page is, and the check that a lead id in a console URL is one at all."""

from __future__ import annotations

from uuid import UUID

from leadorch.app.console.web import CONSOLE
from leadorch.app.eventstore.store import NotFound


def lead_path(tenant_id: str, lead_id: str) -> str:
    return f"{CONSOLE}/t/{tenant_id}/leads/{lead_id}"


def require_uuid(lead_id: str) -> None:
    """A lead id that is not a UUID names no lead: 404 with the reason, never a 500 from a parser."""
    try:
        UUID(lead_id)
    except ValueError:
        raise NotFound(f"lead {lead_id[:64]!r} not found: a lead id is a UUID") from None
