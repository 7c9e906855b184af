"""What an inbound text or emailed reply does: opt out, opt back in, ask for help, or talk to us.

The meaning comes from `domain.reply_intent.classify_reply` (which leans towards opting out, as the
FCC's 2024 revocation rule asks); the message is matched to its lead(s) through the `leads` read model.

- Opt-out: every lead with that number (or address) is opted out of the channel. Twilio itself answers
  its own keywords when they are the whole message (STOP, UNSUBSCRIBE, ...), so we add nothing to
  those; any other revocation ("STOP.", "stop texting me", "no más") gets one short confirmation, the
  one text the rule allows (`adapters/twilio_keywords.py` says which texts Twilio answers).
- Opt-in (START, UNSTOP, YES): leads opted out of the channel are opted back in. "Yes" from someone
  who never opted out is an ordinary answer.
- Help (HELP, INFO): the shop's name and phone number, unless Twilio answers HELP itself
  (`TWILIO_ANSWERS_HELP`, true by default as in Twilio's own default handling): never two answers.
- Anything else is a reply: the open lead with that number last written in is engaged and its cadence stops,
  the message joins the lead's conversation and the assistant answers it on the same channel, in the
  background (`conversations.inbound_job`: the webhook answers at once with empty TwiML).

Auto-replies are not answers (`domain.auto_reply`): an out-of-office, a bounce, a phone's "I'm
driving" is recorded on the sender's open lead last written in (its timeline), the lead is not engaged,
nothing is answered, and the cadence goes on, held until after the return day an absence names. An
email's headers are read before its words (a machine's text is nobody's opt-out: a bounce quoting our
footer's "unsubscribe" must not unsubscribe anyone); a text is read for opt-out, opt-in and help first,
since a text carries no headers and revocations lean towards being honoured.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from leadorch.adapters.twilio_keywords import twilio_answers
from leadorch.app.config.errors import ConfigNotFound
from leadorch.app.conversations.inbound_job import receive_message
from leadorch.app.leads import use_cases
from leadorch.app.leads.lookup import LeadMatch, leads_by_email, leads_by_phone, most_likely_answered
from leadorch.app.senders import senders_for
from leadorch.domain.auto_reply import (
    AutoReply,
    AutoReplyKind,
    email_auto_reply,
    failed_recipients,
    sms_auto_reply,
)
from leadorch.domain.conversation import EmailThread
from leadorch.domain.errors import DomainError, InvalidValue
from leadorch.domain.reply_intent import ReplyIntent, classify_reply
from leadorch.domain.values import Channel

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)

GENERIC_HELP = "Reply STOP to opt out of these texts, START to opt back in."


@dataclass(frozen=True)
class InboundOutcome:
    """What an inbound message was taken to mean, which leads it touched, and our answer (if any)."""

    intent: ReplyIntent
    lead_ids: tuple[str, ...]
    answer: str | None = None
    note: str = ""
    auto_reply: AutoReply | None = None
    """Set when a machine wrote the message (`domain.auto_reply`): recorded, not a reply."""


def handle_inbound_sms(
    container: Container, *, from_number: str, body: str, to_number: str | None = None
) -> InboundOutcome:
    """Act on a text from `from_number` to our number `to_number`; `answer` is the text to reply with in
    TwiML (None: nothing). Only leads of locations that text from `to_number` are concerned (a location
    without its own number uses the deployment's default sender)."""
    leads = [
        lead for lead in leads_by_phone(container.db, from_number) if _texts_from(container, lead, to_number)
    ]
    intent = classify_reply(body)
    if intent is ReplyIntent.OPT_IN and not any(not lead.sms_consent for lead in leads):
        intent = ReplyIntent.MESSAGE
    if intent is ReplyIntent.OPT_OUT:
        touched = _each(
            leads,
            lambda lead: use_cases.opt_out(
                container, lead.tenant_id, lead.lead_id, Channel.SMS, _quoted(body)
            ),
        )
        answer = None if _twilio_answers(container, body) else _opt_out_confirmation(container, leads)
        return InboundOutcome(intent, touched, answer)
    if intent is ReplyIntent.OPT_IN:
        opted_out = [lead for lead in leads if not lead.sms_consent]
        touched = _each(
            opted_out,
            lambda lead: use_cases.opt_in(
                container, lead.tenant_id, lead.lead_id, Channel.SMS, _quoted(body)
            ),
        )
        answer = None if _twilio_answers(container, body) else "You're opted back in."
        return InboundOutcome(intent, touched, answer)
    if intent is ReplyIntent.HELP:
        return InboundOutcome(
            intent, (), None if _twilio_answers(container, body) else _help(container, leads)
        )
    machine = sms_auto_reply(body, today=_today(container, leads))
    if machine is not None:
        return _auto_reply(container, leads, Channel.SMS, machine, body)
    return _reply(container, leads, Channel.SMS, body)


def handle_inbound_email(
    container: Container,
    *,
    from_email: str,
    text: str,
    headers: Mapping[str, str] | None = None,
    subject: str = "",
    null_sender: bool = False,
    thread: EmailThread | None = None,
) -> InboundOutcome:
    """Act on an emailed reply from `from_email` (its new text, quoted history removed), given its
    top-level `headers`, `subject`, whether its envelope sender was empty (`null_sender`), and where it
    sits in its mail thread (`thread`, which the assistant's answer joins)."""
    leads = leads_by_email(container.db, from_email)
    machine = email_auto_reply(
        headers or {},
        from_email,
        text,
        subject=subject,
        return_path="" if null_sender else None,
        today=_today(container, leads),
    )
    if machine is not None:
        if not leads and machine.kind is AutoReplyKind.DELIVERY_FAILURE:
            # A bounce comes from the mail system: it belongs to the customer it could not reach.
            for address in failed_recipients(headers or {}, text)[:5]:
                leads += leads_by_email(container.db, address)
        return _auto_reply(container, leads, Channel.EMAIL, machine, text)
    intent = classify_reply(text)
    if intent is ReplyIntent.OPT_OUT:
        touched = _each(
            leads,
            lambda lead: use_cases.opt_out(
                container, lead.tenant_id, lead.lead_id, Channel.EMAIL, _quoted(text)
            ),
        )
        return InboundOutcome(intent, touched)
    return _reply(container, leads, Channel.EMAIL, text, thread)


def email_thread(message_id: str | None, references: Sequence[str], subject: str) -> EmailThread:
    """The mail thread of a received email; a malformed id (its own or among its References) is left
    out rather than losing the thread: the answer still joins by what is left and the subject."""
    kept = []
    for reference in references:
        try:
            kept.append(EmailThread.of(reference).message_id)
        except InvalidValue:
            continue
    try:
        own = EmailThread.of(message_id).message_id
    except InvalidValue:
        own = ""
    return EmailThread.of(own, kept, subject)


def _reply(
    container: Container,
    leads: list[LeadMatch],
    channel: Channel,
    text: str,
    thread: EmailThread | None = None,
) -> InboundOutcome:
    """A message: recorded in the lead's conversation (engaging it, stopping its cadence) and answered
    by the assistant in the background (`conversations.inbound_job`)."""
    lead = most_likely_answered(leads)
    if lead is None:
        return InboundOutcome(ReplyIntent.MESSAGE, (), note="no lead has this sender")
    if not text.strip():
        return InboundOutcome(ReplyIntent.MESSAGE, (), note="an empty message")
    try:
        receive_message(
            container, lead.tenant_id, use_cases.lead_uuid(lead.lead_id), channel, text, email_thread=thread
        )
    except DomainError as refused:
        log.info("reply from lead %s not recorded: %s", lead.lead_id, refused)
        return InboundOutcome(ReplyIntent.MESSAGE, (), note=str(refused))
    return InboundOutcome(ReplyIntent.MESSAGE, (lead.lead_id,))


def _auto_reply(
    container: Container, leads: list[LeadMatch], channel: Channel, machine: AutoReply, text: str
) -> InboundOutcome:
    """Record a machine's answer on the sender's lead; never a reply, never answered."""
    lead = most_likely_answered(leads)
    if lead is None:
        return InboundOutcome(
            ReplyIntent.MESSAGE, (), note="an auto-reply; no lead has this sender", auto_reply=machine
        )
    try:
        use_cases.record_auto_reply(container, lead.tenant_id, lead.lead_id, channel, machine, text)
    except DomainError as refused:
        log.info("auto-reply for lead %s not recorded: %s", lead.lead_id, refused)
        return InboundOutcome(ReplyIntent.MESSAGE, (), note=str(refused), auto_reply=machine)
    return InboundOutcome(
        ReplyIntent.MESSAGE, (lead.lead_id,), note=f"an auto-reply ({machine.kind})", auto_reply=machine
    )


def _today(container: Container, leads: list[LeadMatch]) -> date:
    """Today on the clock of the shop the sender's lead belongs to (an out-of-office names its days in
    the time zone it was written for; the shop's is the nearest we know), UTC without a lead."""
    lead = most_likely_answered(leads)
    location = _location(container, [lead] if lead is not None else [])
    time_zone = location.time_zone if location is not None else "UTC"
    return container.clock.now().astimezone(ZoneInfo(time_zone)).date()


def _each(leads: list[LeadMatch], act: Any) -> tuple[str, ...]:
    done = []
    for lead in leads:
        try:
            act(lead)
        except DomainError as refused:
            log.info("consent change for lead %s refused: %s", lead.lead_id, refused)
            continue
        done.append(lead.lead_id)
    return tuple(done)


def _texts_from(container: Container, lead: LeadMatch, to_number: str | None) -> bool:
    if not to_number:
        return True
    try:
        location = container.config.location(lead.tenant_id, lead.location_id)
    except ConfigNotFound:
        return False
    # A Messaging Service texts from any number of its pool: it cannot tell us which one.
    sender = senders_for(location, container.settings).sms_from_number
    return sender is None or sender == to_number


def _twilio_answers(container: Container, body: str) -> bool:
    return twilio_answers(body, answers_help=container.settings.twilio_answers_help)


def _quoted(text: str) -> str:
    text = " ".join(text.split())
    return f"the customer wrote {text[:200]!r}"


def _location(container: Container, leads: list[LeadMatch]) -> Any:
    for lead in leads:
        try:
            return container.config.location(lead.tenant_id, lead.location_id)
        except ConfigNotFound:
            continue
    return None


def _opt_out_confirmation(container: Container, leads: list[LeadMatch]) -> str:
    location = _location(container, leads)
    sender = location.name if location is not None else "us"
    return f"You're unsubscribed and won't get more texts from {sender}. Reply START to opt back in."


def _help(container: Container, leads: list[LeadMatch]) -> str:
    location = _location(container, leads)
    if location is None:
        return GENERIC_HELP
    phone = f" Call us at {location.phone}." if location.phone else ""
    return f"{location.name}: questions about your quote?{phone} {GENERIC_HELP}"
