"""What SendGrid's Inbound Parse posts for an email it received: the stand-in's side of the webhook.

Given a MIME message (the standard library's `EmailMessage`, built the way a mail client or a mail
system writes one: a reply, an out-of-office, a delivery status report), `inbound_parse_post` gives the
multipart form SendGrid posts to the Inbound Parse URL (default, not raw, mode): `headers` is the
message's top-level header block as received, `text` and `html` its first text parts (for a
`multipart/report` the human-readable part), `from`/`to`/`cc`/`subject` the decoded header values,
`envelope` the SMTP envelope as JSON (`from` is the return path, `""` for a bounce's null sender),
`charsets`, `SPF`, `spam_score`, and every other part as an attachment (`attachments` counts them,
`attachment-info` describes them, each posted as the file `attachmentN`).

`post_inbound_parse(url, message)` posts it over HTTP as SendGrid does, so the application's endpoint
can be driven through a real socket as well as through a test client (`InboundParsePost.multipart()`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from typing import Any

import httpx


@dataclass(frozen=True)
class InboundParsePost:
    """The form fields and attachment files of one Inbound Parse post."""

    fields: dict[str, str]
    attachments: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)

    def multipart(self) -> dict[str, Any]:
        """For httpx's `files=`: every field as a form part (SendGrid posts multipart/form-data)."""
        return {**{name: (None, value) for name, value in self.fields.items()}, **self.attachments}


def inbound_parse_post(
    message: EmailMessage, *, envelope_from: str | None = None, envelope_to: list[str] | None = None
) -> InboundParsePost:
    """What SendGrid would post for `message`, delivered from `envelope_from` (default: the From address;
    `""` for a null sender) to `envelope_to` (default: the To addresses)."""
    raw = message.as_string()
    header_block = raw.split("\n\n", 1)[0] + "\n"
    sender = envelope_from if envelope_from is not None else parseaddr(str(message.get("From", "")))[1]
    recipients = envelope_to or [address for _, address in getaddresses([str(message.get("To", ""))])]
    text, html, attachments = _parts(message)
    fields = {
        "headers": header_block,
        "from": str(message.get("From", "")),
        "to": str(message.get("To", "")),
        "cc": str(message.get("Cc", "")),
        "subject": str(message.get("Subject", "")),
        "envelope": json.dumps({"to": recipients, "from": sender}),
        "charsets": json.dumps({"to": "UTF-8", "from": "UTF-8", "subject": "UTF-8", "text": "UTF-8"}),
        "SPF": "pass",
        "spam_score": "0.1",
        "sender_ip": "203.0.113.25",
        "attachments": str(len(attachments)),
    }
    if text is not None:
        fields["text"] = text
    if html is not None:
        fields["html"] = html
    if attachments:
        fields["attachment-info"] = json.dumps(
            {
                name: {"filename": file, "name": file, "type": kind}
                for name, (file, _, kind) in attachments.items()
            }
        )
    return InboundParsePost(fields, attachments)


def post_inbound_parse(url: str, message: EmailMessage, **envelope: Any) -> httpx.Response:
    """Post `message` to the Inbound Parse destination `url`, as SendGrid does."""
    post = inbound_parse_post(message, **envelope)
    return httpx.post(url, files=post.multipart(), timeout=10)


def _parts(message: Message) -> tuple[str | None, str | None, dict[str, tuple[str, bytes, str]]]:
    text: str | None = None
    html: str | None = None
    attachments: dict[str, tuple[str, bytes, str]] = {}
    for part in _leaves(message):
        kind = part.get_content_type()
        is_file = part.get_content_disposition() == "attachment"
        if kind == "text/plain" and text is None and not is_file:
            text = _decoded(part)
        elif kind == "text/html" and html is None and not is_file:
            html = _decoded(part)
        else:
            number = len(attachments) + 1
            name = part.get_filename() or f"attachment{number}.{kind.rsplit('/', 1)[-1]}"
            attachments[f"attachment{number}"] = (name, _payload(part), kind)
    return text, html, attachments


def _leaves(message: Message) -> list[Message]:
    """The parts SendGrid reads: the leaves of the tree, with an enclosed message (`message/rfc822`)
    or a delivery status (`message/delivery-status`) taken whole, as one attachment."""
    if message.get_content_maintype() == "multipart":
        payload = message.get_payload()
        assert isinstance(payload, list)
        return [leaf for part in payload if isinstance(part, Message) for leaf in _leaves(part)]
    return [message]


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload())
    return payload.decode(part.get_content_charset() or "utf-8", errors="replace")


def _payload(part: Message) -> bytes:
    if part.get_content_maintype() == "message":
        return part.as_bytes()
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else str(part.get_payload()).encode()
