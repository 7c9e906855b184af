"""The demo shop with one website lead, ready to chat: what the chat and booking tests start from.

`ChatWorld` holds a container (real database, adjustable clock set to Wednesday 25 November 2026, 09:30
in San Diego), the demo tenant and its San Diego shop (hours Mon–Fri 09:00–18:00, Sat 10:00–16:00, two
bays, the tint catalog), the fake ShopMonkey seeded from the fixtures, the SendGrid and Twilio
stand-ins, all on real sockets, and the fixture customer Maya as a lead with a running touch schedule.
Helpers open the chat over HTTP exactly as the page does and read back what happened.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from dramatiq.brokers.stub import StubBroker
from litestar.testing import TestClient

from leadorch.adapters.clocks import AdjustableClock
from leadorch.adapters.standins.server import RunningServer, serve_in_thread
from leadorch.adapters.standins.shopmonkey import FakeShopMonkey
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.chat.assistants import build_assistant
from leadorch.app.chat.rate_limits import ChatRateLimits
from leadorch.app.config.demo_seed import (
    DEMO_CRM_LOCATION,
    DEMO_LOCATION,
    DEMO_SERVICES,
    WEBSITE_LEADS_STATUS,
)
from leadorch.app.config.hours import parse_weekly_hours
from leadorch.app.config.models import CatalogService
from leadorch.app.http.app import create_app
from leadorch.app.projections.wiring import catch_up
from leadorch.app.settings import load_settings
from leadorch.app.worker.runtime import Runtime, build_runtime
from leadorch.domain import ids
from leadorch.domain.appointment import Appointment
from leadorch.domain.conversation import Conversation, conversation_id
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.values import Vehicle
from tests.support.leads import a_lead
from tests.support.touch_world import Providers, start_providers

LOCATION = DEMO_LOCATION
TIME_ZONE = "America/Los_Angeles"
# Wednesday 25 November 2026, 09:30 in San Diego (PST, UTC-8).
WEDNESDAY_0930 = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
MAYA_CUSTOMER = "66a1f0c1b7e4d9a1c2f3e3a9"
MAYA_VEHICLE = "66a1f0c1b7e4d9a1c2f3e3b2"
MAYA_EMAIL = "maya.ortega@example.com"
MAYA_PHONE = "+16195550142"
MANAGER_EMAIL = "manager@demo-tint.example.com"
MANAGER_PHONE = "+16195550199"
PREMIUM = "66a0cs000000000000000002"
WINDSHIELD = "66a0cs000000000000000003"
SHOPMONKEY_KEY = "test-shopmonkey-key"
SHOP_NUMBER = "+16195550100"
_orders = itertools.count(1)


def configure_shop(container: Container, tenant_id: str) -> None:
    """A tenant with the demo shop: San Diego hours, two bays, the tint catalog, a manager, demo mode on
    with Maya and the manager's email allow-listed, and the fake ShopMonkey's API key."""
    config = container.config
    config.create_tenant(tenant_id, name="Demo Tint", website_status_ids=[WEBSITE_LEADS_STATUS], actor="test")
    for address in (MAYA_EMAIL, MAYA_PHONE, MANAGER_EMAIL):
        config.allow_address(tenant_id, address, actor="test")
    config.set_crm_credentials(tenant_id, api_key=SHOPMONKEY_KEY, actor="test")
    config.add_location(
        tenant_id,
        LOCATION,
        name="Demo Tint San Diego",
        crm_location_id=DEMO_CRM_LOCATION,
        time_zone=TIME_ZONE,
        phone=SHOP_NUMBER,
        address="2150 Camino del Rio S, San Diego, CA 92108",
        weekly_hours=parse_weekly_hours("mon-fri 09:00-18:00; sat 10:00-16:00; sun closed"),
        capacity=2,
        min_lead_minutes=120,
        slot_granularity_minutes=30,
        sms_from_number=SHOP_NUMBER,
        actor="test",
    )
    config.set_staff_contact(
        tenant_id, LOCATION, name="Alex Rivera", email=MANAGER_EMAIL, phone=MANAGER_PHONE,
        alerts=["new_lead", "handoff"], actor="test",
    )  # fmt: skip
    for crm_id, name, minutes, cents, bookable, description in DEMO_SERVICES:
        config.put_service(
            tenant_id,
            CatalogService(
                service_id=crm_id,
                crm_service_id=crm_id,
                name=name,
                description=description,
                duration_minutes=minutes,
                price_cents=cents,
                bookable=bookable,
            ),
            actor="test",
        )


@dataclass
class ChatWorld:
    """Servers, container and app shared by a test module; `fresh_tenant` gives each test its own shop."""

    container: Container
    clock: AdjustableClock
    providers: Providers
    shopmonkey: FakeShopMonkey
    shopmonkey_server: RunningServer
    client: TestClient[Any]
    runtime: Runtime | None = None
    start: datetime = WEDNESDAY_0930
    tenant_id: str = ""
    lead_id: str = ""
    sessions: dict[str, str] = field(default_factory=dict)

    def fresh_tenant(self) -> ChatWorld:
        """A new tenant with the demo shop, Maya as its lead, the clock back at the start, records cleared."""
        self.settle()
        self.clock.set(self.start)
        self.providers.reset()
        self.shopmonkey.appointments.clear()  # a new shop: an empty calendar
        self.shopmonkey.clear_faults()
        self.sessions.clear()
        self.container.chat_rate_limits = ChatRateLimits()
        self.container.assistant = build_assistant(self.container.settings)
        self.tenant_id = f"t-{uuid4().hex[:10]}"
        configure_shop(self.container, self.tenant_id)
        self.lead_id = self.new_lead()
        return self

    # -- leads ----------------------------------------------------------------------------------------

    def new_lead(
        self,
        *,
        first_name: str = "Maya",
        last_name: str = "Ortega",
        email: str | None = MAYA_EMAIL,
        phone: str | None = MAYA_PHONE,
        vehicle_id: str | None = MAYA_VEHICLE,
        services: list[str] | None = None,
    ) -> str:
        """A lead with a started touch schedule, saved as ingestion saves them; its id."""
        config = self.container.config
        tenant = config.tenant(self.tenant_id)
        location = config.location(self.tenant_id, LOCATION)
        now = self.clock.now()
        lead, schedule = (
            a_lead(
                tenant_id=self.tenant_id,
                order=f"order-{next(_orders)}",
                customer=MAYA_CUSTOMER,
                vehicle_id=vehicle_id,
                first_name=first_name,
                last_name=last_name,
                email=email,
                phone=phone,
                vehicle=Vehicle(2024, "Toyota", "Camry"),
                services=tuple(services)
                if services is not None
                else ("Customer requested a quote online: ceramic tint",),
                email_consent=email is not None,
                sms_consent=phone is not None,
                at=now,
            )
            .at_location(location, tenant.touch_plan())
            .arrived()
        )
        self.container.store.save(lead, schedule)
        return str(lead.id)

    def token(self, lead_id: str | None = None, *, valid_for: timedelta = timedelta(days=30)) -> str:
        return self.container.links.chat_token(
            self.tenant_id, lead_id or self.lead_id, self.clock.now() + valid_for
        )

    # -- the chat, as the page uses it ------------------------------------------------------------------

    def open(self, lead_id: str | None = None) -> dict[str, Any]:
        response = self.client.post("/api/chat/sessions", json={"token": self.token(lead_id)})
        assert response.status_code == 201, response.text
        session: dict[str, Any] = response.json()
        self.sessions[lead_id or self.lead_id] = session["session_id"]
        return session

    def say(self, text: str, lead_id: str | None = None) -> dict[str, Any]:
        """Send `text` in the lead's session (opened on first use); the reply."""
        key = lead_id or self.lead_id
        if key not in self.sessions:
            self.open(key)
        response = self.client.post(f"/api/chat/sessions/{self.sessions[key]}/messages", json={"text": text})
        assert response.status_code == 200, response.text
        reply: dict[str, Any] = response.json()["reply"]
        return reply

    # -- state ----------------------------------------------------------------------------------------

    def lead(self, lead_id: str | None = None) -> Lead:
        return self.container.store.load(UUID(lead_id or self.lead_id), Lead, self.tenant_id)

    def schedule(self, lead_id: str | None = None) -> TouchPointSchedule:
        return self.container.store.load(
            ids.schedule_id(lead_id or self.lead_id), TouchPointSchedule, self.tenant_id
        )

    def conversation(self, lead_id: str | None = None) -> Conversation:
        return self.container.store.load(
            conversation_id(lead_id or self.lead_id), Conversation, self.tenant_id
        )

    def appointment(self, appointment_id: str) -> Appointment:
        return self.container.store.load(UUID(appointment_id), Appointment, self.tenant_id)

    def events(self, suffix: str) -> list[Any]:
        """This tenant's stored events whose topic ends with `suffix` (e.g. `Conversation.ToolCalled`)."""
        store = self.container.store
        found = []
        for notification in store.recorder.select_notifications(start=1, limit=1_000_000):
            if notification.topic.endswith(suffix):
                event = store.mapper.to_domain_event(notification)
                if getattr(event, "tenant_id", None) == self.tenant_id:
                    found.append(event)
        return found

    def catch_up(self) -> None:
        catch_up(self.container)

    def settle(self) -> None:
        """Let background jobs finish (in-memory broker), then bring the read models up to date."""
        if self.runtime is not None:
            # `Runtime.join` calls a `join_all` the StubBroker does not have: join each queue directly,
            # twice, because a finished job may enqueue another (a booking's sync and notice).
            broker = self.runtime.broker
            for _ in range(2):
                for queue in [name for name in list(broker.queues) if not name.endswith(".DQ")]:
                    if isinstance(broker, StubBroker):
                        broker.join(queue, timeout=30_000, fail_fast=False)
                    else:  # Redis (`chat_servers(..., redis_url=...)`): its join has no fail_fast
                        broker.join(queue, timeout=30_000)  # type: ignore[attr-defined]
        self.catch_up()

    def emails_to(self, address: str) -> list[Any]:
        return [mail for mail in self.providers.sendgrid.outbox if address in mail.to]

    def texts_to(self, number: str) -> list[Any]:
        return [sms for sms in self.providers.twilio.outbox if sms.to == number]

    def crm_appointments(self) -> list[dict[str, Any]]:
        """The appointments at the fake ShopMonkey for this tenant's leads (by their orders)."""
        orders = {self.lead(lead).crm_order_id for lead in self._lead_ids()}
        return [a for a in self.shopmonkey.appointments.values() if a.get("orderId") in orders]

    def _lead_ids(self) -> list[str]:
        return [str(event.originator_id) for event in self.events("Lead.Registered")]


@contextmanager
def chat_servers(database_url: str, *, workers: bool = False, **settings: Any) -> Iterator[ChatWorld]:
    """Servers, container and app on `database_url` (no tenant yet: call `fresh_tenant`).

    `workers` runs background jobs on an in-memory broker; without, they run inline."""
    providers = start_providers(SHOP_NUMBER)
    clock = AdjustableClock(WEDNESDAY_0930)
    shopmonkey = FakeShopMonkey.from_fixtures(api_key=SHOPMONKEY_KEY, clock=clock.now)
    shopmonkey_server = serve_in_thread(shopmonkey)
    container = bootstrap(
        load_settings(
            {},
            database_url=database_url,
            public_base_url="https://chat.demo-tint.example.com",
            shopmonkey_base_url=shopmonkey_server.url,
            **providers.settings(),
            **settings,
        ),
        clock=clock,
    )
    runtime: Runtime | None = None
    if workers:
        runtime = build_runtime(container)
        runtime.start_worker(threads=2, scheduler=False)
    client = TestClient(create_app(container))
    world = ChatWorld(
        container=container,
        clock=clock,
        providers=providers,
        shopmonkey=shopmonkey,
        shopmonkey_server=shopmonkey_server,
        client=client,
        runtime=runtime,
    )
    try:
        with client:
            yield world
    finally:
        if runtime is not None:
            runtime.stop()
        container.close()
        shopmonkey_server.stop()
        providers.stop()


@pytest.fixture(scope="module")
def chat_servers_on(shared_database_url: str) -> Iterator[ChatWorld]:
    """One set of servers per test module and backend (sqlite, postgres)."""
    with chat_servers(shared_database_url) as world:
        yield world


@pytest.fixture
def chat_world(chat_servers_on: ChatWorld) -> ChatWorld:
    """A fresh tenant with Maya as its lead, on the module's servers."""
    return chat_servers_on.fresh_tenant()
