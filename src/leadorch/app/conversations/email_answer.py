"""The assistant's answer to an emailed message, as an email in the customer's own mail thread.

Threading (RFC 5322 3.6.4): `In-Reply-To` is the customer's Message-ID and `References` their
References followed by it, so every mail client files the answer under the conversation; the subject
is theirs with one `Re: ` (their client's "Re:", "RE:", "Aw:"... are not stacked). The answer comes from
the location's sender (`app/senders.py`) with no Reply-To, as the touches do: the customer's next reply
goes back to that address and through Inbound Parse to us.

Text and HTML parts carry the same words (the HTML escaped). Every time offered is a link into the
lead's chat (a signed chat link, `app/links.py`) labelled with the time: where the assistant's words
name it, and in a list after them for any they do not. The link does not pre-select or
book the time: the chat books only on the customer's own tap, and a link in an email is fetched by
mail scanners (Outlook's Safe Links, corporate gateways) before any person clicks it, so a link that
booked would book for the scanner. Replying with the time books too, in this thread.

CAN-SPAM: an answer to a message the customer just sent us is a transactional or relationship message
(its primary purpose is the customer's own question), not a commercial one, so it carries neither an
unsubscribe link nor `List-Unsubscribe` (RFC 8058 one-click is for bulk mail). Like the appointment
notices, it still ends with the shop's name and postal address when the location has one, so the
customer knows who wrote; without an address it is sent anyway, which a marketing touch is not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from leadorch.app.config.models import LocationConfig
from leadorch.app.links import LinkSigner
from leadorch.app.messages.rendering import postal_html_footer, postal_text_footer
from leadorch.app.senders import Senders, senders_for
from leadorch.domain.conversation import MAX_THREAD_REFERENCES, Conversation, EmailThread
from leadorch.domain.lead import Lead
from leadorch.ports.messaging import EmailMessage, SendReceipt

if TYPE_CHECKING:
    from leadorch.app.bootstrap import Container

KIND = "assistant_answer"
MAX_HEADER_LINE = 998
# "Re:", "RE:", "Re[2]:", "Re :", and the German/Dutch/Scandinavian "Aw:", "Antw:", "Sv:": a reply prefix.
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|antw|sv)(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)


def reply_subject(subject: str, location_name: str) -> str:
    """`Re: <their subject>`, never `Re: Re:`; a message without a subject gets one naming the shop."""
    bare = _REPLY_PREFIX.sub("", " ".join(subject.split()))
    return f"Re: {bare or f'your quote at {location_name}'}"


def thread_headers(thread: EmailThread | None) -> dict[str, str]:
    """`In-Reply-To` and `References` that put the answer in `thread` (none without a thread; a message
    without a Message-ID has no `In-Reply-To`, its References alone then thread the answer)."""
    if thread is None:
        return {}
    own = [thread.message_id] if thread.message_id else []
    chain = [ref for ref in thread.references if ref != thread.message_id] + own
    if len(chain) > MAX_THREAD_REFERENCES:
        chain = [chain[0], *chain[-(MAX_THREAD_REFERENCES - 1) :]]
    # One header line stays within RFC 5322's 998 characters: drop ids after the root, oldest first.
    while len(chain) > 2 and len("References: " + " ".join(chain)) > MAX_HEADER_LINE:
        del chain[1]
    headers = {"In-Reply-To": thread.message_id} if thread.message_id else {}
    return {**headers, "References": " ".join(chain)} if chain else headers


def email_answer(
    *,
    tenant_id: str,
    lead: Lead,
    location: LocationConfig,
    senders: Senders,
    thread: EmailThread | None,
    text: str,
    slots: Sequence[Mapping[str, Any]],
    links: LinkSigner,
    now: datetime,
    idempotency_key: str,
) -> EmailMessage:
    """The email answering the customer's newest emailed message (`thread`) with the assistant's `text`,
    each of `slots` (`{"start", "label"}`, as the chat offers them) a link into the lead's chat."""
    if lead.contact.email is None:
        raise ValueError("an emailed answer needs the lead's email address")
    chat_link = links.chat_url(tenant_id, str(lead.id), now=now) if slots else ""
    labels = [str(slot.get("label") or slot.get("start")) for slot in slots]
    return EmailMessage(
        to=lead.contact.email,
        to_name=lead.contact.full_name or None,
        from_email=senders.email_from,
        from_name=location.name,
        subject=reply_subject(thread.subject if thread is not None else "", location.name),
        text=_text(text, labels, chat_link, location),
        html=_html(text, labels, chat_link, location),
        headers=thread_headers(thread),
        custom_args={"tenant_id": tenant_id, "lead_id": str(lead.id), "kind": KIND},
        categories=["assistant-answer"],
        idempotency_key=idempotency_key,
    )


def send_email_answer(
    container: Container,
    conversation: Conversation,
    lead: Lead,
    *,
    text: str,
    slots: Sequence[Mapping[str, Any]],
    key: str,
) -> SendReceipt:
    """Send the assistant's `text` (offering `slots`) by email in the thread of the customer's newest
    emailed message of `conversation`, under idempotency key `key`; the Messenger's receipt, or its
    `DeliveryError`."""
    location = container.config.location(conversation.tenant_id, lead.location_id)
    message = email_answer(
        tenant_id=conversation.tenant_id,
        lead=lead,
        location=location,
        senders=senders_for(location, container.settings),
        thread=conversation.last_email_thread,
        text=text,
        slots=slots,
        links=container.links,
        now=container.clock.now(),
        idempotency_key=key,
    )
    return container.messenger.send_email(message)


def _text(text: str, labels: list[str], chat_link: str, location: LocationConfig) -> str:
    body = text.strip()
    unnamed = [label for label in labels if label not in body]
    if unnamed:
        body += "\n\n" + "\n".join(f"- {label}" for label in unnamed)
    if labels:
        body += f"\n\nReply with the time that suits you, or pick it in the chat: {chat_link}"
    return body + _text_footer(location)


def _html(text: str, labels: list[str], chat_link: str, location: LocationConfig) -> str:
    """The words as paragraphs, each time the assistant named a link to the chat; times it did not name
    follow as a list of links."""
    href = escape(chat_link, quote=True)
    paragraphs = [block for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]
    html = "".join(
        "<p>" + "<br>".join(_linked(escape(line), labels, href) for line in block.splitlines()) + "</p>"
        for block in paragraphs
    )
    unnamed = [label for label in labels if label not in text]
    if unnamed:
        html += (
            "<ul>" + "".join(f'<li><a href="{href}">{escape(label)}</a></li>' for label in unnamed) + "</ul>"
        )
    if labels:
        html += "<p>Reply with the time that suits you, or pick it in the chat.</p>"
    return html + _html_footer(location)


def _linked(line: str, labels: list[str], href: str) -> str:
    """`line` (escaped) with the first mention of each time a link (the longest labels first)."""
    for label in sorted(labels, key=len, reverse=True):
        shown = escape(label)
        if shown in line and f">{shown}</a>" not in line:
            line = line.replace(shown, f'<a href="{href}">{shown}</a>', 1)
    return line


def _text_footer(location: LocationConfig) -> str:
    return postal_text_footer(location.name, location.address) if location.address else ""


def _html_footer(location: LocationConfig) -> str:
    return postal_html_footer(location.name, location.address) if location.address else ""
