"""Errors the domain raises, in the business's own words.

Every message says what was refused and why ("cannot record a reply: the shop handles this lead"), so
the HTTP layer can show it as is and an operator can act on it without reading code.
"""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused a command or a value."""


class InvalidValue(DomainError, ValueError):
    """A value given to the domain is malformed (a naive datetime, an empty plan, an unknown channel)."""


class IllegalTransition(DomainError):
    """A command is not allowed in the aggregate's current state."""


class TouchNotDue(IllegalTransition):
    """A touch was claimed before its due time."""


class TouchAlreadyClaimed(IllegalTransition):
    """A touch was claimed while another one is still in flight."""


class UnknownTouch(IllegalTransition):
    """An outcome names a touch or channel that is not awaiting one."""


class ScheduleStopped(IllegalTransition):
    """A command needs a running schedule, but it was stopped or has finished."""


class NoSendingTime(InvalidValue):
    """No moment is inside both the location's sending window and the recipient's legal hours."""
