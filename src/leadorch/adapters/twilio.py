"""Sends SMS through Twilio's Messages API with the official `twilio` SDK, and reads Twilio's webhooks.

The SDK's `Client` takes an `http_client`; ours is the SDK's own `TwilioHttpClient` with one change:
when `base_url` is given, requests for `https://api.twilio.com` go there instead, so the stand-in (or a
proxy) receives exactly what Twilio would. One `send_sms` is one HTTP attempt (the SDK does not retry
plain-HTTP requests and we configure no retries); retrying after a `TransientDeliveryError` is the
caller's decision.

Twilio's webhooks (inbound texts, status callbacks) are form posts signed in `X-Twilio-Signature`; their
field names, status words and error codes are read here into the messaging port's `InboundSms` and
`SmsDeliveryReport`, so the application never sees them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from leadorch.ports.messaging import (
    Accepted,
    DeliveryUnconfirmed,
    InboundSms,
    NotAccepted,
    PermanentDeliveryError,
    ProviderAnswer,
    ProviderRefusedCredentials,
    RecipientOptedOut,
    SenderRefused,
    SendReceipt,
    SmsDeliveryReport,
    SmsFate,
    SmsMessage,
    TransientDeliveryError,
    Unknown,
)

PROVIDER = "twilio"
AUTHENTICATION_FAILED = 20003  # "Authenticate": our account SID or auth token is wrong or revoked
ACTIVE_ACCOUNT = "active"  # an Account resource's status; "suspended" and "closed" send nothing

UNSUBSCRIBED_RECIPIENT = 21610
# Our sender, not the recipient: no `From` (21603), a `From` that is no phone number, short code or
# sender ID (21212), or not an SMS-capable number of this account (21606), an unknown or invalid
# Messaging Service (21701), or one with no number in its pool (21704).
SENDER_REFUSED = frozenset({21212, 21603, 21606, 21701, 21704})
TOO_MANY_REQUESTS = 20429

SIGNATURE_HEADER = "x-twilio-signature"
FINAL_STATUSES = {
    "delivered": SmsFate.DELIVERED,
    "undelivered": SmsFate.UNDELIVERED,
    "failed": SmsFate.FAILED,
    "read": SmsFate.READ,
}
IN_FLIGHT_STATUSES = frozenset({"accepted", "scheduled", "queued", "sending", "sent"})
# How far back the look-up for a dead worker's text reads (newest first): a number we texted more than
# this many times since the claim cannot be told apart, and the answer is Unknown.
LOOKUP_PAGE_SIZE = 50
LOOKUP_LIMIT = 200
OUTBOUND_DIRECTIONS = frozenset({"outbound-api", "outbound-call", "outbound-reply"})
# 30005: unknown or inactive number; 30006: landline or unreachable carrier. Either means the number
# will never receive a text, unlike 30003 (handset off) or 30008 (unknown error), which may pass later.
UNREACHABLE_NUMBER_CODES = frozenset({"30005", "30006"})


class TwilioSmsSender:
    """An `SmsSender` backed by Twilio.

    `from_number` / `messaging_service_sid` are the defaults when a message names neither; a Messaging
    Service is preferred by Twilio for sender pools and compliance, a plain number works for one shop.
    """

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        base_url: str | None = None,
        timeout: float = 10,
    ) -> None:
        if not account_sid:
            raise ValueError("Twilio account_sid is empty")
        if not auth_token:
            raise ValueError("Twilio auth_token is empty")
        if timeout <= 0:
            raise ValueError(f"Twilio timeout must be positive, got {timeout}")
        http_client = (
            RebasedTwilioHttpClient(base_url, timeout=timeout)
            if base_url
            else TwilioHttpClient(timeout=timeout)
        )
        self._client = Client(account_sid, auth_token, http_client=http_client)
        self._account_sid = account_sid
        self._from_number = from_number
        self._messaging_service_sid = messaging_service_sid

    def send_sms(self, msg: SmsMessage) -> SendReceipt:
        """Create the Message resource; Twilio answers 201 with the message `sid` and `queued` status."""
        from_number = msg.from_number or self._from_number
        service_sid = msg.messaging_service_sid or self._messaging_service_sid
        if not from_number and not service_sid:
            raise ValueError(
                f"SMS to {msg.to} has no sender: set from_number or messaging_service_sid on the sender "
                "or on the message"
            )
        optional: dict[str, Any] = {}
        if service_sid:
            optional["messaging_service_sid"] = service_sid
        if from_number:
            optional["from_"] = from_number
        if msg.status_callback:
            optional["status_callback"] = msg.status_callback
        try:
            message = self._client.messages.create(to=msg.to, body=msg.body, **optional)
        except (TwilioRestException, TwilioServiceException) as error:
            raise delivery_error_for(error) from None
        except (requests.ConnectTimeout, requests.exceptions.SSLError) as error:
            raise TransientDeliveryError(f"Twilio unreachable: {error}") from error
        except requests.ConnectionError as error:
            if _never_connected(error):
                raise TransientDeliveryError(f"Twilio unreachable: {error}") from error
            raise DeliveryUnconfirmed(f"Twilio did not answer after the request was sent: {error}") from error
        except requests.Timeout as error:  # the read timed out: Twilio may have taken the message
            raise DeliveryUnconfirmed(f"Twilio did not answer in time: {error}") from error
        except requests.RequestException as error:
            raise TransientDeliveryError(f"Twilio unreachable: {error}") from error
        except TwilioException as error:
            raise TransientDeliveryError(f"Twilio answered unexpectedly: {error}") from error
        return SendReceipt(
            provider=PROVIDER, provider_message_id=message.sid or "", status=message.status or ""
        )

    def check_sms_credentials(self) -> None:
        """Fetch our Account resource (sends nothing): 401/20003 or a suspended or closed account is
        `ProviderRefusedCredentials`; an unreachable Twilio is `TransientDeliveryError`."""
        try:
            account = self._client.api.v2010.accounts(self._account_sid).fetch()
        except (TwilioRestException, TwilioServiceException) as error:
            raise delivery_error_for(error) from None
        except (requests.RequestException, TwilioException) as error:
            raise TransientDeliveryError(f"Twilio unreachable: {error}") from error
        if account.status not in (None, ACTIVE_ACCOUNT):
            raise ProviderRefusedCredentials(
                f"Twilio: the account is {account.status}", provider=PROVIDER, code=str(account.status)
            )

    def was_sms_accepted(self, *, to: str, body: str, since: datetime) -> ProviderAnswer:
        """List the account's messages to `to` (GET .../Messages.json?To=…, paged by `next_page_uri`),
        newest first, and look for ours among those created at or after `since`.

        No `DateSent>` filter (the SDK's `date_sent_after`): Twilio filters on the day a message was
        *sent*, not on a time, and a message still queued has no `date_sent` yet, so a filter would hide
        exactly the message a worker died handing over. `date_created` (whole seconds) is compared here
        instead. Twilio keeps neither our idempotency key nor the status callback URL on the resource,
        so the body names the touch; another outbound message to the number since then (Smart Encoding
        may have rewritten ours) is `Unknown`, never a "no".
        """
        cutoff = since.astimezone(UTC).replace(microsecond=0)
        seen = 0
        others = 0
        reached_older = False
        try:
            for message in self._client.messages.stream(
                to=to, page_size=LOOKUP_PAGE_SIZE, limit=LOOKUP_LIMIT
            ):
                seen += 1
                created = message.date_created
                if created is None or created < cutoff:
                    reached_older = True
                    continue
                if message.direction not in OUTBOUND_DIRECTIONS:
                    continue
                if (message.body or "") == body:
                    return Accepted(provider_message_id=message.sid or "")
                others += 1
        except (TwilioRestException, TwilioServiceException) as error:
            return Unknown(reason=f"Twilio could not list the messages: {_reason(error)}")
        except (requests.RequestException, TwilioException) as error:  # a page's error is a bare one
            return Unknown(reason=f"Twilio could not list the messages: {error}")
        if others:
            return Unknown(reason=f"Twilio took {others} other message(s) to {to} since {cutoff.isoformat()}")
        if seen >= LOOKUP_LIMIT and not reached_older:
            return Unknown(reason=f"more than {LOOKUP_LIMIT} messages to {to}: not all could be read")
        return NotAccepted()


def _never_connected(error: requests.ConnectionError) -> bool:
    """True when the connection was refused or the host not found: nothing reached Twilio."""
    text = str(error)
    return any(
        marker in text for marker in ("Connection refused", "Name or service not known", "NewConnectionError")
    )


class RebasedTwilioHttpClient(TwilioHttpClient):  # type: ignore[misc]  # the SDK is untyped
    """The SDK's HTTP client, sending every request to `base_url` instead of Twilio's host.

    The whole scheme and host are replaced (not just `https://api.twilio.com`), so a region or edge the
    SDK picked from TWILIO_REGION / TWILIO_EDGE cannot leak a request to the real service.
    """

    def __init__(self, base_url: str, *, timeout: float | None = None) -> None:
        super().__init__(timeout=timeout)
        base = urlsplit(base_url)
        if base.scheme not in ("http", "https") or not base.netloc:
            raise ValueError(f"Twilio base_url must be an http(s) URL, got {base_url!r}")
        self.base = base

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        target = urlsplit(url)
        path = self.base.path.rstrip("/") + target.path
        rebased = urlunsplit((self.base.scheme, self.base.netloc, path, target.query, target.fragment))
        return super().request(method, rebased, *args, **kwargs)


def delivery_error_for(
    error: TwilioRestException | TwilioServiceException,
) -> TransientDeliveryError | PermanentDeliveryError | ProviderRefusedCredentials | SenderRefused:
    """Twilio's error answer as a delivery error.

    21610 (recipient replied STOP) is `RecipientOptedOut`; 401/403 and 20003 are our credentials, the
    `SENDER_REFUSED` codes our sender (neither the recipient's fault); 429 / 20429 and 5xx are transient;
    every other 4xx (21211 invalid 'To' number, 21614 not a mobile number, ...) is permanent.
    """
    status = int(error.status)
    code = int(error.code) if error.code is not None else None
    reason = _reason(error)
    code_text = str(code) if code is not None else str(status)
    if code == UNSUBSCRIBED_RECIPIENT:
        return RecipientOptedOut(f"Twilio: {reason}", code=code_text)
    if status in (401, 403) or code == AUTHENTICATION_FAILED:
        return ProviderRefusedCredentials(f"Twilio: {reason}", provider=PROVIDER, code=code_text)
    if code in SENDER_REFUSED:
        return SenderRefused(f"Twilio refused our sender: {reason}", code=code_text)
    if status in (408, 429) or status >= 500 or code == TOO_MANY_REQUESTS:
        return TransientDeliveryError(f"Twilio: {reason}", code=code_text)
    return PermanentDeliveryError(f"Twilio rejected the message: {reason}", code=code_text)


def _reason(error: TwilioRestException | TwilioServiceException) -> str:
    if isinstance(error, TwilioServiceException):
        return str(error.detail or error.title)
    # The SDK prefixes Twilio's message with "Unable to create record: " (or "fetch", for a GET).
    message = (
        str(error.msg).removeprefix("Unable to create record: ").removeprefix("Unable to fetch record: ")
    )
    return message or f"HTTP {error.status}"


def signed_by_twilio(
    auth_token: str, urls: Iterable[str], params: Mapping[str, Any], headers: Mapping[str, str]
) -> bool:
    """True when the request's `X-Twilio-Signature` is Twilio's signature of its form `params` for one of
    `urls` (the public URL Twilio requested, the URL as received: behind a proxy they differ).

    `headers` must find the header by its lower-cased name (Litestar's `request.headers` does).
    """
    signature = headers.get(SIGNATURE_HEADER, "")
    if not auth_token or not signature:
        return False
    return any(validate_twilio_signature(auth_token, url, params, signature) for url in urls)


def read_inbound_sms(params: Mapping[str, str]) -> InboundSms | None:
    """The text in an inbound-message webhook's form fields; None when it names no sender."""
    from_number = (params.get("From") or "").strip()
    if not from_number:
        return None
    return InboundSms(
        provider=PROVIDER,
        message_id=(params.get("MessageSid") or "").strip() or None,
        from_number=from_number,
        to_number=(params.get("To") or "").strip() or None,
        body=params.get("Body") or "",
    )


def read_status_callback(params: Mapping[str, str]) -> SmsDeliveryReport | None:
    """The delivery report in a status callback's form fields, or None when there is nothing to record.

    None for a callback without `MessageSid` or `MessageStatus`, for a status this adapter does not know
    (Twilio adds some over time: ignored rather than guessed at), and for `canceled` (a scheduled
    message cancelled before it was sent: it proves nothing was delivered, nor taken).
    """
    message_sid = (params.get("MessageSid") or "").strip()
    status = (params.get("MessageStatus") or "").strip().lower()
    if not message_sid or (status not in FINAL_STATUSES and status not in IN_FLIGHT_STATUSES):
        return None
    fate = FINAL_STATUSES.get(status)
    error_code = (params.get("ErrorCode") or "").strip() or None
    unreachable = fate in (SmsFate.UNDELIVERED, SmsFate.FAILED) and error_code in UNREACHABLE_NUMBER_CODES
    if unreachable:
        reason: str | None = f"the number cannot receive texts (Twilio {error_code})"
    else:
        reason = f"Twilio error {error_code}" if error_code else None
    return SmsDeliveryReport(
        message_id=message_sid,
        fate=fate,
        number_unreachable=unreachable,
        error_code=error_code,
        reason=reason,
    )


def validate_twilio_signature(auth_token: str, url: str, params: Mapping[str, Any], signature: str) -> bool:
    """True when `signature` (the X-Twilio-Signature header) is Twilio's HMAC of `url` and the form `params`.

    `url` must be the full URL Twilio requested, as Twilio saw it (scheme, host, path and query), which
    behind a proxy is the public URL rather than the one the app was reached at.
    """
    if not signature:
        return False
    # Passed as given: the SDK reads repeated fields through `getall`/`getlist` when the mapping has them.
    return bool(RequestValidator(auth_token).validate(url, params, signature))


def twiml_reply(text: str | None) -> str:
    """TwiML answering an inbound SMS: one reply message, or an empty `<Response/>` to send nothing."""
    response = MessagingResponse()
    if text:
        response.message(text)
    return str(response)
