"""The messaging port: what the application needs from an email and an SMS provider.

The touch cadence only needs to hand a finished message to a provider and learn whether the provider
took it. Everything vendor-specific (SDKs, wire formats, error codes) stays in the adapters; the
application sees the value types and the three delivery errors below, which say the one thing it must
decide on: try again later (`TransientDeliveryError`), give up on this message
(`PermanentDeliveryError`), or record that the recipient revoked consent (`RecipientOptedOut`).

Neither SendGrid's nor Twilio's send API accepts an idempotency key, so `idempotency_key` cannot stop
a provider from sending twice: callers claim the touch before sending and retry only on
`TransientDeliveryError`. The key still travels with the message (SendGrid custom args) so provider
events can be tied back to the exact attempt.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

import msgspec


class EmailMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One email to one recipient, fully rendered."""

    to: str
    to_name: str | None = None
    from_email: str
    from_name: str
    reply_to: str | None = None
    subject: str
    text: str
    html: str
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    """Extra MIME headers, e.g. `List-Unsubscribe` and `List-Unsubscribe-Post`."""
    custom_args: dict[str, str] = msgspec.field(default_factory=dict)
    """Our own ids (tenant, lead, touch); the provider echoes them in its event webhooks."""
    categories: list[str] = msgspec.field(default_factory=list)
    """Provider-side reporting buckets, e.g. `touch-3`."""
    idempotency_key: str


class SmsMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One text message to one E.164 number.

    `from_number` and `messaging_service_sid` override the sender's defaults; at least one of the two
    must be known when sending.
    """

    to: str
    body: str
    from_number: str | None = None
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    idempotency_key: str


class SendReceipt(msgspec.Struct, frozen=True, kw_only=True):
    """The provider accepted the message: its id lets later delivery events find the message."""

    provider: str
    provider_message_id: str
    status: str


class InboundEmail(msgspec.Struct, frozen=True, kw_only=True):
    """A customer's emailed reply, reduced to what the application reasons about."""

    from_email: str
    """Lower-cased sender address from the From header."""
    from_name: str | None
    to: list[str]
    cc: list[str]
    subject: str
    text: str
    """The new part of the reply: quoted history and signatures removed as far as they are recognised."""
    full_text: str
    """The whole plain-text body as received."""
    html: str | None
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    envelope_from: str | None
    envelope_to: list[str]
    """SMTP recipients: the address the mail was really delivered to (e.g. a per-lead reply address)."""
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    """The message's top-level headers, names lower-cased, encoded words decoded, a repeated header's
    values joined by newlines: what tells an auto-reply (`Auto-Submitted`, `Precedence`, a delivery
    report's `Content-Type`...) from a person's answer (`domain.auto_reply`)."""
    null_sender: bool = False
    """The SMTP envelope sender was empty (`MAIL FROM:<>`), as for bounces and many automatic replies."""


class SmsFate(StrEnum):
    """How a text's journey ended, as the touch history records it."""

    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    READ = "read"


class SmsDeliveryReport(msgspec.Struct, frozen=True, kw_only=True):
    """The SMS provider's report on one message it took (a delivery-status webhook), read by its adapter.

    Any report is proof the provider accepted the message. `fate` is None while the message is still on
    its way; `number_unreachable` says the number can never receive texts (not merely this one failed),
    with `reason` the provider's words for why.
    """

    message_id: str
    fate: SmsFate | None
    number_unreachable: bool = False
    error_code: str | None = None
    reason: str | None = None


class InboundSms(msgspec.Struct, frozen=True, kw_only=True):
    """A text a customer sent to one of our numbers, as its provider's webhook delivered it."""

    provider: str
    message_id: str | None
    """The provider's id for the message: a re-delivery of the same webhook carries the same one."""
    from_number: str
    to_number: str | None
    body: str


class Accepted(msgspec.Struct, frozen=True, kw_only=True):
    """The provider says it took the message we asked about: `provider_message_id` is its id."""

    provider_message_id: str


class NotAccepted(msgspec.Struct, frozen=True, kw_only=True):
    """The provider says it took no message to the recipient since the time asked about."""


class Unknown(msgspec.Struct, frozen=True, kw_only=True):
    """The provider could not say (an outage, no access, or a message it took that may be ours)."""

    reason: str


ProviderAnswer = Accepted | NotAccepted | Unknown
"""What a provider answers when asked whether it accepted a message a dead worker may have sent."""


class DeliveryError(Exception):
    """The provider did not accept the message.

    `code` is the provider's own error code when it gave one (Twilio `21610`, or the HTTP status for
    providers without codes); `reason` is the provider's explanation; `retriable` says whether the
    same message may succeed later.
    """

    retriable: bool = False

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        super().__init__(f"{reason} (code {code})" if code else reason)
        self.reason = reason
        self.code = code


class TransientDeliveryError(DeliveryError):
    """Worth retrying: the provider did not take the message (5xx, 429, connection refused)."""

    retriable = True


class ProviderRefusedCredentials(DeliveryError):
    """The provider refused *our* account (401/403, Twilio 20003): nothing is wrong with the recipient.

    Retrying now cannot help and disabling the recipient's channel would be wrong; the caller pauses
    sending through `provider` until the credentials work again."""

    retriable = True

    def __init__(self, reason: str, *, provider: str, code: str | None = None) -> None:
        super().__init__(reason, code=code)
        self.provider = provider


class SenderRefused(DeliveryError):
    """The provider refuses *our* sender (a `From` number that is not ours, an unknown Messaging Service):
    our configuration, not the recipient's. The recipient's channel stays enabled; the same message goes
    through once the sender is fixed."""

    retriable = True


class PermanentDeliveryError(DeliveryError):
    """Retrying the same message cannot help: invalid number or address, rejected content, bad credentials."""

    retriable = False


class DeliveryUnconfirmed(DeliveryError):
    """The request may have reached the provider but no answer came (read timeout, connection lost).

    Retrying could send the message twice, so it is never retried automatically: the touch is recorded
    *uncertain* for a status callback or a person to settle.
    """

    retriable = False


class RecipientOptedOut(PermanentDeliveryError):
    """The provider refuses because the recipient unsubscribed (e.g. replied STOP to this sender)."""


class EmailSender(Protocol):
    """Hands a rendered email to an email provider."""

    def send_email(self, msg: EmailMessage) -> SendReceipt:
        """Return the receipt, or raise a `DeliveryError` subclass."""
        ...

    def check_email_credentials(self) -> None:
        """Return if the provider would take mail with our credentials, sending nothing; else raise
        `ProviderRefusedCredentials` (or `TransientDeliveryError` when it cannot tell now)."""
        ...


class SmsSender(Protocol):
    """Hands a rendered text message to an SMS provider."""

    def send_sms(self, msg: SmsMessage) -> SendReceipt:
        """Return the receipt, or raise a `DeliveryError` subclass."""
        ...

    def check_sms_credentials(self) -> None:
        """Return if the provider would take texts with our credentials, sending nothing; else raise
        `ProviderRefusedCredentials` (or `TransientDeliveryError` when it cannot tell now)."""
        ...

    def was_sms_accepted(self, *, to: str, body: str, since: datetime) -> ProviderAnswer:
        """Whether the provider took a text of `body` to `to` at or after `since` (an aware instant).

        `Accepted` only for a message of exactly that body; `NotAccepted` only when the provider took
        no message to `to` at all since then; anything else (another message it took to that number
        meanwhile, an error, an outage) is `Unknown`, so that a "no" can be trusted to re-send on.
        Never raises a delivery error: an unanswerable question is `Unknown`.
        """
        ...


class Messenger(EmailSender, SmsSender, Protocol):
    """Both channels the touch cadence uses."""
