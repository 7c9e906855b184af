"""The assistant answers texts and emailed replies, on the channel they came on.

An inbound text that is a message (not opt-out, opt-in or help) or an emailed reply is recorded in the
lead's one conversation (`chat.turn.record_customer_message`, with the response it is) and answered by
a background job (`ANSWER_MESSAGE`), so the webhook returns at once. The job:

1. answers only the customer's newest message (a newer one has its own job) and only once: the reply is
   claimed in the conversation under `answer-{n}` before anything is sent, and a retried job finds the
   claim and sends nothing (as touches and staff replies are claimed);
2. stays quiet while a person handles the lead (staff took over, the assistant handed off, the shop has
   the order): the staff are alerted with the message and a link to the inbox instead;
3. reads a numbered pick or the yes to a confirmation question on the server (`conversations.sms_picks`), else
   runs the same assistant turn as the web chat (`conversations.turn`: same tools, same server-side checks);
4. shapes the answer for the channel (a text within two segments with numbered times, or an email in
   the customer's thread with the times as chat links) and hands it to the container's Messenger with
   the claim's idempotency key, then records what the provider said.

An answer goes out at once while the conversation is live (the customer wrote within
the tenant's `live_conversation_minutes`, 15 by default); a later one keeps the sending terms of a touch
(the location's window, the recipient's legal hours; an answer is not a solicitation, so no cap), the
same rule staff replies keep: held until the window opens. The tenant and each location can turn the
assistant off for texts and emails (`assistant_answers_messages`): then staff answer from the inbox.

The staff are alerted (the location's contacts who want hand-off alerts, with the message and a link to
the lead's inbox thread) about every message the assistant does not fully handle: a request for a
person (its hand-off tool alerts), anything while a person has the lead, a complaint
(`domain.staff_attention`) and a message it could not answer, even though it answered those two.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from uuid import UUID

from leadorch.app.chat.tool_runner import ChatContext, ToolRunner
from leadorch.app.config.models import LocationConfig
from leadorch.app.conversations.answer_terms import AnswerDecision, decide_answer
from leadorch.app.conversations.email_answer import send_email_answer
from leadorch.app.conversations.sms_picks import CONFIRM, Decision, confirmation_question, decide
from leadorch.app.conversations.sms_wording import sms_answer
from leadorch.app.conversations.turn import (
    EMPTY_ANSWER,
    TOO_MANY_STEPS,
    Recorder,
    Shown,
    answer_turn,
    customer_texts,
    is_quiet,
    load_conversation,
    previous_service_ids,
    record_customer_message,
    record_tool_call,
)
from leadorch.app.eventstore.store import NotFound
from leadorch.app.senders import senders_for
from leadorch.app.staff_alerts import StaffAlertMessage, alert_location_staff, inbox_link
from leadorch.app.worker.enqueue import enqueue
from leadorch.app.worker.specs import ActorSpec
from leadorch.domain.conversation import (
    MAX_CUSTOMER_MESSAGE_CHARS,
    Conversation,
    CustomerLine,
    EmailThread,
    conversation_id,
)
from leadorch.domain.lead import Lead
from leadorch.domain.staff_attention import complaint_sign
from leadorch.domain.values import Channel
from leadorch.ports.assistant import ToolUse
from leadorch.ports.chat_tools import ChatTool
from leadorch.ports.messaging import DeliveryError, DeliveryUnconfirmed, SendReceipt, SmsMessage

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

log = logging.getLogger(__name__)


def receive_message(
    container: Container,
    tenant_id: str,
    lead_id: UUID,
    channel: str,
    text: str,
    *,
    email_thread: EmailThread | None = None,
) -> int:
    """Record the customer's `text` on `channel` and have it answered; the message's number."""
    words = " ".join(text.split()) if channel == Channel.SMS else text.strip()
    words = words[:MAX_CUSTOMER_MESSAGE_CHARS]
    _lead, conversation = record_customer_message(
        container, tenant_id, lead_id, words, channel=channel, email_thread=email_thread
    )
    number = conversation.customer_messages
    enqueue(container, ANSWER_MESSAGE, tenant_id, str(lead_id), number)
    return number


def answer_message(container: Container, tenant_id: str, lead_id: str, number: int) -> str:
    """Answer the customer's message `number` (see the module's docstring); what was done, for logs."""
    uuid = UUID(lead_id)
    try:
        lead = container.store.load(uuid, Lead, tenant_id)
    except NotFound:
        return "no such lead"
    conversation = load_conversation(container.store, tenant_id, uuid)
    if conversation is None or conversation.customer_messages != number:
        return "a newer message is answered instead"
    key = f"answer-{number}"
    if key in conversation.replies:
        return "answered already"
    message = next(entry for entry in reversed(conversation.entries) if isinstance(entry, CustomerLine))
    location = container.config.location(tenant_id, lead.location_id)
    if is_quiet(lead):
        _alert(container, tenant_id, lead, location, message.text, number, "a person handles this lead")
        return "a person handles the lead: staff alerted"
    tenant = container.config.tenant(tenant_id)
    if not (tenant.assistant_answers_messages and location.assistant_answers_messages):
        _alert(
            container,
            tenant_id,
            lead,
            location,
            message.text,
            number,
            "the assistant is off for texts and emails",
        )
        return "the assistant is off: staff alerted"
    decision = _decide(container, lead, location, message)
    refusal, later = decision.refusal, decision.next_allowed
    if later is not None and container.runtime is not None:  # quiet hours: answered when they end
        delay = max(0, int((later - container.clock.now()).total_seconds() * 1000))
        enqueue(container, ANSWER_MESSAGE, tenant_id, lead_id, number, delay_ms=delay)
        return f"held until {later.isoformat()}: {refusal}"
    if refusal is not None:
        _alert(container, tenant_id, lead, location, message.text, number, f"not answered: {refusal}")
        return f"not answered: {refusal}"
    recorder = Recorder(container.store, tenant_id, uuid, conversation)
    text, shown = _answer(container, lead, recorder, location, message)
    if not shown.handed_off and (why := _needs_staff(message.text, text)) is not None:
        _alert(container, tenant_id, lead, location, message.text, number, why)
    url = container.links.chat_url(tenant_id, lead_id, now=container.clock.now())
    if shown.slots and shown.slots[0].get(CONFIRM):  # the confirmation question: asked as it is
        body, slots = text, list(shown.slots)
    elif message.channel == Channel.SMS:
        body, slots = sms_answer(text, shown.slots or [], url)
    else:
        body, slots = text, list(shown.slots or [])
    now = container.clock.now()
    claimed = recorder.append(
        lambda conversation: conversation.record_reply(
            text=body,
            slots=slots,
            appointment=shown.appointment,
            at=now,
            channel=message.channel,
            key=key,
            allowed_by=decision.allowed_by,  # the terms as read when the job decided to answer
        )
    )
    if not claimed:
        return "answered already"
    return _send(container, tenant_id, lead, location, recorder.conversation, message, key, body, slots)


def _answer(
    container: Container, lead: Lead, recorder: Recorder, location: LocationConfig, message: CustomerLine
) -> tuple[str, Shown]:
    """A pick or a confirmation read on the server, else the assistant's turn."""
    decision = decide(recorder.conversation, message.text)
    if decision is not None:
        answered = _picked(container, lead, recorder, location, decision)
        if answered is not None:
            return answered
    return answer_turn(container, lead, recorder, location, message.text)


def _needs_staff(customer: str, answer: str) -> str | None:
    """Why the staff should see a message the assistant answered without handing it off, else None:
    a complaint, or an answer that is no answer (the assistant could not finish or understand)."""
    if (sign := complaint_sign(customer)) is not None:
        return f"it reads as a complaint ({sign!r}); the assistant answered it"
    if answer in (EMPTY_ANSWER, TOO_MANY_STEPS):
        return "the assistant could not answer it"
    return None


def _picked(
    container: Container, lead: Lead, recorder: Recorder, location: LocationConfig, decision: Decision
) -> tuple[str, Shown] | None:
    """Ask the confirmation for the picked time, or book it through the booking tool."""
    tenant_id = recorder.tenant_id
    catalog = container.config.catalog(tenant_id, location.location_id)
    ids = previous_service_ids(recorder.conversation)
    services = [entry for entry in catalog if entry.service_id in ids]
    slot = {"start": decision.slot["start"], "label": decision.slot["label"]}
    if decision.action == "ask":
        question = confirmation_question(slot, services)
        return question, Shown(slots=[{**slot, CONFIRM: "yes"}])
    tenant = container.config.tenant(tenant_id)
    context = ChatContext(
        container=container,
        tenant_id=tenant_id,
        lead_id=lead.id,
        location=location,
        catalog=catalog,
        requested=tuple(lead.services),
        previous_service_ids=ids,
        customer_texts=customer_texts(recorder.conversation),
        generic_words=frozenset(tenant.catalog_generic_words),
    )
    tool_input: dict[str, Any] = {"start": slot["start"]}
    if ids:
        tool_input["service_ids"] = ids
    outcome = ToolRunner(context, container.booking).run(ChatTool.BOOK_APPOINTMENT, tool_input)
    call = ToolUse(
        id=f"toolu_confirmed_{len(recorder.conversation.entries)}",
        name=ChatTool.BOOK_APPOINTMENT,
        input=tool_input,
    )
    record_tool_call(container, recorder, call, outcome, 0)
    shown = Shown()
    shown.absorb(outcome)
    if outcome.appointment is not None:
        what = " + ".join(entry.name for entry in services) or "appointment"
        return f"Done: {what}, {slot['label']}. See you then!", shown
    if outcome.slots:
        return "Sorry, that time was just taken.", shown
    return None  # refused for another reason: the assistant explains


def _decide(
    container: Container, lead: Lead, location: LocationConfig, message: CustomerLine
) -> AnswerDecision:
    """Whether the assistant may answer `message` now (`conversations.answer_terms`)."""
    return decide_answer(
        container,
        lead,
        location,
        by="assistant",
        channel=message.channel,
        customer_wrote_at=message.at,
        now=container.clock.now(),
    )


def _send(
    container: Container,
    tenant_id: str,
    lead: Lead,
    location: LocationConfig,
    conversation: Conversation,
    message: CustomerLine,
    key: str,
    body: str,
    slots: list[dict[str, Any]],
) -> str:
    senders = senders_for(location, container.settings)
    idempotency_key = f"assistant-reply:{conversation_id(lead.id)}:{key}"
    try:
        receipt: SendReceipt
        if message.channel == Channel.SMS:
            assert lead.contact.phone is not None
            receipt = container.messenger.send_sms(
                SmsMessage(
                    to=lead.contact.phone,
                    body=body,
                    from_number=senders.sms_from_number,
                    messaging_service_sid=senders.messaging_service_sid,
                    idempotency_key=idempotency_key,
                )
            )
        else:
            receipt = send_email_answer(
                container, conversation, lead, text=body, slots=slots, key=idempotency_key
            )
    except DeliveryUnconfirmed as unknown:
        log.warning("assistant reply %s to lead %s unconfirmed: %s", key, lead.id, unknown)
        return "unconfirmed"
    except DeliveryError as refused:
        reason = refused.reason or str(refused)
        _settle(container, tenant_id, lead.id, key, None, reason)
        return f"failed: {reason}"
    _settle(container, tenant_id, lead.id, key, receipt, None)
    return "sent"


def _settle(
    container: Container,
    tenant_id: str,
    lead_id: UUID,
    key: str,
    receipt: SendReceipt | None,
    failure: str | None,
) -> None:
    now = container.clock.now()

    def command() -> list[Conversation]:
        conversation = container.store.load(conversation_id(lead_id), Conversation, tenant_id)
        if failure is not None:
            conversation.record_reply_failed(key=key, reason=failure, at=now)
        else:
            provider_id = receipt.provider_message_id if receipt is not None else None
            conversation.record_reply_sent(key=key, provider_message_id=provider_id, at=now)
        return [conversation]

    container.store.run(command)


def _alert(
    container: Container,
    tenant_id: str,
    lead: Lead,
    location: LocationConfig,
    text: str,
    number: int,
    why: str,
) -> None:
    enqueue(container, ALERT_STAFF_OF_MESSAGE, tenant_id, str(lead.id), text[:500], number, why)


def alert_staff_of_message(
    container: Container, tenant_id: str, lead_id: str, text: str, number: int, why: str
) -> None:
    """Tell the location's staff (who want hand-off alerts) the customer wrote and nobody answered."""
    try:
        lead = container.store.load(UUID(lead_id), Lead, tenant_id)
    except (NotFound, ValueError):
        return
    tenant = container.config.tenant(tenant_id)
    location = container.config.location(tenant_id, lead.location_id)
    who = lead.contact.full_name or "A customer"
    link = inbox_link(container.settings.public_base_url, lead_id)
    alert = StaffAlertMessage(
        kind="handoff",
        lead_id=lead_id,
        subject=f"{who} wrote to {location.name}: please answer",
        body=f'{who} wrote: "{text}"\nThe assistant did not answer ({why}).\nAnswer in the inbox: {link}',
        key=f"staff-message:{lead_id}:{number}",
        sender_name=f"{location.name} inbox",
        senders=senders_for(location, container.settings),
    )
    alert_location_staff(container, tenant, location, alert)


def _answer_job(container: Container, tenant_id: str, lead_id: str, number: int) -> None:
    done = answer_message(container, tenant_id, lead_id, number)
    log.info("customer message %d of lead %s: %s", number, lead_id, done)


ANSWER_MESSAGE = ActorSpec("answer_customer_message", _answer_job, max_retries=3, time_limit_ms=60_000)
ALERT_STAFF_OF_MESSAGE = ActorSpec(
    "alert_staff_of_message", alert_staff_of_message, max_retries=3, time_limit_ms=60_000
)
