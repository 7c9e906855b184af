"""The SendGrid stand-in's Event Webhook: signed batches of events about the mail it accepted.

As the real one: a JSON array per request, each accepted message `processed` and then `delivered`,
each event with `email`, `timestamp`, `event`, `sg_event_id`, `sg_message_id`, `smtp-id` and the
message's custom args as top-level keys; signed with ECDSA P-256 over the timestamp header plus the raw
body, the public key given as base64 DER (what SendGrid's mail settings show). Treacherous as the real
one: a batch may repeat an event it posted before (at-least-once) and comes in no particular order.
"""

from __future__ import annotations

import base64
import json
import random
import time
import uuid
from collections.abc import Iterable
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from leadorch.adapters.sendgrid_events import SIGNATURE_HEADER, TIMESTAMP_HEADER
from leadorch.adapters.standins.sendgrid import AcceptedEmail


class EventWebhookPoster:
    """Signs and posts Event Webhook batches to one URL."""

    def __init__(self, url: str, *, seed: int = 0) -> None:
        self.url = url
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._random = random.Random(seed)
        self._posted: list[dict[str, Any]] = []

    @property
    def public_key(self) -> str:
        """The verification key, base64 DER, as SendGrid's settings page shows it."""
        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def events_for(
        self, mail: AcceptedEmail, kinds: Iterable[str] = ("processed", "delivered")
    ) -> list[dict[str, Any]]:
        stamp = int(time.time())
        return [
            {
                "email": address,
                "timestamp": stamp,
                "event": kind,
                "sg_event_id": base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="),
                "sg_message_id": f"{mail.message_id}.filter0001.1.0",
                "smtp-id": f"<{mail.message_id}@ismtpd0001p1las1.sendgrid.net>",
                **mail.custom_args,
            }
            for address in mail.to
            for kind in kinds
        ]

    def batch(self, events: list[dict[str, Any]], *, repeat_one: bool = True) -> bytes:
        """A request body of `events`, shuffled, with one event posted earlier repeated (at-least-once)."""
        batch = list(events)
        if repeat_one and self._posted:
            batch.append(self._random.choice(self._posted))
        self._random.shuffle(batch)
        self._posted.extend(events)
        return json.dumps(batch).encode()

    def headers(
        self, body: bytes, *, timestamp: int | None = None, sign_with: bytes | None = None
    ) -> dict[str, str]:
        """The headers that sign `body` at `timestamp` (now); `sign_with` signs other bytes instead."""
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        signed = stamp.encode() + (sign_with if sign_with is not None else body)
        signature = self._key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: base64.b64encode(signature).decode(),
            TIMESTAMP_HEADER: stamp,
        }

    def post(self, events: list[dict[str, Any]], *, repeat_one: bool = True) -> httpx.Response:
        """Post `events` to the webhook URL, as SendGrid does."""
        body = self.batch(events, repeat_one=repeat_one)
        return httpx.post(self.url, content=body, headers=self.headers(body), timeout=10)
