"""Signed, expiring links that put one lead's chat or unsubscribe page one tap away from a message.

A token names its purpose, the tenant, the lead and when it expires, and carries an HMAC-SHA256 over
all of them keyed from `LEADORCH_SECRET_KEY` (a separate key per purpose, so an unsubscribe token can
never open a chat). Tokens are stateless: nothing is stored, so a message sent years ago still
unsubscribes as long as its token has not expired, and rotating the secret key revokes every link.

Token layout: base64url(`purpose|tenant_id|lead_id|expires_epoch_seconds`) + "." + base64url(mac[:16]).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

CHAT = "chat"
UNSUBSCRIBE = "unsubscribe"
# Unsubscribe links must keep working long after the message (CAN-SPAM asks for at least 30 days).
UNSUBSCRIBE_LIFETIME = timedelta(days=400)
CHAT_LIFETIME = timedelta(days=45)
_MAC_BYTES = 16


class InvalidLink(ValueError):
    """A link token that cannot be honoured; `reason` says why (expired, forged, malformed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LinkSigner:
    """Makes and checks the tokens of one deployment (its secret key and public base URL)."""

    secret_key: str
    public_base_url: str

    def __post_init__(self) -> None:
        if len(self.secret_key) < 32:
            raise ValueError("the link secret key must be at least 32 characters")

    def chat_token(self, tenant_id: str, lead_id: str, expires_at: datetime) -> str:
        """A token that opens the chat of `lead_id` until `expires_at`."""
        return self._sign(CHAT, tenant_id, str(lead_id), expires_at)

    def verify_chat_token(self, token: str, now: datetime) -> tuple[str, str]:
        """(tenant_id, lead_id) of a valid chat token, or `InvalidLink` naming what is wrong."""
        return self._verify(CHAT, token, now)

    def unsubscribe_token(self, tenant_id: str, lead_id: str, expires_at: datetime) -> str:
        """A token that unsubscribes `lead_id` from email until `expires_at`."""
        return self._sign(UNSUBSCRIBE, tenant_id, str(lead_id), expires_at)

    def verify_unsubscribe_token(self, token: str, now: datetime) -> tuple[str, str]:
        """(tenant_id, lead_id) of a valid unsubscribe token, or `InvalidLink`."""
        return self._verify(UNSUBSCRIBE, token, now)

    def chat_url(self, tenant_id: str, lead_id: str, *, now: datetime) -> str:
        """`{public_base_url}/chat/{token}` valid for `CHAT_LIFETIME` from `now`."""
        return f"{self._base}/chat/{self.chat_token(tenant_id, lead_id, now + CHAT_LIFETIME)}"

    def unsubscribe_url(self, tenant_id: str, lead_id: str, *, now: datetime) -> str:
        """`{public_base_url}/unsubscribe/{token}` valid for `UNSUBSCRIBE_LIFETIME` from `now`."""
        token = self.unsubscribe_token(tenant_id, lead_id, now + UNSUBSCRIBE_LIFETIME)
        return f"{self._base}/unsubscribe/{token}"

    def webhook_key(self, purpose: str) -> str:
        """A stable secret for a webhook URL that its provider cannot sign (e.g. SendGrid Inbound Parse)."""
        return _b64(self._key(f"webhook:{purpose}")[:18])

    @property
    def _base(self) -> str:
        return self.public_base_url.rstrip("/")

    def _key(self, purpose: str) -> bytes:
        return hmac.new(
            self.secret_key.encode(), f"leadorch-link:{purpose}".encode(), hashlib.sha256
        ).digest()

    def _mac(self, purpose: str, payload: bytes) -> bytes:
        return hmac.new(self._key(purpose), payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def _sign(self, purpose: str, tenant_id: str, lead_id: str, expires_at: datetime) -> str:
        for name, value in (("tenant_id", tenant_id), ("lead_id", lead_id)):
            if not value or "|" in value:
                raise ValueError(f"{name} must be non-empty and must not contain '|', got {value!r}")
        if expires_at.tzinfo is None:
            raise ValueError("expires_at must be timezone-aware")
        payload = f"{purpose}|{tenant_id}|{lead_id}|{int(expires_at.timestamp())}".encode()
        return f"{_b64(payload)}.{_b64(self._mac(purpose, payload))}"

    def _verify(self, purpose: str, token: str, now: datetime) -> tuple[str, str]:
        encoded_payload, dot, encoded_mac = (token or "").partition(".")
        if not dot or not encoded_payload or not encoded_mac:
            raise InvalidLink("the link is malformed")
        try:
            payload, mac = _unb64(encoded_payload), _unb64(encoded_mac)
        except (binascii.Error, ValueError):
            raise InvalidLink("the link is malformed") from None
        if not hmac.compare_digest(mac, self._mac(purpose, payload)):
            raise InvalidLink("the link is not genuine")
        fields = payload.decode("utf-8", "replace").split("|")
        if len(fields) != 4 or fields[0] != purpose or not fields[3].isdigit():
            raise InvalidLink("the link is malformed")
        _, tenant_id, lead_id, expires = fields
        if now >= datetime.fromtimestamp(int(expires), UTC):
            raise InvalidLink("the link has expired")
        return tenant_id, lead_id


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
