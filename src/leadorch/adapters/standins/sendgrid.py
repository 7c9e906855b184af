"""A stand-in for SendGrid's v3 Mail Send endpoint, served on a real socket.

It answers `POST /v3/mail/send` the way SendGrid does, so the production adapter and the official SDK
are exercised end to end: it checks the bearer API key and the JSON body (personalizations, from,
subject, content order, custom args, reserved headers), answers 202 with an `X-Message-Id` header, and
errors with SendGrid's `{"errors": [{"message", "field", "help"}]}` body. Every accepted message lands
in `outbox`. Faults are injected per call: the next N calls fail with a status (500, 429, ...), stall
for a while (to trip client timeouts), or a given recipient address is rejected with a 400.

Run it with `serve_in_thread(standin.app)` and point `SendGridEmailSender(host=server.url)` at it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar, Request, Response, get, post

from leadorch.adapters.standins.provider import ProviderStandIn

API_KEY = "SG.standin.key"
HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html"
# SendGrid refuses to let these be overridden through a `headers` object (the Mail Send reference's list).
RESERVED_HEADERS = frozenset(
    name.lower()
    for name in (
        "x-sg-id",
        "x-sg-eid",
        "received",
        "dkim-signature",
        "Content-Type",
        "Content-Transfer-Encoding",
        "To",
        "From",
        "Subject",
        "Reply-To",
        "CC",
        "BCC",
    )
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class AcceptedEmail:
    """One message the stand-in accepted, as SendGrid would have queued it."""

    message_id: str
    to: list[str]
    from_email: str
    from_name: str | None
    reply_to: str | None
    subject: str
    text: str | None
    html: str | None
    headers: dict[str, str]
    custom_args: dict[str, str]
    categories: list[str]
    body: dict[str, Any] = field(repr=False)
    """The request body exactly as received."""


class SendGridRejection(Exception):
    """A request SendGrid would refuse: the status and the `errors` entries to answer with."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.errors = [{"message": message, "field": field, "help": HELP if status == 400 else None}]


class SendGridStandIn(ProviderStandIn[AcceptedEmail]):
    """Fake SendGrid: `app` is the ASGI app; `outbox` holds accepted messages; methods inject faults."""

    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        super().__init__()
        self._rejected_addresses: dict[str, str] = {}
        # No OpenAPI and no logging setup: a stand-in must not reconfigure the host process's logging.
        # What `GET /v3/scopes` lists for the key: a restricted key without "mail.send" cannot send.
        self.scopes: list[str] = ["mail.send"]
        self._scope_checks = 0
        self.app = Litestar(
            route_handlers=[self._mail_send_handler(), self._scopes_handler()],
            openapi_config=None,
            logging_config=None,
        )

    @property
    def scope_checks(self) -> int:
        """How many `GET /v3/scopes` requests arrived (credential checks: they send nothing)."""
        with self._lock:
            return self._scope_checks

    def reject_address(self, address: str, message: str = "Does not contain a valid address.") -> None:
        """Any message to `address` is refused with a 400 naming the recipient field."""
        with self._lock:
            self._rejected_addresses[address.lower()] = message

    def reset(self) -> None:
        """Forget accepted messages and pending faults; the key may send mail again."""
        with self._lock:
            self._reset_common()
            self.scopes = ["mail.send"]
            self._scope_checks = 0
            self._rejected_addresses.clear()

    def _mail_send_handler(self) -> Any:
        standin = self

        @post("/v3/mail/send", status_code=202)
        async def mail_send(request: Request[Any, Any, Any]) -> Response[Any]:
            fault = standin._count_call()
            try:
                if fault and fault.status:
                    raise _fault_rejection(fault.status)
                standin._check_auth(request.headers.get("authorization"))
                body = _json_body(await request.body(), request.headers.get("content-type"))
                accepted = standin._accept(body)
            except SendGridRejection as rejection:
                return _error_response(rejection)
            if fault and fault.stall_seconds:
                await asyncio.sleep(fault.stall_seconds)
            return Response(content=b"", status_code=202, headers={"X-Message-Id": accepted.message_id})

        return mail_send

    def _scopes_handler(self) -> Any:
        standin = self

        @get("/v3/scopes")
        async def scopes(request: Request[Any, Any, Any]) -> Response[Any]:
            with standin._lock:
                standin._scope_checks += 1
            try:
                standin._check_auth(request.headers.get("authorization"))
            except SendGridRejection as rejection:
                return _error_response(rejection)
            return Response(content={"scopes": list(standin.scopes)}, status_code=200)

        return scopes

    def _check_auth(self, authorization: str | None) -> None:
        if authorization is None:
            raise SendGridRejection(401, "Permission denied, wrong credentials")
        if authorization != f"Bearer {self.api_key}":
            raise SendGridRejection(401, "The provided authorization grant is invalid, expired, or revoked")

    def _accept(self, body: dict[str, Any]) -> AcceptedEmail:
        recipients = _recipients(body)
        sender = body.get("from")
        if not isinstance(sender, dict) or not _EMAIL.match(str(sender.get("email", ""))):
            raise SendGridRejection(
                400,
                "The from object must be provided for every email send. It is an object that requires "
                "the email parameter, but may also contain a name parameter.",
                "from",
            )
        subject = body.get("subject")
        if not isinstance(subject, str) or not subject:
            raise SendGridRejection(400, "The subject is required.", "subject")
        text, html = _contents(body.get("content"))
        headers = _headers(body.get("headers", {}), "headers")
        for index, personalization in enumerate(body["personalizations"]):
            _headers(personalization.get("headers", {}), f"personalizations.{index}.headers")
        custom_args = _string_map(body.get("custom_args", {}), "custom_args")
        categories = body.get("categories", [])
        if not isinstance(categories, list) or len(categories) > 10:
            raise SendGridRejection(400, "Too many categories; the limit is 10.", "categories")
        reply_to = body.get("reply_to")
        with self._lock:
            for index, address in enumerate(recipients):
                if address.lower() in self._rejected_addresses:
                    raise SendGridRejection(
                        400, self._rejected_addresses[address.lower()], f"personalizations.0.to.{index}.email"
                    )
            accepted = AcceptedEmail(
                message_id=_message_id(),
                to=recipients,
                from_email=sender["email"],
                from_name=sender.get("name"),
                reply_to=reply_to.get("email") if isinstance(reply_to, dict) else None,
                subject=subject,
                text=text,
                html=html,
                headers=headers,
                custom_args=custom_args,
                categories=[str(category) for category in categories],
                body=body,
            )
            self._outbox.append(accepted)
        return accepted


def _fault_rejection(status: int) -> SendGridRejection:
    if status == 429:
        return SendGridRejection(429, "too many requests")
    if status >= 500:
        return SendGridRejection(status, "Internal server error")
    return SendGridRejection(status, f"injected failure {status}")


def _json_body(raw: bytes, content_type: str | None) -> dict[str, Any]:
    if not content_type or not content_type.startswith("application/json"):
        raise SendGridRejection(415, "Content-Type should be application/json.")
    try:
        body = json.loads(raw)
    except ValueError:
        raise SendGridRejection(400, "Bad Request") from None
    if not isinstance(body, dict):
        raise SendGridRejection(400, "Bad Request")
    return body


def _recipients(body: dict[str, Any]) -> list[str]:
    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        raise SendGridRejection(
            400,
            "The personalizations field is required and must have at least one personalization.",
            "personalizations",
        )
    recipients: list[str] = []
    for p_index, personalization in enumerate(personalizations):
        to = personalization.get("to") if isinstance(personalization, dict) else None
        if not isinstance(to, list) or not to:
            raise SendGridRejection(
                400,
                "The to array is required for all personalization objects, and must have at least one "
                "email object with a valid email address.",
                f"personalizations.{p_index}.to",
            )
        for t_index, recipient in enumerate(to):
            address = recipient.get("email") if isinstance(recipient, dict) else None
            if not isinstance(address, str) or not _EMAIL.match(address):
                raise SendGridRejection(
                    400, "Does not contain a valid address.", f"personalizations.{p_index}.to.{t_index}.email"
                )
            recipients.append(address)
    return recipients


def _contents(content: Any) -> tuple[str | None, str | None]:
    if not isinstance(content, list) or not content:
        raise SendGridRejection(
            400,
            "Unless a valid template_id is provided, the content parameter is required. There must be at "
            "least one defined content block.",
            "content",
        )
    types = [block.get("type") if isinstance(block, dict) else None for block in content]
    if "text/plain" in types and types[0] != "text/plain":
        raise SendGridRejection(
            400,
            "If present, text/plain and text/x-amp-html must be first, followed by text/html, followed by "
            "any other content.",
            "content",
        )
    values: dict[str, str] = {}
    for index, block in enumerate(content):
        value = block.get("value") if isinstance(block, dict) else None
        if not isinstance(value, str) or not value:
            raise SendGridRejection(
                400,
                "The content value must be a string at least one character in length.",
                f"content.{index}.value",
            )
        values[str(block.get("type"))] = value
    return values.get("text/plain"), values.get("text/html")


def _headers(value: Any, field_name: str) -> dict[str, str]:
    """A `headers` object (the message's or a personalization's): strings only, none of the reserved ones
    (SendGrid's list, any case); threading headers such as `In-Reply-To` and `References` are allowed."""
    headers = _string_map(value, field_name)
    reserved = sorted(name for name in headers if name.lower() in RESERVED_HEADERS)
    if reserved:
        raise SendGridRejection(400, f"The header {reserved[0]!r} is reserved and cannot be set.", field_name)
    return headers


def _string_map(value: Any, field_name: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(key, str) and isinstance(item, str) for key, item in value.items()
    ):
        raise SendGridRejection(
            400, f"The {field_name} must be an object of string keys and string values.", field_name
        )
    return dict(value)


def _message_id() -> str:
    """SendGrid's ids are 22 URL-safe base64 characters."""
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()


def _error_response(rejection: SendGridRejection) -> Response[Any]:
    headers = {}
    if rejection.status == 429:
        headers = {"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "60"}
    return Response(
        content=json.dumps({"errors": rejection.errors}).encode(),
        status_code=rejection.status,
        media_type="application/json",
        headers=headers,
    )
