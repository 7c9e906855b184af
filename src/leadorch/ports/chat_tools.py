"""The names of the chat tools: the one vocabulary the application and every assistant share.

The application defines what each tool takes and does (`app/chat/tools.py`, `app/chat/tool_runner.py`);
an assistant only has to ask for a tool by name. The offline assistant chooses tools by these names, so
they live here, below both, rather than as a second copy of string literals on either side.
"""

from __future__ import annotations

from enum import StrEnum


class ChatTool(StrEnum):
    """A chat tool's name, as the model sees it and as `ToolUse.name` carries it."""

    LIST_SERVICES = "list_services"
    FIND_SLOTS = "find_slots"
    BOOK_APPOINTMENT = "book_appointment"
    RESCHEDULE_APPOINTMENT = "reschedule_appointment"
    CANCEL_APPOINTMENT = "cancel_appointment"
    HANDOFF_TO_HUMAN = "handoff_to_human"
