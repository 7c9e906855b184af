"""A deterministic assistant that needs no network: the embedded default, the demo and the tests.

It reads plain requests ("prices?", "anything Friday afternoon?", "book 10am", "move it to Saturday",
"cancel", "call me") and answers only by asking for the tools it was given, then words a reply from what
those tools return. It never invents a price, a time or a booking: every fact in its replies comes from a
tool result, and every tool input is built from a fixed set of keys (a date, a slot start, a service),
so nothing a customer types can reach a price.

It understands these lines in the system prompt's dynamic part (any order, other lines are ignored):
`Today: 2026-11-25 (Wednesday)` or `Now: 2026-11-25T09:30:00-08:00` to resolve "Friday" and "tomorrow";
`Time zone: America/Los_Angeles` to give date ranges an offset; `Appointment: <anything but none>` when
the customer already has a booking, so that choosing a new time moves it rather than booking another.

The package's parts: `intents` (what the customer asked for), `when` (reading dates and times),
`conversation` (what the messages already hold), `wording` (how replies are worded) and `assistant`
(the decision of each turn).
"""

from leadorch.adapters.offline_assistant.assistant import OfflineAssistant

__all__ = ["OfflineAssistant"]
