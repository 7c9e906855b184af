"""Renders a touch's templates for one lead: the email with its compliance footer and headers, the SMS
within its segment limit.

Every marketing email carries the shop's postal address and a working unsubscribe link (CAN-SPAM) and
the one-click unsubscribe headers mailbox providers require of bulk senders (RFC 8058):
`List-Unsubscribe: <https://…>` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. RFC 8058
only allows an HTTPS link for one-click, so for a plain-HTTP link (a local demo) only the
`List-Unsubscribe` header is sent.

A location without a postal address gets no marketing email at all: `render_email` refuses
(`MessageRenderingError` naming `location_address`), so the touch is recorded as not sent with the
reason and the channel stays on; once the operator adds the address (CLI `locations update --address`,
the admin API or the console's settings) the next touches go out. Why refuse rather than send without
it: a missing address is a CAN-SPAM violation per message, in the franchise's name, and the operator can
fix it in a minute; the demo seed and the stand-ins are held to the same rule, so what works in the demo
works with real credentials.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any
from urllib.parse import urlsplit

import msgspec
from jinja2 import TemplateError
from jinja2.exceptions import SecurityError, UndefinedError

from leadorch.app.messages.context import MessageContext
from leadorch.app.messages.environment import compiled
from leadorch.app.messages.errors import MessageRenderingError, SmsTooLong
from leadorch.app.messages.templates import EmailTemplate, SmsTemplate
from leadorch.domain.sms_segments import sms_segments

DEFAULT_MAX_SMS_SEGMENTS = 2
OPT_OUT_NOTICE = "Reply STOP to opt out."
_HAS_OPT_OUT_NOTICE = re.compile(r"\breply\s+stop\b", re.IGNORECASE)


class RenderedEmail(msgspec.Struct, frozen=True, kw_only=True):
    """An email ready to hand to an `EmailMessage`: footer included, unsubscribe headers set."""

    subject: str
    text: str
    html: str
    headers: dict[str, str]


def render_email(template: EmailTemplate, ctx: MessageContext) -> RenderedEmail:
    """Render subject, text and HTML, append the address/unsubscribe footer, and set the headers."""
    values = msgspec.structs.asdict(ctx)
    link = _unsubscribe_link(ctx.unsubscribe_link)
    if not ctx.location_address.strip():
        raise MessageRenderingError(
            "location_address",
            f"{ctx.location_name} has no postal address, which CAN-SPAM requires in every marketing email; "
            "add it to the location (`leadorch locations update … --address`, or the console's settings)",
        )
    subject = " ".join(render_part("email.subject", template.subject, values, html=False).split())
    if not subject:
        raise MessageRenderingError("email.subject", "renders to an empty subject")
    text = render_part("email.text", template.text, values, html=False).strip()
    html = render_part("email.html", template.html, values, html=True).strip()
    headers = {"List-Unsubscribe": f"<{link}>"}
    if urlsplit(link).scheme == "https":
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return RenderedEmail(
        subject=subject,
        text=text + _text_footer(ctx, link),
        html=_with_html_footer(html, ctx, link),
        headers=headers,
    )


def render_sms(
    template: SmsTemplate,
    ctx: MessageContext,
    max_segments: int = DEFAULT_MAX_SMS_SEGMENTS,
    *,
    opt_out_notice: bool = False,
) -> str:
    """Render the SMS body; with `opt_out_notice` (a lead's first text) end it with "Reply STOP to opt
    out." unless it already says so. Raises `SmsTooLong` beyond `max_segments`."""
    if max_segments < 1:
        raise ValueError(f"max_segments must be at least 1, got {max_segments}")
    body = render_part("sms.body", template.body, msgspec.structs.asdict(ctx), html=False).strip()
    if not body:
        raise MessageRenderingError("sms.body", "renders to an empty message")
    if opt_out_notice and not _HAS_OPT_OUT_NOTICE.search(body):
        body = f"{body} {OPT_OUT_NOTICE}"
    info = sms_segments(body)
    if info.segments > max_segments:
        raise SmsTooLong("sms.body", info.segments, max_segments, info.encoding, info.units)
    return body


def render_part(part: str, source: str, values: dict[str, Any], *, html: bool) -> str:
    """Render one template source, turning Jinja's errors into a `MessageRenderingError` naming `part`."""
    try:
        return compiled(source, html=html).render(values)
    except UndefinedError as error:
        raise MessageRenderingError(part, f"refers to something that is not there: {error.message}") from None
    except SecurityError as error:
        raise MessageRenderingError(part, f"blocked by the template sandbox: {error}") from None
    except TemplateError as error:
        raise MessageRenderingError(part, f"template error: {error}") from None
    except (TypeError, ValueError, ArithmeticError) as error:
        raise MessageRenderingError(part, f"cannot be rendered: {error}") from None


def _unsubscribe_link(link: str) -> str:
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(ch.isspace() for ch in link):
        raise MessageRenderingError("unsubscribe_link", f"must be an absolute http(s) URL, got {link!r}")
    return link


def _text_footer(ctx: MessageContext, link: str) -> str:
    return (
        postal_text_footer(ctx.location_name, ctx.location_address)
        + f"Unsubscribe from these emails: {link}\n"
    )


def postal_text_footer(name: str, address: str) -> str:
    """The plain-text footer naming the sender and its postal address (every automated email ends so)."""
    return f"\n\n--\n{name}\n{address}\n"


def postal_html_footer(name: str, address: str, extra_html: str = "") -> str:
    """The HTML footer naming the sender and its postal address, then `extra_html` (already escaped)."""
    return (
        '<hr style="border:none;border-top:1px solid #e5e7eb;margin:24px 0 12px">'
        '<p style="font-size:12px;line-height:1.5;color:#6b7280;margin:0">'
        f"{escape(name)} &middot; {escape(address)}" + (f"<br>{extra_html}" if extra_html else "") + "</p>"
    )


def _with_html_footer(html: str, ctx: MessageContext, link: str) -> str:
    unsubscribe = f'<a href="{escape(link)}" style="color:#6b7280">Unsubscribe</a> from these emails.'
    footer = postal_html_footer(ctx.location_name, ctx.location_address, unsubscribe)
    closing = re.search(r"</body\s*>", html, re.IGNORECASE)
    if closing:
        return html[: closing.start()] + footer + html[closing.start() :]
    return html + footer
