"""A stand-in for Twilio's Programmable Messaging API, served on a real socket.

It answers `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` the way Twilio does, so the production
adapter and the official SDK are exercised end to end: it checks HTTP Basic auth (account SID and auth
token, the SID matching the URL), the form-encoded body (`To` in E.164, `From` or `MessagingServiceSid`,
`Body` up to 1,600 characters), answers 201 with the JSON Message resource (`sid` "SM…", `status`
"queued", or "accepted" when only a Messaging Service is given), and errors with Twilio's
`{"code", "message", "more_info", "status"}` body. Every accepted message lands in `outbox`.

Like a real account, it sends only from what it owns: `phone_numbers` (Twilio's test number
`TEST_FROM_NUMBER` unless told otherwise) and `messaging_service_sids`. A `From` that is no phone number,
short code or alphanumeric sender ID answers 21212; one that is not the account's, 21606; an unknown
Messaging Service, 21701.

Faults are injected per call (the next N calls answer 500 or 429, or stall) and per recipient (a number
answers 21610 unsubscribed, 21211 invalid, 21614 not mobile). Like Twilio's default opt-out handling,
an inbound STOP sent through `send_inbound_sms` makes later sends to that number answer 21610 until the
number texts START.

`GET …/Messages.json` lists the account's messages the way Twilio does: newest first, `To` / `From`
filters, `PageSize` (50 by default, at most 1,000) and `Page` / `PageToken`, with `next_page_uri` to
follow. Its `DateSent`, `DateSent<` and `DateSent>` filters are as treacherous as Twilio's: they compare
the *day* a message was sent (any time given is ignored, and on-or-before / on-or-after include the
day), and a message not sent yet (queued for its first second here) has no `date_sent` and is left out.
`fail_lookups` makes the list answer an error (an outage of the look-up only).
`deliver_status_callbacks` and `send_inbound_sms` post Twilio's signed webhooks to
the application, so its webhook endpoints can be tested against the same stand-in.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

import httpx
from litestar import Litestar, Request, Response, get, post
from twilio.request_validator import RequestValidator

from leadorch.adapters.standins.provider import ProviderStandIn
from leadorch.adapters.twilio_keywords import HELP_KEYWORDS, OPT_IN_KEYWORDS, OPT_OUT_KEYWORDS
from leadorch.domain.sms_segments import sms_segments

ACCOUNT_SID = "AC" + "5a" * 16
AUTH_TOKEN = "standin-auth-token"
API_VERSION = "2010-04-01"
# Twilio's magic test number: a `From` that "always works" with test credentials.
TEST_FROM_NUMBER = "+15005550006"
MAX_BODY = 1600

ERROR_MESSAGES = {
    20003: "Authenticate",
    20429: "Too Many Requests",
    21211: "Invalid 'To' Phone Number",
    21212: "Invalid 'From' Number",
    21602: "Message body is required.",
    21603: "A 'From' phone number is required.",
    21604: "A 'To' phone number is required.",
    21606: "The From phone number is not a valid, SMS-capable inbound phone number or short code for your account.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
    21617: "The concatenated message body exceeds the 1600 character limit.",
    21701: "The Messaging Service Sid is invalid.",
    20500: "Internal Server Error",
}
# Twilio's own answers to its default keywords (the texts of its default handling).
KEYWORD_REPLIES = {
    "opt_out": "You have successfully been unsubscribed. You will not receive any more messages from this "
    "number. Reply START to resubscribe.",
    "opt_in": "You have successfully been re-subscribed to messages from this number. Reply HELP for help. "
    "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
    "help": "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
}

_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_MESSAGING_SERVICE_SID = re.compile(r"^MG[0-9a-fA-F]{32}$")
_SHORT_CODE = re.compile(r"^\d{5,6}$")
_ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")


@dataclass(frozen=True)
class AcceptedSms:
    """One message the stand-in accepted, as Twilio would have queued it."""

    sid: str
    account_sid: str
    to: str
    from_number: str | None
    messaging_service_sid: str | None
    body: str
    status_callback: str | None
    status: str
    num_segments: int
    date_created: datetime


class TwilioRejection(Exception):
    """A request Twilio would refuse, with the HTTP status and Twilio error code to answer with."""

    def __init__(self, status: int, code: int, message: str | None = None) -> None:
        self.status = status
        self.code = code
        self.message = message or ERROR_MESSAGES.get(code, "Error")
        super().__init__(self.message)

    def payload(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


class TwilioStandIn(ProviderStandIn[AcceptedSms]):
    """Fake Twilio: `app` is the ASGI app; `outbox` holds accepted messages; methods inject faults."""

    def __init__(
        self,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        *,
        answers_help: bool = True,
        phone_numbers: Iterable[str] = (TEST_FROM_NUMBER,),
        messaging_service_sids: Iterable[str] = (),
        also_owns: Callable[[], Iterable[str]] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.account_sid = account_sid
        # The account's clock (`date_created`, `date_sent`): the application's, when a test or the demo
        # moves time, so that "since the claim" means the same to both.
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        # Numbers the account owns as of each send (the demo's: whatever its locations are set to send from).
        self._also_owns = also_owns
        self.auth_token = auth_token
        self.answers_help = answers_help
        self._phone_numbers = set(phone_numbers)
        self._messaging_service_sids = set(messaging_service_sids)
        # (to, body) of every reply Twilio itself sent to a keyword, as a customer's phone would show it.
        self.keyword_replies: list[tuple[str, str]] = []
        super().__init__()
        self._rejected_recipients: dict[str, int] = {}
        self._opted_out: set[str] = set()
        self._reported_status: dict[str, str] = {}
        # No OpenAPI and no logging setup: a stand-in must not reconfigure the host process's logging.
        # What `GET /Accounts/{sid}.json` answers: "active", or "suspended" / "closed" (nothing is sent).
        self.account_status = "active"
        self._account_fetches = 0
        self._lookup_failure: int | None = None
        self.app = Litestar(
            route_handlers=[
                self._create_message_handler(),
                self._list_messages_handler(),
                self._fetch_account_handler(),
            ],
            openapi_config=None,
            logging_config=None,
        )

    @property
    def account_fetches(self) -> int:
        """How many `GET /Accounts/{sid}.json` requests arrived (credential checks: they send nothing)."""
        with self._lock:
            return self._account_fetches

    def add_phone_number(self, number: str) -> None:
        """The account now owns `number` (as buying it in the Console would): it may be a `From`."""
        with self._lock:
            self._phone_numbers.add(number)

    def add_messaging_service(self, sid: str) -> None:
        """The account now has the Messaging Service `sid` (with numbers in its pool)."""
        if not _MESSAGING_SERVICE_SID.match(sid):
            raise ValueError(f"a Messaging Service SID is MG and 32 hex digits, got {sid!r}")
        with self._lock:
            self._messaging_service_sids.add(sid)

    def reject_recipient(self, number: str, code: int = 21610) -> None:
        """Messages to `number` answer 400 with Twilio error `code` (21610, 21211, 21614, ...)."""
        if code not in ERROR_MESSAGES:
            raise ValueError(f"unknown Twilio error code {code}; known: {sorted(ERROR_MESSAGES)}")
        with self._lock:
            self._rejected_recipients[number] = code

    def fail_lookups(self, status: int | None = 500) -> None:
        """Every message list answers `status` (a Twilio error) until called with None."""
        with self._lock:
            self._lookup_failure = status

    def reset(self) -> None:
        """Forget accepted messages, faults and opt-outs; the account is active again."""
        with self._lock:
            self._reset_common()
            self._lookup_failure = None
            self.account_status = "active"
            self._account_fetches = 0
            self._rejected_recipients.clear()
            self._opted_out.clear()
            self._reported_status.clear()
            self.keyword_replies.clear()

    def deliver_status_callbacks(self, status: str = "delivered", *, error_code: int | None = None) -> int:
        """Post a signed status callback (`MessageStatus=status`) for every accepted message that asked
        for one and has not been reported with that status yet. Returns how many callbacks were posted;
        raises if the application did not answer 2xx, since Twilio would retry or give up."""
        with self._lock:
            pending = [
                sms
                for sms in self._outbox
                if sms.status_callback and self._reported_status.get(sms.sid) != status
            ]
        for sms in pending:
            params = {
                "AccountSid": sms.account_sid,
                "ApiVersion": API_VERSION,
                "From": sms.from_number or "",
                "MessageSid": sms.sid,
                "MessageStatus": status,
                "SmsSid": sms.sid,
                "SmsStatus": status,
                "To": sms.to,
            }
            if sms.messaging_service_sid:
                params["MessagingServiceSid"] = sms.messaging_service_sid
            if error_code is not None:
                params["ErrorCode"] = str(error_code)
            response = self.post_signed(str(sms.status_callback), params)
            response.raise_for_status()
            with self._lock:
                self._reported_status[sms.sid] = status
                self._outbox = [
                    replace(item, status=status) if item.sid == sms.sid else item for item in self._outbox
                ]
        return len(pending)

    def send_inbound_sms(
        self,
        webhook_url: str,
        *,
        from_number: str,
        to: str,
        body: str,
        messaging_service_sid: str | None = None,
    ) -> httpx.Response:
        """Post a signed inbound-message webhook, as Twilio does when `from_number` texts `to`.

        STOP-style keywords opt the number out of later sends (21610) and START-style keywords opt it
        back in, as Twilio's default opt-out handling does before forwarding the message; it answers
        those, and HELP/INFO when `answers_help`, itself (`keyword_replies`). Only a body that is exactly
        one keyword once trimmed counts: "STOP." is forwarded like any other text.
        """
        keyword = body.strip().upper()
        with self._lock:
            if keyword in OPT_OUT_KEYWORDS:
                self._opted_out.add(from_number)
                self.keyword_replies.append((from_number, KEYWORD_REPLIES["opt_out"]))
            elif keyword in OPT_IN_KEYWORDS and from_number in self._opted_out:
                self._opted_out.discard(from_number)
                self.keyword_replies.append((from_number, KEYWORD_REPLIES["opt_in"]))
            elif keyword in HELP_KEYWORDS and self.answers_help:
                self.keyword_replies.append((from_number, KEYWORD_REPLIES["help"]))
        sid = _sid("SM")
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "Body": body,
            "From": from_number,
            "MessageSid": sid,
            "NumMedia": "0",
            "NumSegments": str(max(1, sms_segments(body).segments)),
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": to,
        }
        if messaging_service_sid:
            params["MessagingServiceSid"] = messaging_service_sid
        return self.post_signed(webhook_url, params)

    def post_signed(self, url: str, params: Mapping[str, str]) -> httpx.Response:
        """POST form `params` to `url` with the X-Twilio-Signature Twilio computes with the auth token."""
        signature = RequestValidator(self.auth_token).compute_signature(url, dict(params))
        with httpx.Client(timeout=10) as client:
            return client.post(url, data=dict(params), headers={"X-Twilio-Signature": signature})

    def _create_message_handler(self) -> Any:
        standin = self

        @post(f"/{API_VERSION}/Accounts/{{account_sid:str}}/Messages.json", status_code=201)
        async def create_message(request: Request[Any, Any, Any]) -> Response[Any]:
            account_sid = str(request.path_params["account_sid"])
            fault = standin._count_call()
            try:
                if fault and fault.status:
                    raise _fault_rejection(fault.status)
                standin._check_auth(account_sid, request.headers.get("authorization"))
                content_type = request.headers.get("content-type", "")
                if not content_type.startswith("application/x-www-form-urlencoded"):
                    raise TwilioRejection(400, 21602, "Expected a form-encoded body")
                form = await request.form()
                accepted = standin._accept(account_sid, {key: str(form.get(key)) for key in form})
            except TwilioRejection as rejection:
                return Response(
                    content=json.dumps(rejection.payload()).encode(),
                    status_code=rejection.status,
                    media_type="application/json",
                )
            if fault and fault.stall_seconds:
                await asyncio.sleep(fault.stall_seconds)
            return Response(
                content=json.dumps(_message_resource(accepted)).encode(),
                status_code=201,
                media_type="application/json",
            )

        return create_message

    def _list_messages_handler(self) -> Any:
        standin = self

        @get(f"/{API_VERSION}/Accounts/{{account_sid:str}}/Messages.json")
        async def list_messages(request: Request[Any, Any, Any]) -> Response[Any]:
            account_sid = str(request.path_params["account_sid"])
            query = {key: str(value) for key, value in request.query_params.items()}
            try:
                standin._check_auth(account_sid, request.headers.get("authorization"))
                with standin._lock:
                    failure = standin._lookup_failure
                    messages = [sms for sms in standin._outbox if sms.account_sid == account_sid]
                if failure is not None:
                    raise _fault_rejection(failure)
                page = _message_page(account_sid, messages, query, now=standin.clock())
            except TwilioRejection as rejection:
                return Response(
                    content=json.dumps(rejection.payload()).encode(),
                    status_code=rejection.status,
                    media_type="application/json",
                )
            return Response(content=json.dumps(page).encode(), status_code=200, media_type="application/json")

        return list_messages

    def _fetch_account_handler(self) -> Any:
        standin = self

        # Litestar parameters are whole path segments: `{sid}.json` is read as one and split here.
        @get(f"/{API_VERSION}/Accounts/{{account_file:str}}")
        async def fetch_account(request: Request[Any, Any, Any]) -> Response[Any]:
            account_file = str(request.path_params["account_file"])
            if not account_file.endswith(".json"):
                return Response(content=b"", status_code=404)
            account_sid = account_file.removesuffix(".json")
            with standin._lock:
                standin._account_fetches += 1
            try:
                standin._check_auth(account_sid, request.headers.get("authorization"))
            except TwilioRejection as rejection:
                return Response(
                    content=json.dumps(rejection.payload()).encode(),
                    status_code=rejection.status,
                    media_type="application/json",
                )
            account = {
                "sid": account_sid,
                "friendly_name": "Stand-in account",
                "status": standin.account_status,
                "type": "Full",
                "uri": f"/{API_VERSION}/Accounts/{account_sid}.json",
            }
            return Response(
                content=json.dumps(account).encode(), status_code=200, media_type="application/json"
            )

        return fetch_account

    def _check_auth(self, account_sid: str, authorization: str | None) -> None:
        username, password = _basic_credentials(authorization)
        if username != self.account_sid or password != self.auth_token or account_sid != self.account_sid:
            raise TwilioRejection(401, 20003)

    def _accept(self, account_sid: str, form: dict[str, str]) -> AcceptedSms:
        to = form.get("To")
        if not to:
            raise TwilioRejection(400, 21604)
        from_number = form.get("From") or None
        service_sid = form.get("MessagingServiceSid") or None
        if not from_number and not service_sid:
            raise TwilioRejection(400, 21603)
        self._check_sender(from_number, service_sid)
        body = form.get("Body", "")
        if not body:
            raise TwilioRejection(400, 21602)
        if len(body) > MAX_BODY:
            raise TwilioRejection(400, 21617)
        if not _E164.match(to):
            raise TwilioRejection(400, 21211, f"Invalid 'To' Phone Number: {to}")
        with self._lock:
            code = self._rejected_recipients.get(to)
            if code is None and to in self._opted_out:
                code = 21610
            if code is not None:
                raise TwilioRejection(400, code)
            accepted = AcceptedSms(
                sid=_sid("SM"),
                account_sid=account_sid,
                to=to,
                from_number=from_number,
                messaging_service_sid=service_sid,
                body=body,
                status_callback=form.get("StatusCallback") or None,
                status="accepted" if service_sid and not from_number else "queued",
                num_segments=max(1, sms_segments(body).segments),
                date_created=self.clock().astimezone(UTC).replace(microsecond=0),
            )
            self._outbox.append(accepted)
        return accepted

    def _check_sender(self, from_number: str | None, service_sid: str | None) -> None:
        with self._lock:
            services, numbers = set(self._messaging_service_sids), set(self._phone_numbers)
        if self._also_owns is not None:
            numbers.update(self._also_owns())
        if service_sid and service_sid not in services:
            raise TwilioRejection(400, 21701, f"The Messaging Service Sid {service_sid} is invalid.")
        if not from_number:
            return
        if not (
            _E164.match(from_number)
            or _SHORT_CODE.match(from_number)
            or _ALPHANUMERIC_SENDER.match(from_number)
        ):
            raise TwilioRejection(
                400,
                21212,
                f"The 'From' number {from_number} is not a valid phone number, shortcode, or alphanumeric sender ID.",
            )
        if from_number not in numbers:
            raise TwilioRejection(
                400,
                21606,
                f"The From phone number {from_number} is not a valid, SMS-capable inbound phone number or short "
                "code for your account.",
            )


def _fault_rejection(status: int) -> TwilioRejection:
    if status == 429:
        return TwilioRejection(429, 20429)
    if status >= 500:
        return TwilioRejection(status, 20500)
    return TwilioRejection(status, status, f"injected failure {status}")


def _basic_credentials(authorization: str | None) -> tuple[str | None, str | None]:
    if not authorization or not authorization.startswith("Basic "):
        return None, None
    try:
        decoded = base64.b64decode(authorization.removeprefix("Basic "), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    username, _, password = decoded.partition(":")
    return username, password


def _sid(prefix: str) -> str:
    return prefix + os.urandom(16).hex()


SENDING_TAKES = timedelta(seconds=1)  # a message is queued for this long before it is sent
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def _message_page(
    account_sid: str, messages: list[AcceptedSms], query: dict[str, str], *, now: datetime
) -> dict[str, Any]:
    """One page of the Message list, filtered and ordered as Twilio's."""
    try:
        size = int(query.get("PageSize", DEFAULT_PAGE_SIZE))
        number = int(query.get("Page", "0"))
    except ValueError:
        raise TwilioRejection(400, 20001, "Invalid paging parameter") from None
    if not 1 <= size <= MAX_PAGE_SIZE or number < 0:
        raise TwilioRejection(400, 20001, "Invalid paging parameter")
    if number > 0 and not query.get("PageToken"):
        raise TwilioRejection(400, 20001, "PageToken is required for a page after the first")
    on, before, after = (_sent_day(query.get(key)) for key in ("DateSent", "DateSent<", "DateSent>"))
    listed = []
    for sms in sorted(messages, key=lambda m: m.date_created, reverse=True):
        if query.get("To") and sms.to != query["To"]:
            continue
        if query.get("From") and sms.from_number != query["From"]:
            continue
        resource = _listed_resource(sms, now=now)
        if on or before or after:
            sent = sms.date_created + SENDING_TAKES if resource["date_sent"] else None
            if sent is None:
                continue
            day = sent.date()
            if (on and day != on) or (before and day > before) or (after and day < after):
                continue
        listed.append(resource)
    start = number * size
    chunk = listed[start : start + size]
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages.json"
    filters = {key: value for key, value in query.items() if key not in ("Page", "PageSize", "PageToken")}

    def page_uri(page: int) -> str:
        params = {**filters, "PageSize": str(size), "Page": str(page)}
        if page > 0:
            params["PageToken"] = f"PA{listed[page * size - 1]['sid']}"
        return f"{uri}?{urlencode(params)}"

    more = start + size < len(listed)
    return {
        "end": start + len(chunk) - 1 if chunk else start,
        "first_page_uri": page_uri(0),
        "messages": chunk,
        "next_page_uri": page_uri(number + 1) if more else None,
        "page": number,
        "page_size": size,
        "previous_page_uri": page_uri(number - 1) if number > 0 else None,
        "start": start,
        "uri": f"{uri}?{urlencode({**filters, 'PageSize': str(size), 'Page': str(number)})}",
    }


def _sent_day(value: str | None) -> date | None:
    """A `DateSent` filter's day: Twilio reads `YYYY-MM-DD` and ignores any time after it."""
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise TwilioRejection(400, 20001, f"Invalid DateSent: {value}") from None


def _listed_resource(sms: AcceptedSms, *, now: datetime) -> dict[str, Any]:
    """The Message resource as the list shows it now: sent (with `date_sent`) once its queue second passed."""
    resource = _message_resource(sms)
    if sms.status in ("queued", "accepted") and now - sms.date_created < SENDING_TAKES:
        return resource
    resource["date_sent"] = format_datetime(sms.date_created + SENDING_TAKES)
    if sms.status in ("queued", "accepted"):
        resource["status"] = "sent"
    return resource


def _message_resource(sms: AcceptedSms) -> dict[str, Any]:
    """The Message resource JSON Twilio answers a create with."""
    created = format_datetime(sms.date_created)
    uri = f"/{API_VERSION}/Accounts/{sms.account_sid}/Messages/{sms.sid}.json"
    return {
        "account_sid": sms.account_sid,
        "api_version": API_VERSION,
        "body": sms.body,
        "date_created": created,
        "date_sent": None,
        "date_updated": created,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": sms.from_number,
        "messaging_service_sid": sms.messaging_service_sid,
        "num_media": "0",
        "num_segments": str(sms.num_segments),
        "price": None,
        "price_unit": "USD",
        "sid": sms.sid,
        "status": sms.status,
        "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
        "to": sms.to,
        "uri": uri,
    }
