"""The one error read-model queries raise for bad arguments."""

from __future__ import annotations


class InvalidQuery(ValueError):
    """A query argument is malformed or out of range; the message names it."""
