"""ShopMonkey webhook deliveries: proving they came from ShopMonkey, and reading them.

ShopMonkey signs deliveries with the Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`,
`webhook-signature`: `v1,<base64 HMAC-SHA256>` over `"{id}.{timestamp}.{raw body}"`). The
`standardwebhooks` package computes that HMAC. Its own `Webhook.verify` reads the wall clock with a
fixed five-minute window and cannot be given a time, so `verify_delivery` checks the timestamp
against the caller's `now` itself and compares the package's signature in constant time.

Per ShopMonkey's guide, `X-Request-Id` is unique per *delivery* while `webhook-id` is unique per
*delivery attempt* (the Standard Webhooks spec keeps `webhook-id` across retries; ShopMonkey's guide
says otherwise and we follow the guide): de-duplicate on `request_id`.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import msgspec
from standardwebhooks.webhooks import Webhook

from leadorch.adapters.shopmonkey_models import (
    WireAppointment,
    WireOrder,
    appointment_from_wire,
    order_from_wire,
)
from leadorch.ports.crm import CrmAppointment, CrmOrder

WEBHOOK_VERSION = "3"
USER_AGENT = "Shopmonkey (+https://shopmonkey.io)"
SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class WebhookSignatureError(Exception):
    """The delivery cannot be proven to come from ShopMonkey; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WebhookPayloadError(Exception):
    """The delivery is authentic-looking but not something we can read; `reason` says what is wrong."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WebhookDelivery(msgspec.Struct, frozen=True, kw_only=True):
    """One webhook delivery. `order` is set when the row is an order (`table == "order"`),
    `appointment` when it is an appointment (`table == "appointment"`: staff moved, cancelled,
    confirmed or deleted one in the calendar, or made a new one)."""

    request_id: str
    webhook_id: str
    attempt: int
    api_version: str
    operation: str
    table: str
    order: CrmOrder | None
    diff: list[str]
    data: dict[str, Any]
    appointment: CrmAppointment | None = None


class _WireBody(msgspec.Struct, rename="camel"):
    api_version: str | int
    operation: Literal["INSERT", "UPDATE", "DELETE"]
    table: str
    data: dict[str, Any]
    diff: list[str] | None = None


def verify_delivery(
    raw_body: bytes,
    headers: Mapping[str, str],
    secret: str,
    *,
    now: datetime | None = None,
    tolerance: timedelta = timedelta(minutes=5),
) -> None:
    """Raise `WebhookSignatureError` unless `raw_body` is signed with `secret` within `tolerance` of now."""
    lowered = _lower(headers)
    missing = [name for name in SIGNATURE_HEADERS if not lowered.get(name, "").strip()]
    if missing:
        raise WebhookSignatureError(f"missing header(s): {', '.join(missing)}")
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    signed_at = _timestamp(lowered["webhook-timestamp"])
    if signed_at < now - tolerance:
        raise WebhookSignatureError(f"webhook-timestamp is {(now - signed_at).total_seconds():.0f} s old")
    if signed_at > now + tolerance:
        raise WebhookSignatureError(
            f"webhook-timestamp is {(signed_at - now).total_seconds():.0f} s in the future"
        )
    try:
        text = raw_body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookSignatureError("body is not UTF-8, so it is not what ShopMonkey signed") from exc
    expected = _signer(secret).sign(lowered["webhook-id"], signed_at, text).partition(",")[2]
    expected_bytes = base64.b64decode(expected)
    offered = [_signature_bytes(part) for part in lowered["webhook-signature"].split()]
    if not any(sig is not None and hmac.compare_digest(expected_bytes, sig) for sig in offered):
        raise WebhookSignatureError("webhook-signature does not match the body and secret")


def parse_delivery(raw_body: bytes, headers: Mapping[str, str]) -> WebhookDelivery:
    """Read a (verified) delivery; raise `WebhookPayloadError` naming what is missing or malformed."""
    lowered = _lower(headers)
    request_id = lowered.get("x-request-id", "").strip()
    webhook_id = lowered.get("webhook-id", "").strip()
    if not request_id:
        raise WebhookPayloadError("missing header X-Request-Id")
    if not webhook_id:
        raise WebhookPayloadError("missing header webhook-id")
    attempt = _attempt(lowered.get("x-attempt", "1"))
    try:
        body = msgspec.json.decode(raw_body, type=_WireBody)
    except msgspec.ValidationError as exc:
        raise WebhookPayloadError(f"body has the wrong shape: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise WebhookPayloadError(f"body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise WebhookPayloadError("body is nested too deeply to be a ShopMonkey row") from exc
    order = None
    if body.table == "order":
        try:
            order = order_from_wire(msgspec.convert(body.data, WireOrder))
        except msgspec.ValidationError as exc:
            raise WebhookPayloadError(f"order row has the wrong shape: {_under_data(exc)}") from exc
        except RecursionError as exc:
            raise WebhookPayloadError("order row is nested too deeply") from exc
    appointment = None
    if body.table == "appointment":
        try:
            appointment = appointment_from_wire(msgspec.convert(body.data, WireAppointment))
        except msgspec.ValidationError as exc:
            raise WebhookPayloadError(f"appointment row has the wrong shape: {_under_data(exc)}") from exc
        except RecursionError as exc:
            raise WebhookPayloadError("appointment row is nested too deeply") from exc
    return WebhookDelivery(
        request_id=request_id,
        webhook_id=webhook_id,
        attempt=attempt,
        api_version=str(body.api_version),
        operation=body.operation,
        table=body.table,
        order=order,
        diff=list(body.diff or []),
        data=body.data,
        appointment=appointment,
    )


def sign_delivery(
    secret: str,
    raw_body: bytes,
    *,
    msg_id: str,
    timestamp: datetime,
    request_id: str | None = None,
    attempt: int = 1,
) -> dict[str, str]:
    """The full header set ShopMonkey sends with `raw_body`, signed with `secret` at `timestamp`.

    Without a `request_id`, one is derived from `msg_id` (`msg_abc` -> `req_abc`), as in the fixtures.
    """
    if timestamp.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    if attempt < 1:
        raise ValueError(f"attempt counts from 1, got {attempt}")
    if not msg_id:
        raise ValueError("msg_id must not be empty")
    # The package stamps the datetime as UTC without converting it, so hand it UTC.
    signed_at = datetime.fromtimestamp(int(timestamp.timestamp()), tz=UTC)
    signature = _signer(secret).sign(msg_id, signed_at, raw_body.decode("utf-8"))
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Attempt": str(attempt),
        "X-Request-Id": request_id or f"req_{msg_id.removeprefix('msg_')}",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(signed_at.timestamp())),
        "webhook-signature": signature,
        "webhook-version": WEBHOOK_VERSION,
    }


@functools.lru_cache(maxsize=1024)
def _signer(secret: str) -> Webhook:
    """The package's signer for `secret` (decoding a secret once, not on every delivery)."""
    try:
        return Webhook(secret)
    except Exception as exc:  # the package raises binascii.Error, EmptyWebhookSecretError, RuntimeError
        raise ValueError("the ShopMonkey webhook secret is not a valid `whsec_…` base64 secret") from exc


def _lower(headers: Mapping[str, str]) -> Mapping[str, str]:
    """Header names in lower case (an ASGI server's are already: then the mapping is used as it is)."""
    if all(name.islower() for name in headers):
        return headers
    return {name.lower(): value for name, value in headers.items()}


def _timestamp(raw: str) -> datetime:
    try:
        seconds = int(raw.strip())
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise WebhookSignatureError(
            f"webhook-timestamp {raw!r} is not whole seconds since the epoch"
        ) from exc


def _signature_bytes(versioned: str) -> bytes | None:
    version, _, encoded = versioned.partition(",")
    if version != "v1" or not encoded:
        return None
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _attempt(raw: str) -> int:
    try:
        attempt = int(raw.strip())
    except ValueError as exc:
        raise WebhookPayloadError(f"header X-Attempt {raw!r} is not a whole number") from exc
    if attempt < 1:
        raise WebhookPayloadError(f"header X-Attempt {raw!r} is not a delivery attempt (they count from 1)")
    return attempt


def _under_data(error: msgspec.ValidationError) -> str:
    return str(error).replace("`$", "`$.data", 1)
