"""The editable text of each touch: an email (subject, plain text, HTML) and an SMS body.

Templates are Jinja2 sources using the fields of `MessageContext` (e.g. `{{ first_name }}`) and the
`sentence` filter (`{{ services | sentence }}` -> "ceramic window tint and windshield strip").
"""

from __future__ import annotations

import msgspec


class EmailTemplate(msgspec.Struct, frozen=True, kw_only=True):
    subject: str
    text: str
    html: str


class SmsTemplate(msgspec.Struct, frozen=True, kw_only=True):
    body: str


class TouchTemplates(msgspec.Struct, frozen=True, kw_only=True):
    """Both channels' templates for one touch, so any cadence plan can pick either channel."""

    email: EmailTemplate
    sms: SmsTemplate
