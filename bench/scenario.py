"""The world the HTTP benchmarks run in: a tenant and shop in a fresh database, a fake ShopMonkey holding
one website quote per delivery, the SendGrid and Twilio stand-ins timing what they accept, and the
signed webhook deliveries the load generator sends.

Everything vendor-shaped comes from the shared ShopMonkey fixtures and the project's own stand-ins, so
the API and the worker run their production code paths (signature check, inbox, CRM adapter over HTTP,
the official SendGrid and Twilio SDKs).
"""

from __future__ import annotations

import copy
import json
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/x.py` puts bench/ first; the project root has `tests`
    sys.path.insert(0, str(ROOT))

from tests.support.processes import DedicatedRedis  # noqa: E402
from tests.support.services import create_database, drop_database, postgres_server  # noqa: E402

from leadorch.adapters.shopmonkey_webhook import sign_delivery  # noqa: E402
from leadorch.adapters.standins.sendgrid import SendGridStandIn  # noqa: E402
from leadorch.adapters.standins.server import RunningServer, serve_in_thread  # noqa: E402
from leadorch.adapters.standins.shopmonkey import FakeShopMonkey  # noqa: E402
from leadorch.adapters.standins.twilio import TwilioStandIn  # noqa: E402
from leadorch.app.bootstrap import bootstrap  # noqa: E402
from leadorch.app.settings import load_settings  # noqa: E402

FIXTURES = ROOT.parent / "shared" / "fixtures" / "shopmonkey"
if not FIXTURES.is_dir():
    FIXTURES = ROOT / "src" / "leadorch" / "adapters" / "standins" / "data" / "shopmonkey"
TENANT = "bench-tint"
LOCATION = "main-street"
SMS_FROM = "+16195550100"  # the shop's sender: the Twilio account owns it, so it may be a From
# Cities whose local hour decides the shop's time zone, so "now" is inside the sending window.
_ZONES = (
    "Pacific/Honolulu", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
    "America/Sao_Paulo", "Atlantic/Azores", "Europe/London", "Europe/Paris", "Europe/Athens",
    "Europe/Moscow", "Asia/Dubai", "Asia/Karachi", "Asia/Dhaka", "Asia/Bangkok", "Asia/Singapore",
    "Asia/Tokyo", "Australia/Brisbane", "Pacific/Noumea", "Pacific/Auckland",
)  # fmt: skip


def daytime_zone(now: datetime | None = None) -> str:
    """A time zone where it is now between 10:00 and 18:00, so touch 1 may go at once."""
    now = now or datetime.now(UTC)
    for name in _ZONES:
        if 10 <= now.astimezone(ZoneInfo(name)).hour < 18:
            return name
    raise RuntimeError("no listed time zone is in business hours now")


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


WEBHOOK = _fixture("webhook-order-insert-website-lead.json")
SECRET: str = WEBHOOK["secret"]
ORDER: dict[str, Any] = json.loads(WEBHOOK["raw_body"])["data"]
CUSTOMER: dict[str, Any] = _fixture("customer.json")["data"]


def wire_time(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def order_id(serial: int) -> str:
    return f"b0{serial:022x}"


def lead_email(serial: int) -> str:
    return f"lead{serial}@example.com"


def lead_phone(serial: int) -> str:
    """A distinct, valid US mobile number per lead (E.164)."""
    return f"+1619{200 + serial // 10_000:03d}{serial % 10_000:04d}"


def quote_order(serial: int, at: datetime) -> dict[str, Any]:
    """Website quote number `serial`, as ShopMonkey's order row (the fixture's, with its own ids)."""
    row = copy.deepcopy(ORDER)
    stamp = wire_time(at)
    row.update(
        id=order_id(serial),
        customerId=f"c0{serial:022x}",
        number=100_000 + serial,
        createdDate=stamp,
        updatedDate=stamp,
        orderCreatedDate=stamp,
        publicId=f"B{serial:07d}",
    )
    return row


def quote_customer(serial: int, at: datetime) -> dict[str, Any]:
    row = copy.deepcopy(CUSTOMER)
    stamp = wire_time(at)
    phone = lead_phone(serial)
    row.update(id=f"c0{serial:022x}", createdDate=stamp, updatedDate=stamp, firstName=f"Lead{serial}")
    row["emails"] = [
        {"id": f"e0{serial:022x}", "email": lead_email(serial), "primary": True, "subscribed": True}
    ]
    row["phoneNumbers"] = [
        {
            "id": f"p0{serial:022x}",
            "number": f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}",
            "type": "Mobile",
            "primary": True,
            "optIn": True,
        }
    ]
    return row


def delivery_lines(serials: range, at: datetime) -> list[str]:
    """The signed ShopMonkey deliveries announcing each quote, as load-generator request lines."""
    lines = []
    for serial in serials:
        body = json.dumps(
            {"apiVersion": "3", "operation": "INSERT", "table": "order", "data": quote_order(serial, at)},
            separators=(",", ":"),
        )
        headers = sign_delivery(
            SECRET, body.encode(), msg_id=f"msg_b{serial:08d}", timestamp=datetime.now(UTC)
        )
        lines.append(
            json.dumps(
                {"method": "POST", "path": f"/webhooks/shopmonkey/{TENANT}", "headers": headers, "body": body}
            )
        )
    return lines


# ------------------------------------------------------------------------------- arrival timing


@dataclass
class Arrivals:
    """When each recipient's messages were accepted (time.time()), per stand-in: the first, and all of
    them in order (a conversation's answers)."""

    first: dict[str, float] = field(default_factory=dict)
    every: dict[str, list[float]] = field(default_factory=dict)
    count: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, recipient: str, at: float) -> None:
        with self._lock:
            self.count += 1
            self.first.setdefault(recipient, at)
            self.every.setdefault(recipient, []).append(at)

    def accepted(self, recipient: str) -> list[float]:
        with self._lock:
            return list(self.every.get(recipient, ()))


class TimedStandIn:
    """ASGI wrapper: notes the wall-clock time each accepted (2xx) send answered, keyed by recipient."""

    def __init__(self, app: Any, recipient_of: Any, arrivals: Arrivals) -> None:
        self.app, self.recipient_of, self.arrivals = app, recipient_of, arrivals

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def receive_and_keep() -> dict[str, Any]:
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
            return message

        async def send_and_time(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 300:
                recipient = self.recipient_of(b"".join(chunks))
                if recipient:
                    self.arrivals.record(recipient, time.time())
            await send(message)

        await self.app(scope, receive_and_keep, send_and_time)


def _email_recipient(body: bytes) -> str | None:
    try:
        return str(json.loads(body)["personalizations"][0]["to"][0]["email"])
    except (ValueError, KeyError, IndexError):
        return None


def _sms_recipient(body: bytes) -> str | None:
    found = parse_qs(body.decode("utf-8", "replace")).get("To")
    return found[0] if found else None


@dataclass
class Vendors:
    """Fake ShopMonkey and the timed SendGrid/Twilio stand-ins, each on a loopback socket."""

    shopmonkey: FakeShopMonkey
    sendgrid: SendGridStandIn
    twilio: TwilioStandIn
    email_arrivals: Arrivals
    sms_arrivals: Arrivals
    servers: dict[str, RunningServer]

    def settings(self) -> dict[str, str]:
        """The environment variables pointing the app at these vendors."""
        return {
            "SHOPMONKEY_BASE_URL": self.servers["shopmonkey"].url,
            "SENDGRID_API_KEY": self.sendgrid.api_key,
            "SENDGRID_HOST": self.servers["sendgrid"].url,
            "TWILIO_ACCOUNT_SID": self.twilio.account_sid,
            "TWILIO_AUTH_TOKEN": self.twilio.auth_token,
            "TWILIO_BASE_URL": self.servers["twilio"].url,
        }

    def first_touch_at(self, serial: int) -> float | None:
        """When the lead's first message (either channel) was accepted, or None."""
        times = [
            t
            for t in (
                self.sms_arrivals.first.get(lead_phone(serial)),
                self.email_arrivals.first.get(lead_email(serial)),
            )
            if t is not None
        ]
        return min(times) if times else None

    def add_quotes(self, serials: range, at: datetime) -> None:
        """Create the quotes in ShopMonkey, as a shop's website does just before the webhook fires."""
        for serial in serials:
            self.shopmonkey.add_order(quote_order(serial, at))
            self.shopmonkey.add_customer(quote_customer(serial, at))

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


def start_vendors(*, crm_latency: float) -> Vendors:
    """The vendors, with no quotes yet (`Vendors.add_quotes` adds them as the benchmark goes)."""
    shopmonkey = FakeShopMonkey.from_fixtures(FIXTURES)
    if crm_latency:
        shopmonkey.add_latency("*", crm_latency)
    sendgrid, twilio = SendGridStandIn(), TwilioStandIn(phone_numbers=[SMS_FROM])
    email_arrivals, sms_arrivals = Arrivals(), Arrivals()
    servers = {
        "shopmonkey": serve_in_thread(shopmonkey),
        "sendgrid": serve_in_thread(TimedStandIn(sendgrid.app, _email_recipient, email_arrivals)),
        "twilio": serve_in_thread(TimedStandIn(twilio.app, _sms_recipient, sms_arrivals)),
    }
    return Vendors(shopmonkey, sendgrid, twilio, email_arrivals, sms_arrivals, servers)


# ------------------------------------------------------------------------------------ databases


@contextmanager
def fresh_database() -> Iterator[str]:
    """An empty database on the test PostgreSQL server (started like the tests start it)."""
    with postgres_server() as admin:
        url = create_database(admin)
        try:
            yield url
        finally:
            drop_database(admin, url)


@contextmanager
def durable_database() -> Iterator[str]:
    """An empty database on a PostgreSQL cluster of its own with the production defaults (fsync and
    synchronous commit on): a commit is on disk, as it is in a deployment. The test cluster trades
    that away for speed, which flatters one-commit-per-row writers."""
    from tests.support.processes import DedicatedPostgres

    cluster = DedicatedPostgres(durable=True).init()
    try:
        yield cluster.create_database("bench")
    finally:
        cluster.destroy()


@contextmanager
def dedicated_redis() -> Iterator[str]:
    """A Redis of the benchmark's own: the shared test server gets flushed by tests running meanwhile."""
    server = DedicatedRedis().start()
    try:
        yield server.url
    finally:
        server.destroy()


def configure_shop(database_url: str, *, shopmonkey_api_key: str, time_zone: str, capacity: int = 1) -> None:
    """The benchmark tenant (demo mode off, so messages really go out) and its one shop (`capacity` bays)."""
    container = bootstrap(load_settings({}, database_url=database_url))
    try:
        service = container.config
        service.create_tenant(
            TENANT,
            name="Bench Tint",
            website_status_ids=[ORDER["workflowStatusId"]],
            crm_api_key=shopmonkey_api_key,
            crm_webhook_secret=SECRET,
            actor="bench",
        )
        service.add_location(
            TENANT,
            LOCATION,
            name="Bench Tint Main Street",
            crm_location_id=ORDER["locationId"],
            time_zone=time_zone,
            phone="+16195550199",
            address="100 Main St, San Diego, CA 92101",
            weekly_hours={day: ["08:00-20:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            sms_from_number=SMS_FROM,
            email_from="hello@benchtint.example.com",
            capacity=capacity,
            actor="bench",
        )
        service.set_demo_mode(TENANT, False, actor="bench", by_operator=True, confirm=TENANT)
    finally:
        container.close()


def now_minus(seconds: float) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)
