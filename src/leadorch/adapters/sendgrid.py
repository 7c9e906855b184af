"""Sends email through SendGrid's v3 Mail Send API with the official `sendgrid` SDK.

The SDK builds the request body (`Mail`) and speaks HTTP through `python_http_client`, which raises one
exception class per HTTP status. This module only translates: our `EmailMessage` into a `Mail`, and
SendGrid's answers into a `SendReceipt` or a delivery error. One call is one HTTP attempt (the SDK
never retries); retrying after a `TransientDeliveryError` is the caller's decision.
"""

from __future__ import annotations

import http.client
import json

from python_http_client.exceptions import HTTPError as SendGridHTTPError
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import Category, CustomArg, Header, Mail, ReplyTo

from leadorch.ports.messaging import (
    DeliveryUnconfirmed,
    EmailMessage,
    PermanentDeliveryError,
    ProviderRefusedCredentials,
    SendReceipt,
    TransientDeliveryError,
)

PROVIDER = "sendgrid"
MAIL_SEND_SCOPE = "mail.send"  # what an API key needs to send; a restricted key may lack it
# SendGrid rejects more than 10 categories per message; we never need more.
MAX_CATEGORIES = 10


class SendGridEmailSender:
    """An `EmailSender` backed by SendGrid. `host` points the SDK elsewhere (the stand-in, an EU region)."""

    def __init__(self, api_key: str, *, host: str = "https://api.sendgrid.com", timeout: float = 10) -> None:
        if not api_key:
            raise ValueError("SendGrid api_key is empty")
        if timeout <= 0:
            raise ValueError(f"SendGrid timeout must be positive, got {timeout}")
        self._client = SendGridAPIClient(api_key=api_key, host=host.rstrip("/"))
        self._timeout = timeout

    def send_email(self, msg: EmailMessage) -> SendReceipt:
        """Ask SendGrid to send `msg`; 202 Accepted yields the receipt with SendGrid's X-Message-Id."""
        body = mail_for(msg).get()
        try:
            response = self._client.client.mail.send.post(request_body=body, timeout=self._timeout)
        except SendGridHTTPError as error:
            raise delivery_error_for(error.status_code, error.body) from None
        except (TimeoutError, ConnectionResetError, http.client.RemoteDisconnected) as error:
            # The request may have reached SendGrid: retrying could send it twice.
            raise DeliveryUnconfirmed(
                f"SendGrid did not answer after the request was sent: {error}"
            ) from error
        except (OSError, http.client.HTTPException) as error:  # refused, DNS: nothing was sent
            raise TransientDeliveryError(f"SendGrid unreachable: {error}") from error
        # An accepted message without an id can still be matched by its custom args in event webhooks.
        message_id = response.headers.get("X-Message-Id") or ""
        return SendReceipt(provider=PROVIDER, provider_message_id=message_id, status="accepted")

    def check_email_credentials(self) -> None:
        """List our API key's scopes (`GET /v3/scopes`, sends nothing): 401/403, or a key without
        `mail.send`, is `ProviderRefusedCredentials`; an unreachable SendGrid is `TransientDeliveryError`."""
        try:
            response = self._client.client.scopes.get(timeout=self._timeout)
        except SendGridHTTPError as error:
            raise delivery_error_for(error.status_code, error.body) from None
        except (OSError, http.client.HTTPException) as error:
            raise TransientDeliveryError(f"SendGrid unreachable: {error}") from error
        try:
            scopes = json.loads(response.body or b"{}").get("scopes") or []
        except (ValueError, AttributeError):
            raise TransientDeliveryError("SendGrid answered /v3/scopes with something unreadable") from None
        if MAIL_SEND_SCOPE not in scopes:
            raise ProviderRefusedCredentials(
                f"SendGrid: the API key lacks the {MAIL_SEND_SCOPE} scope", provider=PROVIDER, code="403"
            )


def mail_for(msg: EmailMessage) -> Mail:
    """The SDK's `Mail` for one message: text and HTML parts, our headers, custom args and categories."""
    mail = Mail(
        from_email=(msg.from_email, msg.from_name),
        to_emails=(msg.to, msg.to_name) if msg.to_name else msg.to,
        subject=msg.subject,
        plain_text_content=msg.text,
        html_content=msg.html or None,
    )
    if msg.reply_to:
        mail.reply_to = ReplyTo(msg.reply_to)
    for name, value in msg.headers.items():
        mail.add_header(Header(name, value))
    custom_args = {**msg.custom_args, "idempotency_key": msg.idempotency_key}
    for key, value in custom_args.items():
        mail.add_custom_arg(CustomArg(key, value))
    for category in msg.categories[:MAX_CATEGORIES]:
        mail.add_category(Category(category))
    return mail


def delivery_error_for(
    status: int, body: bytes | str | None
) -> TransientDeliveryError | PermanentDeliveryError | ProviderRefusedCredentials:
    """SendGrid's error answer as a delivery error: 408/429/5xx may pass, other 4xx will not."""
    reason = _error_messages(body) or f"HTTP {status}"
    code = str(status)
    if status in (401, 403):  # a bad, revoked or under-scoped API key: ours, not the recipient's
        return ProviderRefusedCredentials(f"SendGrid: {reason}", provider=PROVIDER, code=code)
    if status in (408, 429) or status >= 500:
        return TransientDeliveryError(f"SendGrid: {reason}", code=code)
    return PermanentDeliveryError(f"SendGrid rejected the message: {reason}", code=code)


def _error_messages(body: bytes | str | None) -> str:
    """Join `errors[].message` from SendGrid's error body; fall back to the raw text."""
    if not body:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        payload = json.loads(text)
    except ValueError:
        return text.strip()[:500]
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not isinstance(errors, list):
        return text.strip()[:500]
    messages = []
    for error in errors:
        if isinstance(error, dict) and error.get("message"):
            field = error.get("field")
            messages.append(f"{error['message']} ({field})" if field else str(error["message"]))
    return "; ".join(messages)
