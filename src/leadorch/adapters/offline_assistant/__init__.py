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

It reads customers the way they text: shorthand and typos (`spelling`: "tmrw", "ultimte", with
difflib against the words it acts on and the shop's service names), Spanish (`language`: a Spanish
message is read through one phrase table and answered in Spanish), several questions in one message
(one tool each, in one step), and it books only what the customer asked to book, by the domain's rule
(`domain/booking_request.py`) that the tools enforce too; cancelling asks first.

Besides those lines it reads the shop's name, phone and services (names and ids, to tell which one a
customer means; prices only ever come from list_services) and the customer's first name from the
prompt's `- Name:`, `- Phone:`, `- <service> (id …): …` and `- First name:` lines (`conversation.Shop`).

The package's parts: `spelling` and `language` (how the words are read), `intents` (what the customer
asked for), `when` (reading dates and times), `conversation` (what the messages and the prompt hold),
`wording` (how replies are worded, per language) and `assistant` (the decision of each turn).
"""

from leadorch.adapters.offline_assistant.assistant import OfflineAssistant

__all__ = ["OfflineAssistant"]
