"""A lead's timeline written for a shop owner: one sentence per event ("Touch 2 sent by text").

The events are the audit's (`leadorch.app.audit.AuditEntry`, already masked for the viewer); each
event type has its sentence here, keyed by the aggregate and the event's class name, and an event type
without one (one added later, or an old one) still reads as a sentence instead of failing the page.
Times are on the shop's own clock. The raw fields stay on the page, behind a "details" toggle.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from leadorch.app.console import display
from leadorch.app.touches.proof import why_allowed

MAX_QUOTE_CHARS = 160
_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")
# The words a shop owner uses for each kind of record an event belongs to.
SOURCES = {
    "Lead": "the lead",
    "TouchPointSchedule": "the follow-up cadence",
    "OrderIntake": "the CRM order",
    "Appointment": "the appointment",
    "Conversation": "the chat",
}
_CHANNELS = {"email": "email", "sms": "text", "chat": "chat"}
_NOTICES = {
    "booked": "Booking confirmation",
    "rescheduled": "Reschedule notice",
    "cancelled": "Cancellation notice",
    "reminder": "Appointment reminder",
}
_INTAKE_OUTCOMES = {
    "lead_created": "it became this lead",
    "joined_lead": "a repeat quote, it joined this lead",
    "rejected": "it was not taken as a website lead",
    "handed_to_shop": "the shop's staff had taken it over",
    "lead_updated": "the lead's details were updated from it",
    "unchanged": "nothing had changed",
    "superseded": "a newer version had already been seen",
    "deleted": "it was deleted in the CRM",
}


class Facts:
    """One event's (masked) fields, read the way the sentences need them."""

    def __init__(self, data: dict[str, Any], zone: str | None) -> None:
        self.data = data
        self.zone = zone

    def __getitem__(self, name: str) -> Any:
        return self.data.get(name)

    def text(self, name: str) -> str:
        value = self.data.get(name)
        return "" if value is None else str(value)

    def quote(self, name: str) -> str:
        """Free text quoted, cut to a line's length."""
        text = " ".join(self.text(name).split())
        if len(text) > MAX_QUOTE_CHARS:
            text = text[: MAX_QUOTE_CHARS - 1] + "…"
        return f"“{text}”"

    def because(self, name: str) -> str:
        """ ": the reason" when there is one."""
        reason = self.text(name).strip()
        return f": {reason}" if reason else ""

    def when(self, name: str) -> str:
        """An instant on the shop's clock, as people say it: "Sat Dec 5, 9:00 AM"."""
        value = self.data.get(name)
        if not value:
            return display.NOTHING
        try:
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return display.day_and_time(moment, self.zone)

    def channel(self, name: str = "channel") -> str:
        return channel_word(self.text(name)) or "an unnamed channel"

    def channels(self, name: str = "channels") -> str:
        words = [channel_word(str(channel)) for channel in self.data.get(name) or []]
        if len(words) <= 1:
            return "".join(words) or "no channel"
        return ", ".join(words[:-1]) + f" and {words[-1]}"

    def touch(self) -> str:
        return f"Touch {self.text('touch_number')}"


def channel_word(channel: str) -> str:
    """ "sms" → "text": the word a shop owner uses."""
    return _CHANNELS.get(channel, channel.replace("_", " "))


def sentence(aggregate: str, event: str, data: dict[str, Any], zone: str | None) -> str:
    """What happened, in one sentence; a generic one for an event type without its own."""
    write = SENTENCES.get((aggregate, event))
    if write is None:
        return generic_sentence(aggregate, event)
    return write(Facts(data, zone))


def generic_sentence(aggregate: str, event: str) -> str:
    """ "Something happened to the lead: score changed." — readable, even for an event not known here."""
    source = SOURCES.get(aggregate) or f"the {event_label(aggregate).lower() or 'record'}"
    return f"Something happened to {source}: {event_label(event).lower() or 'an event'}."


def event_label(name: str) -> str:
    """ "TouchSent" → "Touch sent"."""
    words = _WORD_START.sub(" ", name).split()
    return " ".join([words[0], *(word.lower() for word in words[1:])]) if words else name


# --------------------------------------------------------------------------------------------- lead


def _registered(f: Facts) -> str:
    name = " ".join(part for part in (f.text("first_name"), f.text("last_name")) if part) or "a customer"
    vehicle = " ".join(str(f[part]) for part in ("vehicle_year", "vehicle_make", "vehicle_model") if f[part])
    wants = ", ".join(str(service) for service in f["services"] or [])
    about = "; ".join(part for part in (vehicle, wants) if part)
    return (
        f"New lead from CRM order {f.text('crm_order_id')}: {name}" + (f" ({about})" if about else "") + "."
    )


def _details_updated(f: Facts) -> str:
    changed = ", ".join(display.label(str(name)) for name in (f["changes"] or {}))
    return f"Details updated from the CRM: {changed or 'nothing'}."


def _quote_joined(f: Facts) -> str:
    added = ", ".join(str(service) for service in f["added"] or [])
    return (
        f"Another quote from the customer for the same vehicle joined this lead (CRM order {f.text('crm_order_id')})"
        + (f": {added} added." if added else ": nothing new requested.")
    )


def _consent_changed(f: Facts) -> str:
    evidence = f["evidence"] if isinstance(f["evidence"], dict) else {}
    source = str(evidence.get("source") or "the CRM")
    reason = str(evidence.get("reason") or "").strip()
    allowed = "allowed" if f["granted"] else "not allowed"
    return f"Consent on record changed ({source}): {f.channel()} messages {allowed}" + (
        f" — {reason}." if reason else "."
    )


def _opted(direction: str) -> Callable[[Facts], str]:
    return lambda f: f"The customer opted {direction} {f.channel()} messages{f.because('reason')}."


_AUTO_REPLY_KINDS = {
    "out_of_office": "an out-of-office notice",
    "auto_response": "an automatic reply",
    "bulk": "a bulk or mailing-list message",
    "delivery_failure": "a delivery failure notice",
    "do_not_disturb": "a phone's do-not-disturb answer",
}


def _day(value: Any) -> str:
    """An ISO date as people say it: "Mon Dec 14"."""
    try:
        return date.fromisoformat(str(value)).strftime("%a %b %-d")
    except ValueError:
        return str(value)


def _auto_reply(f: Facts) -> str:
    what = _AUTO_REPLY_KINDS.get(f.text("kind"), "an automatic reply")
    back = f", back {_day(f['returns_on'])}" if f["returns_on"] else ""
    words = f": {f.quote('excerpt')}" if f.text("excerpt").strip() else ""
    return f"Not an answer: {what} came by {f.channel()}{back}{words}. The cadence goes on" + (
        f" (recognised by {f.text('sign')})." if f.text("sign") else "."
    )


# ------------------------------------------------------------------------------------------- cadence


def _held(f: Facts) -> str:
    until = f" until after {_day(f['until'])}" if f["until"] else ""
    due = (
        f"; touch {f.text('touch_number')} is due {f.when('next_due_at')}"
        if f["next_due_at"]
        else (f"; touch {f.text('touch_number')} waits" if f["touch_number"] else "")
    )
    return f"Follow-up cadence held{until}{f.because('reason')}{due}."


def _recipient_changed(f: Facts) -> str:
    recipient = f["recipient"] or {}
    zones = ", ".join(recipient.get("zones") or []) or "an unknown zone"
    where = f"{recipient.get('state') or 'an unknown state'}, {zones}"
    due = f"; the next touch is due {f.when('next_due_at')}" if f["next_due_at"] else ""
    return f"The sending rules now follow the customer's number in {where}{f.because('reason')}{due}."


_WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")  # the domain's day 0 is Sunday


def _sending_terms_changed(f: Facts) -> str:
    window = f["window"] if isinstance(f["window"], dict) else {}
    hours = "–".join(str(window.get(end) or "?")[:5] for end in ("start", "end"))
    days = [int(day) for day in window.get("days") or [] if str(day).isdigit() and int(day) < 7]
    on = "every day" if len(days) == 7 else ", ".join(_WEEKDAYS[day] for day in sorted(days)) or "no day"
    where = f" of location {f.text('location_id')}" if f["location_id"] else ""
    zone = f", {f.text('time_zone')} time" if f["time_zone"] else ""
    due = f"; the next touch is due {f.when('next_due_at')}" if f["next_due_at"] else ""
    return f"The cadence now follows the sending window{where}, {hours} {on}{zone}{f.because('reason')}{due}."


def _started(f: Facts) -> str:
    touches = len(f["plan"] or [])
    return f"Follow-up cadence started: {touches} touch{'es' if touches != 1 else ''}, the first due {f.when('next_due_at')}."


def _failed(f: Facts) -> str:
    after = "it will be tried again" if f["retriable"] else "this channel is off for the lead"
    return f"{f.touch()} by {f.channel()} failed{f.because('reason')} ({after})."


def _resolved(f: Facts) -> str:
    words = "was sent" if f["outcome"] == "sent" else "was not sent"
    return (
        f"{f.text('by') or 'Someone'} recorded that touch {f.text('touch_number')} {words} by {f.channels()}."
    )


PROVIDER_ANSWER_WORDS = {
    "confirmed_sent": "the provider confirmed it went out",
    "confirmed_not_sent": "the provider confirmed it never went out, so it is sent again",
    "unknown": "the provider could not say whether it went out; someone must check",
}


def _provider_answered(f: Facts) -> str:
    words = PROVIDER_ANSWER_WORDS.get(f.text("answer"), f"the provider answered {f.text('answer')}")
    return f"{f.touch()} by {f.channel()}: {words}{f.because('reason')}."


def _next_touch(f: Facts) -> str:
    if f["next_touch_number"] is None:
        return "it was the last touch"
    return f"touch {f.text('next_touch_number')} is due {f.when('next_due_at')}"


def _skipped(f: Facts) -> str:
    return f"{f.touch()} skipped{f.because('reason')}; {_next_touch(f)}."


def _completed(f: Facts) -> str:
    return f"{f.touch()} done; {_next_touch(f)}."


def _resumed(f: Facts) -> str:
    due = f"; the next touch is due {f.when('next_due_at')}" if f["next_due_at"] else ""
    return f"Follow-up cadence resumed by {f.text('by')}{due}."


def _delivery(f: Facts) -> str:
    error = f" (error {f.text('error_code')})" if f["error_code"] else ""
    return f"{f.touch()} by {f.channel()}: the provider reports it {display.label(f.text('status'))}{error}."


# ----------------------------------------------------------------------------------- order, booking


def _order_seen(f: Facts) -> str:
    outcome = _INTAKE_OUTCOMES.get(f.text("outcome"), display.label(f.text("outcome")))
    reasons = "; ".join(str(reason) for reason in f["reasons"] or [])
    return f"CRM order {f.text('order_id')} read (by {f.text('source')}): {outcome}" + (
        f" ({reasons})." if reasons else "."
    )


def _booked(f: Facts) -> str:
    services = ", ".join(str(s.get("name", "")) for s in f["services"] or [] if isinstance(s, dict))
    price = display.money(f["price_cents"]) if f["price_cents"] is not None else ""
    extra = ", ".join(part for part in (services, price) if part)
    return f"Appointment booked for {f.when('start')}" + (f": {extra}." if extra else ".")


def _sync_failed(f: Facts) -> str:
    after = "it will not be retried" if f["permanent"] else "it will be tried again"
    return f"The appointment could not be put in the CRM's calendar{f.because('reason')} ({after})."


def _tool(f: Facts) -> str:
    failed = " (it failed)" if f["is_error"] else ""
    return f"The assistant used {display.label(f.text('name'))}{failed}."


SENTENCES: dict[tuple[str, str], Callable[[Facts], str]] = {
    ("Lead", "Registered"): _registered,
    ("Lead", "DetailsUpdated"): _details_updated,
    ("Lead", "Contacted"): lambda f: "The customer was reached.",
    ("Lead", "ReplyRecorded"): lambda f: f"The customer replied by {f.channel()}: {f.quote('text')}",
    ("Lead", "AutoReplyReceived"): _auto_reply,
    ("Lead", "ChatLinkOpened"): lambda f: "The customer opened the chat link.",
    ("Lead", "ChatStarted"): lambda f: "The customer started a chat.",
    ("Lead", "AppointmentBooked"): lambda f: "The lead booked an appointment.",
    ("Lead", "BookingCancelled"): lambda f: "The lead's booking was cancelled.",
    ("Lead", "OptedOut"): _opted("out of"),
    ("Lead", "OptedIn"): _opted("back in to"),
    ("Lead", "ConsentChanged"): _consent_changed,
    ("Lead", "QuoteJoined"): _quote_joined,
    ("Lead", "MarkedLost"): lambda f: f"Lead marked lost{f.because('reason')}.",
    ("Lead", "HandedToShop"): lambda f: f"Handed to the shop's staff{f.because('reason')}.",
    ("Lead", "AutomationPaused"): lambda f: f"Automation paused by {f.text('by')}{f.because('reason')}.",
    ("Lead", "AutomationResumed"): lambda f: f"Automation resumed by {f.text('by')}{f.because('reason')}.",
    ("Lead", "FlaggedForStaff"): lambda f: f"Flagged for the shop's staff{f.because('reason')}.",
    ("TouchPointSchedule", "Started"): _started,
    ("TouchPointSchedule", "TouchClaimed"): lambda f: f"{f.touch()} going out by {f.channels()}.",
    ("TouchPointSchedule", "TouchSent"): lambda f: (
        f"{f.touch()} sent by {f.channel()}."
        + (f" Allowed by {why_allowed(f['allowed_by'])}." if isinstance(f["allowed_by"], dict) else "")
    ),
    ("TouchPointSchedule", "TouchFailed"): _failed,
    ("TouchPointSchedule", "TouchSuppressed"): lambda f: (
        f"{f.touch()} by {f.channel()} held back{f.because('reason')}."
    ),
    ("TouchPointSchedule", "TouchUncertain"): lambda f: (
        f"{f.touch()} by {f.channels()}: unknown whether it went out (the sending stopped half-way)."
    ),
    ("TouchPointSchedule", "UncertainTouchResolved"): _resolved,
    ("TouchPointSchedule", "ProviderAnswered"): _provider_answered,
    ("TouchPointSchedule", "TouchSkipped"): _skipped,
    ("TouchPointSchedule", "TouchCompleted"): _completed,
    ("TouchPointSchedule", "TouchRescheduled"): lambda f: (
        f"{f.touch()} moved to {f.when('next_due_at')}{f.because('reason')}."
    ),
    ("TouchPointSchedule", "ChannelDisabled"): lambda f: (
        f"No more {f.channel()} messages to this lead{f.because('reason')}."
    ),
    ("TouchPointSchedule", "ChannelEnabled"): lambda f: f"Messages by {f.channel()} allowed again.",
    ("TouchPointSchedule", "Paused"): lambda f: f"Follow-up cadence paused by {f.text('by')}.",
    ("TouchPointSchedule", "Resumed"): _resumed,
    ("TouchPointSchedule", "Held"): _held,
    ("TouchPointSchedule", "RecipientChanged"): _recipient_changed,
    ("TouchPointSchedule", "SendingTermsChanged"): _sending_terms_changed,
    ("TouchPointSchedule", "Stopped"): lambda f: f"Follow-up cadence stopped{f.because('reason')}.",
    ("TouchPointSchedule", "Finished"): lambda f: "Follow-up cadence finished: every touch went out.",
    ("TouchPointSchedule", "TouchDeliveryReported"): _delivery,
    ("OrderIntake", "Opened"): lambda f: f"CRM order {f.text('order_id')} first seen.",
    ("OrderIntake", "OrderVersionSeen"): _order_seen,
    ("Appointment", "Booked"): _booked,
    ("Appointment", "Rescheduled"): lambda f: (
        f"Appointment moved from {f.when('previous_start')} to {f.when('start')}."
    ),
    ("Appointment", "Cancelled"): lambda f: f"Appointment cancelled{f.because('reason')}.",
    ("Appointment", "RescheduledByShop"): lambda f: (
        f"The shop moved the appointment in the CRM from {f.when('previous_start')} to {f.when('start')}."
    ),
    ("Appointment", "CancelledByShop"): lambda f: f"The shop cancelled the appointment{f.because('reason')}.",
    ("Appointment", "ShopConfirmationRecorded"): lambda f: (
        f"The shop's CRM records the customer's answer to the appointment: {f.text('confirmation').replace('_', ' ')}."
    ),
    ("Appointment", "NoticeSent"): lambda f: (
        f"{_NOTICES.get(f.text('kind'), 'Appointment notice')} sent by {f.channel()}."
        + (f" Allowed by {why_allowed(f['allowed_by'])}." if isinstance(f["allowed_by"], dict) else "")
    ),
    ("Appointment", "Completed"): lambda f: "Appointment completed.",
    ("Appointment", "NoShow"): lambda f: "The customer did not come to the appointment.",
    ("Appointment", "CrmSynced"): lambda f: "The appointment is in the CRM's calendar.",
    ("Appointment", "CrmSyncFailed"): _sync_failed,
    ("Conversation", "Opened"): lambda f: "Chat opened.",
    ("Conversation", "LinkOpened"): lambda f: "The customer opened the chat link.",
    ("Conversation", "CustomerMessageReceived"): lambda f: (
        f"The customer wrote in the chat: {f.quote('text')}"
    ),
    ("Conversation", "ToolCalled"): _tool,
    ("Conversation", "AssistantReplied"): lambda f: (
        f"The assistant replied: {f.quote('text')}"
        + (f" Allowed by {why_allowed(f['allowed_by'])}." if isinstance(f["allowed_by"], dict) else "")
    ),
    ("Conversation", "HandedToHuman"): lambda f: (
        f"The assistant passed a question to the shop's staff: {f.quote('question')}"
    ),
    ("Conversation", "StaffReplied"): lambda f: (
        f"Staff ({f.text('staff') or 'unnamed'}) answered by {f.text('channel') or 'message'}: {f.quote('text')}"
        + (f" Allowed by {why_allowed(f['allowed_by'])}." if isinstance(f["allowed_by"], dict) else "")
    ),
    ("Conversation", "ReplySent"): lambda f: "The assistant's answer was handed to the provider.",
    ("Conversation", "ReplyFailed"): lambda f: f"The assistant's answer was not sent{f.because('reason')}.",
    ("Conversation", "StaffReplySent"): lambda f: "The staff reply was handed to the provider.",
    ("Conversation", "StaffReplyFailed"): lambda f: f"The staff reply was not sent{f.because('reason')}.",
}
