"""SendGrid's Event Webhook: what SendGrid says became of each email we handed it.

SendGrid posts a JSON array of events (`processed` when it took the message, then `delivered`,
`deferred`, `bounce`, `dropped`, ...), batched, at least once and in no particular order. Each event
carries the message's custom args as top-level keys, so ours (`idempotency_key`, `tenant_id`) name the
touch. With the *Signed* Event Webhook each request is signed with ECDSA (P-256, SHA-256) over the
timestamp header followed by the raw body; the verification key is shown once in SendGrid's mail
settings as base64 DER. Verification is the official SDK's (`sendgrid.helpers.eventwebhook`).

This module holds SendGrid's words (header names, event names, field names) and no business rule.
"""

from __future__ import annotations

import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
TOLERANCE_SECONDS = 600
"""How old a signed request may be: SendGrid retries for up to 24 h, each retry signed anew."""
ACCEPTED_EVENTS = frozenset({"processed", "delivered", "deferred", "bounce", "dropped", "open", "click"})
"""Events that mean SendGrid took the message (even a bounce or a drop: it was ours to send, and
sending it again would only be dropped or bounced again)."""


class EventWebhookRefused(Exception):
    """The request is not SendGrid's (signature, timestamp) or not an Event Webhook body.

    `status` is the HTTP status to answer: 403 for a request we cannot trust, 400 for a malformed one."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class EmailEvent:
    """One event about one message."""

    sg_event_id: str
    event: str
    idempotency_key: str | None
    tenant_id: str | None
    sg_message_id: str | None
    at: datetime

    @property
    def means_accepted(self) -> bool:
        return self.event in ACCEPTED_EVENTS


def verify(
    public_key: str, body: bytes, signature: str | None, timestamp: str | None, *, now: datetime
) -> None:
    """Refuse (`EventWebhookRefused`, 403) a request not signed by the key `public_key` (base64 DER) or
    signed more than `TOLERANCE_SECONDS` from `now`."""
    if not signature or not timestamp:
        raise EventWebhookRefused(403, f"the {SIGNATURE_HEADER} and {TIMESTAMP_HEADER} headers are required")
    try:
        signed_at = int(timestamp)
    except ValueError:
        raise EventWebhookRefused(403, f"{TIMESTAMP_HEADER} is not a Unix time") from None
    if abs(now.timestamp() - signed_at) > TOLERANCE_SECONDS:
        raise EventWebhookRefused(403, "the signature's timestamp is too old or in the future")
    from sendgrid.helpers.eventwebhook import EventWebhook  # only where a request is verified: operator
    # commands import this module (through the settlers) and must not pay for the SDK

    try:
        verifier = EventWebhook(public_key)
        valid = verifier.verify_signature(body.decode("utf-8"), signature, timestamp)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise EventWebhookRefused(403, "the signature could not be checked") from None
    if not valid:
        raise EventWebhookRefused(403, "the signature does not match the body")


def parse_events(body: bytes) -> list[EmailEvent]:
    """The events of a verified body; `EventWebhookRefused` (400) when it is not an array of events."""
    try:
        data = json.loads(body)
    except ValueError:
        raise EventWebhookRefused(400, "the body is not JSON") from None
    if not isinstance(data, list):
        raise EventWebhookRefused(400, "the body must be a JSON array of events")
    events = []
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise EventWebhookRefused(400, f"event {index} is not an object")
        event_id, kind, stamp = item.get("sg_event_id"), item.get("event"), item.get("timestamp")
        if not isinstance(event_id, str) or not event_id or not isinstance(kind, str) or not kind:
            raise EventWebhookRefused(400, f"event {index} needs sg_event_id and event")
        if not isinstance(stamp, int) or isinstance(stamp, bool):
            raise EventWebhookRefused(400, f"event {index} needs a Unix timestamp")
        events.append(
            EmailEvent(
                sg_event_id=event_id,
                event=kind,
                idempotency_key=_text(item.get("idempotency_key")),
                tenant_id=_text(item.get("tenant_id")),
                sg_message_id=_text(item.get("sg_message_id")),
                at=datetime.fromtimestamp(stamp, UTC),
            )
        )
    return events


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
