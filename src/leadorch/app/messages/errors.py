"""The two ways a message template can fail: when a tenant saves it, and when a message is rendered."""

from __future__ import annotations


class TemplateConfigurationError(ValueError):
    """A template cannot be saved. `part` says which (e.g. "sms.body", "email.subject"), `field` names
    the unknown template field when that is the problem."""

    def __init__(self, part: str, problem: str, *, field: str | None = None) -> None:
        super().__init__(f"{part}: {problem}")
        self.part = part
        self.problem = problem
        self.field = field


class MessageRenderingError(ValueError):
    """A message could not be rendered from a template and a lead's values."""

    def __init__(self, part: str, problem: str) -> None:
        super().__init__(f"{part}: {problem}")
        self.part = part
        self.problem = problem


class SmsTooLong(MessageRenderingError):
    """A rendered SMS needs more segments than the configured limit."""

    def __init__(self, part: str, segments: int, limit: int, encoding: str, units: int) -> None:
        super().__init__(
            part,
            f"the text is {segments} SMS segments ({encoding}, {units} units); the limit is {limit}"
            + (
                " (a character outside GSM-7, such as an emoji or curly quote, makes it UCS-2)"
                if encoding == "UCS-2"
                else ""
            ),
        )
        self.segments = segments
        self.limit = limit
