"""Who made an edit and what it changed, written for the audit: field by field, secrets never in clear."""

from __future__ import annotations

from typing import Any

import msgspec

from leadorch.app.config import validation

SECRET_CHANGED = "(changed)"
# Bookkeeping that changes on every edit and says nothing about what the operator did.
_NOT_AUDITED = frozenset({"version", "created_at", "updated_at"})


def field_changes(before: msgspec.Struct | None, after: msgspec.Struct) -> dict[str, Any]:
    """`{field: {"from": old, "to": new}}` for each field that differs (all fields when `before` is None)."""
    old = msgspec.to_builtins(before) if before is not None else {}
    new = msgspec.to_builtins(after)
    changes: dict[str, Any] = {}
    for name, value in new.items():
        if name in _NOT_AUDITED:
            continue
        if before is None:
            changes[name] = {"to": value}
        elif old.get(name) != value:
            changes[name] = {"from": old.get(name), "to": value}
    return changes


def secret_changes(*names: str) -> dict[str, Any]:
    """The audit's view of secrets that were set: only that they changed."""
    return dict.fromkeys(names, SECRET_CHANGED)


EDIT_ATTEMPTS = 4
"""How often a configuration edit that lost a race is re-read and re-applied before `ConcurrentEdit`."""


def checked_actor(actor: str) -> str:
    """The audit's actor: who made the change, as given by the CLI or the API (non-empty, short)."""
    return validation.text(actor, "actor", max_length=200)
