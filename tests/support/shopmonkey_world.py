"""A tenant wired to a fake ShopMonkey on a real socket: what the ingestion tests start from.

`ShopMonkeyWorld` holds a container (real database, adjustable clock), a configured tenant and location
(webhook secret and API key matching the fake), the fake ShopMonkey seeded from the shared fixtures,
and helpers to sign and post the fixture webhooks exactly as ShopMonkey sends them.
"""

from __future__ import annotations

import copy
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Middleware
from litestar.testing import TestClient

from leadorch.adapters.clocks import AdjustableClock
from leadorch.adapters.shopmonkey_webhook import sign_delivery
from leadorch.adapters.standins.server import RunningServer, serve_in_thread
from leadorch.adapters.standins.shopmonkey import FakeShopMonkey
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.http.app import create_app
from leadorch.app.ingestion.service import IngestionService
from leadorch.app.ingestion.tenancy import WebhookSecrets
from leadorch.app.settings import load_settings
from leadorch.app.worker.runtime import Runtime, build_runtime
from leadorch.domain import ids
from leadorch.domain.intake import OrderIntake, intake_id
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule

TENANT = "tint"
LOCATION = "san-diego"
CRM_LOCATION = "6198139a5391fa197fac13e7"
WEBSITE_STATUS = "619813fb2c9c3e8ce527be48"
LEAD_ORDER = "66a1f0c2b7e4d9a1c2f3e401"
REPAIR_ORDER = "66a1f0c2b7e4d9a1c2f3e4ff"
CUSTOMER = "66a1f0c1b7e4d9a1c2f3e3a9"
STAFF_EMAIL = "frontdesk@tint.example.com"
STAFF_PHONE = "+16195550100"
# Shortly after the fixture website quote was created (2026-11-20T17:42:05Z): a Friday, 09:45 in San Diego.
START = datetime(2026, 11, 20, 17, 45, tzinfo=UTC)


def fixtures_dir() -> Path:
    from tests.conftest import shared_fixtures_dir

    return shared_fixtures_dir()


def webhook_fixture(name: str) -> dict[str, Any]:
    """A signed webhook fixture file: `secret`, `headers`, `raw_body`."""
    return json.loads((fixtures_dir() / f"webhook-{name}.json").read_text(encoding="utf-8"))


SECRET = webhook_fixture("order-insert-website-lead")["secret"]


class SwappableApp:
    """The ASGI app on the fake's socket; `target` can be replaced by a fresh fake between tests."""

    def __init__(self, target: FakeShopMonkey) -> None:
        self.target = target

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.target(scope, receive, send)


@dataclass
class ShopMonkeyWorld:
    container: Container
    clock: AdjustableClock
    shopmonkey: FakeShopMonkey
    server: RunningServer
    front: SwappableApp
    _sequence: int = 0

    def reset(self, *, fake_class: type[FakeShopMonkey] = FakeShopMonkey, **fake_options: Any) -> None:
        """Back to a freshly configured world: empty database, clock at START, a new fake ShopMonkey."""
        forget_runtime(self)
        wipe_database(self.container)
        # Fresh caches: the tenant is configured anew below.
        self.container.ingestion = IngestionService(self.container)
        self.container.webhook_secrets = WebhookSecrets(self.container.config.repository)
        self.clock.set(START)
        api_key = self.shopmonkey.api_key
        self.shopmonkey = fake_class.from_fixtures(
            fixtures_dir(), clock=self.clock.now, api_key=api_key, **fake_options
        )
        self.front.target = self.shopmonkey
        configure_tenant(self.container, api_key=api_key)

    # -- deliveries ---------------------------------------------------------------------------------

    def body(self, name: str, **data_changes: Any) -> bytes:
        """The raw body of a fixture webhook, with its order row changed as given (re-serialised)."""
        raw = webhook_fixture(name)["raw_body"]
        if not data_changes:
            return raw.encode()
        payload = json.loads(raw)
        payload["data"].update(data_changes)
        return json.dumps(payload, separators=(",", ":")).encode()

    def signed(
        self, body: bytes, *, request_id: str | None = None, secret: str = SECRET, at: datetime | None = None
    ) -> dict[str, str]:
        self._sequence += 1
        msg_id = f"msg_test{self._sequence:06d}"
        return sign_delivery(
            secret,
            body,
            msg_id=msg_id,
            timestamp=at or self.clock.now(),
            request_id=request_id or f"req_{msg_id}",
        )

    # -- state --------------------------------------------------------------------------------------

    def lead_id_of(self, order_id: str) -> Any:
        return ids.lead_id(TENANT, order_id)

    def lead(self, order_id: str = LEAD_ORDER) -> Lead:
        return self.container.store.load(ids.lead_id(TENANT, order_id), Lead, TENANT)

    def schedule(self, order_id: str = LEAD_ORDER) -> TouchPointSchedule:
        return self.container.store.load(
            ids.schedule_id(ids.lead_id(TENANT, order_id)), TouchPointSchedule, TENANT
        )

    def intake(self, order_id: str = LEAD_ORDER) -> OrderIntake:
        return self.container.store.load(intake_id(TENANT, order_id), OrderIntake, TENANT)

    def events_of(self, cls_name: str) -> list[Any]:
        """Every stored event whose class name (qualified, e.g. `Lead.Registered`) is `cls_name`."""
        store = self.container.store
        found = []
        for notification in store.recorder.select_notifications(start=1, limit=1_000_000):
            if notification.topic.endswith(cls_name):
                found.append(store.mapper.to_domain_event(notification))
        return found

    def order_body(self, row: dict[str, Any], operation: str = "INSERT") -> bytes:
        """A webhook body carrying `row` (as ShopMonkey sends it)."""
        payload = {"apiVersion": "3", "operation": operation, "table": "order", "data": row}
        if operation == "UPDATE":
            payload["diff"] = ["updatedDate"]
        return json.dumps(payload, separators=(",", ":")).encode()

    def new_quote(self, order_id: str, **changes: Any) -> bytes:
        """A fresh website quote `order_id` in the fake ShopMonkey, and the webhook body announcing it."""
        return self.order_body(self.add_order(order_id, **changes))

    def add_order(self, order_id: str, *, minutes_ago: float = 1, **changes: Any) -> dict[str, Any]:
        """A new website quote in the fake ShopMonkey, copied from the fixture order.

        Unless `vehicleId` is given, the quote is for a vehicle of its own (a copy of the fixture vehicle):
        the fixture customer's quotes for one vehicle would join each other's open lead (repeat quotes).
        """
        base = copy.deepcopy(self.shopmonkey.orders[LEAD_ORDER])
        if "vehicleId" not in changes and base.get("vehicleId") in self.shopmonkey.vehicles:
            vehicle = copy.deepcopy(self.shopmonkey.vehicles[base["vehicleId"]])
            changes["vehicleId"] = self.shopmonkey.add_vehicle({**vehicle, "id": f"v-{order_id}"})["id"]
        stamp = _wire(self.clock.now() - timedelta(minutes=minutes_ago))
        base.update({"id": order_id, "createdDate": stamp, "updatedDate": stamp, **changes})
        return self.shopmonkey.add_order(base)


def _wire(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@contextmanager
def backend_world(
    backend: str, request: Any, tmp_path_factory: Any, **options: Any
) -> Iterator[ShopMonkeyWorld]:
    """A world on `backend` ("sqlite" or "postgres") for a whole test module (fixtures with scope="module")."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('ingest') / 'events.db'}"
        with shopmonkey_world(url, **options) as world:
            yield world
        return
    from tests.support.services import create_database, drop_database

    admin = request.getfixturevalue("pg_admin_url")
    url = create_database(admin)
    try:
        with shopmonkey_world(url, **options) as world:
            yield world
    finally:
        drop_database(admin, url)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ShopMonkeyWorld]:
    """One world per backend for a whole test module: its tests run on SQLite, then on PostgreSQL."""
    with backend_world(request.param, request, tmp_path_factory) as world:
        yield world


@pytest.fixture(scope="module")
def shopmonkey_module_world(shared_world: ShopMonkeyWorld) -> ShopMonkeyWorld:
    """The module's world as the previous test left it (each test uses its own order ids)."""
    return shared_world


@pytest.fixture(name="shopmonkey_world")
def shopmonkey_world_reset(shared_world: ShopMonkeyWorld) -> ShopMonkeyWorld:
    """The module's world, back to a freshly configured state for each test."""
    shared_world.reset()
    return shared_world


@pytest.fixture(scope="module")
def shopmonkey_client(shopmonkey_module_world: ShopMonkeyWorld) -> Iterator[TestClient]:
    """One HTTP client on the module's world; the worker runtime a test started is dropped at the end."""
    with TestClient(create_app(shopmonkey_module_world.container)) as client:
        yield client
    forget_runtime(shopmonkey_module_world)


def forget_runtime(world: ShopMonkeyWorld) -> None:
    """Stop and drop the container's worker runtime, so the next test starts its own."""
    runtime, world.container.runtime = world.container.runtime, None
    if runtime is not None:
        runtime.stop()


@contextmanager
def shopmonkey_world(
    database_url: str,
    *,
    redis_url: str | None = None,
    fake_class: type[FakeShopMonkey] = FakeShopMonkey,
    **fake_options: Any,
) -> Iterator[ShopMonkeyWorld]:
    """A container with tenant `tint` (location `san-diego`) whose ShopMonkey is a fake on a socket."""
    clock = AdjustableClock(START)
    shopmonkey = fake_class.from_fixtures(fixtures_dir(), clock=clock.now, **fake_options)
    front = SwappableApp(shopmonkey)
    server = serve_in_thread(front)
    settings = load_settings(
        {},
        database_url=database_url,
        redis_url=redis_url,
        shopmonkey_base_url=server.url,
        public_base_url="https://leads.tint.example.com",
    )
    container = bootstrap(settings, clock=clock)
    try:
        configure_tenant(container, api_key=shopmonkey.api_key)
        yield ShopMonkeyWorld(
            container=container, clock=clock, shopmonkey=shopmonkey, server=server, front=front
        )
    finally:
        runtime = container.runtime
        if runtime is not None:
            runtime.stop()
        container.close()
        server.stop()


def wipe_database(container: Container) -> None:
    """Empty every table (events, read models, configuration, inbox) of the container's database."""
    with container.db.transaction() as cur:
        if container.db.dialect == "postgres":
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            tables = ", ".join(f'"{name}"' for (name,) in cur.fetchall())
            if tables:
                cur.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            return
        cur.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        for (name,) in cur.fetchall():
            cur.execute(f'DELETE FROM "{name}"')
        cur.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
        if cur.fetchone():
            cur.execute("DELETE FROM sqlite_sequence")


def configure_tenant(container: Container, *, api_key: str) -> None:
    config = container.config
    config.create_tenant(
        TENANT,
        name="Tint World",
        website_status_ids=[WEBSITE_STATUS],
        crm_api_key=api_key,
        crm_webhook_secret=SECRET,
        actor="test",
    )
    config.add_location(
        TENANT,
        LOCATION,
        name="Tint World San Diego",
        crm_location_id=CRM_LOCATION,
        time_zone="America/Los_Angeles",
        phone="+16195550199",
        address="100 Harbor Dr, San Diego, CA 92101",
        weekly_hours={"mon": ["09:00-18:00"], "tue": ["09:00-18:00"], "wed": ["09:00-18:00"]},
        actor="test",
    )
    config.set_staff_contact(
        TENANT,
        LOCATION,
        name="Front desk",
        email=STAFF_EMAIL,
        phone=STAFF_PHONE,
        alerts=["new_lead"],
        actor="test",
    )
    for address in ("maya.ortega@example.com", "+16195550142", STAFF_EMAIL):
        config.allow_address(TENANT, address, actor="test")


class EnqueueCounter(Middleware):
    """Counts the messages enqueued per actor (both brokers emit `after_enqueue`)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def after_enqueue(self, broker: Any, message: Any, delay: Any) -> None:
        with self._lock:
            self.counts[message.actor_name] += 1


def start_runtime(
    world: ShopMonkeyWorld | Container, *, broker: Any = None, threads: int = 4
) -> tuple[Runtime, EnqueueCounter]:
    """The worker runtime of the world's container (or of `container`), started without the scheduler."""
    container = world.container if isinstance(world, ShopMonkeyWorld) else world
    runtime = build_runtime(container, broker=broker)
    counter = EnqueueCounter()
    runtime.broker.add_middleware(counter)
    runtime.start_worker(threads=threads, scheduler=False)
    return runtime, counter


def wait_until(condition: Any, *, timeout: float = 30.0, what: str = "condition") -> None:
    """Poll `condition()` until it is true (a real Redis broker has no `join`)."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def drain(runtime: Runtime, *, rounds: int = 3) -> None:
    """Wait until the in-memory broker's queues are empty (work may enqueue more work: a few rounds)."""
    broker = runtime.broker
    assert isinstance(broker, StubBroker)
    for _ in range(rounds):
        for queue in sorted(broker.get_declared_queues()):
            if not queue.endswith((".DQ", ".XQ")):
                broker.join(queue, timeout=30_000, fail_fast=False)


def deliver(world: ShopMonkeyWorld, client: Any, body: bytes, *, request_id: str | None = None) -> Any:
    """Post `body` signed to the webhook, then process the stored delivery as a worker would.

    Returns the `IngestDecision` (None when the delivery was not accepted as new, or was put back).
    """

    headers = world.signed(body, request_id=request_id)
    response = client.post(f"/webhooks/shopmonkey/{TENANT}", content=body, headers=headers)
    assert response.status_code == 200, response.text
    if response.json()["status"] != "accepted":
        return None
    return world.container.ingestion.process_delivery(headers["X-Request-Id"])


def inbox_row(world: ShopMonkeyWorld, request_id: str) -> Any:
    from leadorch.app.ingestion.inbox import WebhookInbox

    return WebhookInbox(world.container.db).get(request_id)
