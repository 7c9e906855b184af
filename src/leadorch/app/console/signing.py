"""Tamper-proof small values for cookies: a payload and its HMAC-SHA256 under the server's secret key.

Each use names its purpose ("console-session", "console-flash"), and the key is derived per purpose, so
a value signed for one use can never be replayed as another. Payloads are not encrypted: only what may
be read by the browser goes into them (who is logged in, a notice to show), never a secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret: str, purpose: str, payload: bytes) -> str:
    """`payload` and its signature, as cookie-safe text."""
    return f"{_encode(payload)}.{_encode(_mac(secret, purpose, payload))}"


def unsign(secret: str, purpose: str, value: str | None) -> bytes | None:
    """The payload of a value `sign` made with the same secret and purpose; None if anything is off."""
    if not value or value.count(".") != 1:
        return None
    encoded_payload, encoded_mac = value.split(".")
    payload = _decode(encoded_payload)
    mac = _decode(encoded_mac)
    if payload is None or mac is None:
        return None
    if not hmac.compare_digest(mac, _mac(secret, purpose, payload)):
        return None
    return payload


def keyed_digest(secret: str, purpose: str, message: str) -> str:
    """A stable keyed digest of `message` (e.g. a CSRF token bound to one session)."""
    return _encode(_mac(secret, purpose, message.encode()))


def _mac(secret: str, purpose: str, payload: bytes) -> bytes:
    key = hmac.new(secret.encode(), f"leadorch:{purpose}".encode(), hashlib.sha256).digest()
    return hmac.new(key, payload, hashlib.sha256).digest()


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        return None
