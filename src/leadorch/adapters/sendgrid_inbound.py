"""Reads a customer's emailed reply from SendGrid's Inbound Parse webhook fields.

SendGrid posts each received email as multipart form fields (`from`, `to`, `cc`, `subject`, `text`,
`html`, `headers` with the raw header block, `envelope` as JSON, plus spam and charset details). The
HTTP endpoint decodes the form; this module turns the decoded fields into an `InboundEmail`: the
sender's address lower-cased, the recipients, the threading ids (Message-ID, In-Reply-To, References)
from the raw headers, every top-level header (what tells an auto-reply), whether the envelope sender
was empty, and the reply text with the quoted history and signature removed, so the conversation sees
only what the customer just wrote.

SendGrid's traps: `headers` is the top-level block only, so a delivery status report shows as its
`Content-Type: multipart/report; report-type=delivery-status` there, while `text` carries the report's
human-readable part; the envelope's `from` is the return path, `""` for a bounce's null sender.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from leadorch.ports.messaging import InboundEmail

__all__ = [
    "InboundEmail",
    "MalformedInboundEmail",
    "html_to_text",
    "parse_inbound_email",
    "strip_quoted_reply",
]


class MalformedInboundEmail(ValueError):
    """The posted fields are not an email we can read; `field` names the offending form field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"inbound email field {field!r}: {problem}")
        self.field = field
        self.problem = problem


def parse_inbound_email(form: Mapping[str, str]) -> InboundEmail:
    """Build an `InboundEmail` from Inbound Parse form fields (already decoded to text)."""
    from_name, from_email = _sender(form.get("from"))
    envelope_from, envelope_to, null_sender = _envelope(form.get("envelope"))
    headers = HeaderParser().parsestr((form.get("headers") or "").replace("\r\n", "\n"))
    html = form.get("html") or None
    full_text = form.get("text") or (html_to_text(html) if html else "")
    full_text = full_text.replace("\r\n", "\n")
    references = _message_ids(headers.get("References"))
    in_reply_to = next(iter(_message_ids(headers.get("In-Reply-To"))), None)
    return InboundEmail(
        from_email=from_email,
        from_name=from_name,
        to=_addresses(form.get("to")),
        cc=_addresses(form.get("cc")),
        subject=_decoded(form.get("subject") or "").strip(),
        text=strip_quoted_reply(full_text),
        full_text=full_text,
        html=html,
        message_id=next(iter(_message_ids(headers.get("Message-ID"))), None),
        in_reply_to=in_reply_to,
        references=references,
        envelope_from=envelope_from,
        envelope_to=envelope_to,
        headers=_header_map(headers),
        null_sender=null_sender,
    )


def _header_map(headers: Message) -> dict[str, str]:
    """Every header once, by its lower-cased name; a repeated header's values joined by newlines."""
    found: dict[str, list[str]] = {}
    for name, value in headers.items():
        found.setdefault(name.lower(), []).append(_decoded(" ".join(str(value).split())))
    return {name: "\n".join(values) for name, values in found.items()}


def _sender(value: str | None) -> tuple[str | None, str]:
    if not value or not value.strip():
        raise MalformedInboundEmail("from", "missing; every inbound email needs a sender")
    name, address = parseaddr(value)
    if "@" not in address:
        raise MalformedInboundEmail("from", f"no email address in {value!r}")
    return (_decoded(name).strip() or None), address.strip().lower()


def _addresses(value: str | None) -> list[str]:
    if not value:
        return []
    return [address.strip().lower() for _, address in getaddresses([value]) if "@" in address]


def _envelope(value: str | None) -> tuple[str | None, list[str], bool]:
    """(return path, SMTP recipients, whether the return path was the null sender)."""
    if not value:
        return None, [], False
    try:
        envelope = json.loads(value)
    except ValueError:
        raise MalformedInboundEmail("envelope", f"not JSON: {value[:100]!r}") from None
    if not isinstance(envelope, dict):
        raise MalformedInboundEmail("envelope", 'expected an object like {"to": [...], "from": "..."}')
    to = envelope.get("to") or []
    if isinstance(to, str):
        to = [to]
    if not isinstance(to, list) or not all(isinstance(address, str) for address in to):
        raise MalformedInboundEmail("envelope", f"'to' must be a list of addresses, got {to!r}")
    sender = envelope.get("from")
    sender = sender.strip().strip("<>").strip().lower() if isinstance(sender, str) else None
    null_sender = "from" in envelope and not sender
    return (sender or None), [a.lower() for a in to], null_sender


def _message_ids(value: object) -> list[str]:
    return re.findall(r"<[^<>\s]+>", str(value)) if value else []


def _decoded(value: str) -> str:
    """Decode RFC 2047 encoded words (`=?UTF-8?B?...?=`) if a field still carries them."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError):
        return value


# --- the reply text ---------------------------------------------------------------------------------

_QUOTE_HEADER = re.compile(
    r"^\s*(?:On\b.{0,300}?\bwrote|El\b.{0,300}?\bescribi[oó]|Le\b.{0,300}?\ba écrit)\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)
_CUT_LINES = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"^\s*-{2,}\s*(?:Original|Forwarded) Message\s*-{2,}\s*$",
        r"^\s*_{10,}\s*$",
        r"^\s*Begin forwarded message:\s*$",
        r"^--\s?$",
        r"^\s*Sent from (?:my |Yahoo Mail|Mail for Windows|Outlook)",
        r"^\s*Get Outlook for ",
    )
)
_OUTLOOK_HEADER_FIELD = re.compile(r"^\s*\*?(?:Sent|Date|To|Subject|Cc)\s*:\*?", re.IGNORECASE)


def strip_quoted_reply(text: str) -> str:
    """The part of a reply the customer just wrote: everything above the quoted history or signature.

    Recognised: "On <date>, <name> wrote:" (also wrapped over up to three lines, and its Spanish and
    French forms), "-----Original Message-----", Outlook's underscore rule and From:/Sent: block, "-- "
    signature delimiters, "Sent from my iPhone" style footers, and ">" quoted lines. If nothing is left
    (a reply written below the quote), the text minus its ">" lines is returned instead.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _starts_quote(lines, index):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    reply = "\n".join(kept).strip()
    if reply:
        return reply
    return "\n".join(line for line in lines if not line.lstrip().startswith(">")).strip()


def _starts_quote(lines: list[str], index: int) -> bool:
    line = lines[index]
    if any(pattern.match(line) for pattern in _CUT_LINES):
        return True
    if re.match(r"^\s*(?:On|El|Le)\b", line, re.IGNORECASE):
        for span in range(1, 4):
            if _QUOTE_HEADER.match(" ".join(lines[index : index + span])):
                return True
    if re.match(r"^\s*\*?From:", line, re.IGNORECASE):
        following = lines[index + 1 : index + 4]
        return any(_OUTLOOK_HEADER_FIELD.match(candidate) for candidate in following)
    return False


class _HtmlText(HTMLParser):
    """Collects the visible text of an HTML body, skipping quoted history blocks and scripts."""

    SKIPPED = frozenset({"script", "style", "head", "title", "blockquote"})
    QUOTE_CLASSES = ("gmail_quote", "yahoo_quoted", "moz-cite-prefix")
    QUOTE_IDS = ("appendonsend", "divRplyFwdMsg")
    BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "table"})
    VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_stack: list[str] = []
        self._stopped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._stopped:
            return
        attributes = {name: value or "" for name, value in attrs}
        if any(name in attributes.get("class", "") for name in self.QUOTE_CLASSES) or (
            attributes.get("id", "") in self.QUOTE_IDS
        ):
            # Everything from the start of the quoted history on is history.
            self._stopped = True
            return
        if tag in self.BREAKS:
            self.parts.append("\n")
        if tag in self.SKIPPED:
            self._skip_stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip_stack and self._skip_stack[-1] == tag:
            self._skip_stack.pop()
        if tag in self.BREAKS and tag not in self.VOID:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._stopped and not self._skip_stack:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML reply, for the (rare) email without a text part."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
