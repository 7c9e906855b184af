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
from uuid import UUID

from litestar.testing import TestClient

from leadorch.adapters.clocks import AdjustableClock
from leadorch.adapters.standins.server import RunningServer, serve_in_thread
from leadorch.adapters.standins.shopmonkey import FakeShopMonkey
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.config import config_service
from leadorch.app.config.demo_seed import DEMO_LOCATION, DEMO_TENANT, seed_demo_tenant
from leadorch.app.http.app import create_app
from leadorch.app.ingestion.tenancy import config_repository
from leadorch.app.links import links_for
from leadorch.app.projections.wiring import catch_up
from leadorch.app.settings import load_settings
from leadorch.app.worker.runtime import Runtime, build_runtime
from leadorch.domain import ids
from leadorch.domain.appointment import Appointment
from leadorch.domain.conversation import Conversation, conversation_id
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.values import Contact, Vehicle
from tests.support.touch_world import Providers, start_providers

TENANT = DEMO_TENANT
LOCATION = DEMO_LOCATION
TIME_ZONE = "America/Los_Angeles"
# Wednesday 25 November 2026, 09:30 in San Diego (PST, UTC-8).
WEDNESDAY_0930 = datetime(2026, 11, 25, 17, 30, tzinfo=UTC)
MAYA_ORDER = "66a1f0c2b7e4d9a1c2f3e401"
MAYA_CUSTOMER = "66a1f0c1b7e4d9a1c2f3e3a9"
MAYA_VEHICLE = "66a1f0c1b7e4d9a1c2f3e3b2"
MAYA_EMAIL = "maya.ortega@example.com"
MAYA_PHONE = "+16195550142"
MANAGER_EMAIL = "manager@demo-tint.example.com"
PREMIUM = "66a0cs000000000000000002"
SHOPMONKEY_KEY = "test-shopmonkey-key"
SHOP_NUMBER = "+16195550100"
_orders = itertools.count(1)


@dataclass
class ChatWorld:
    container: Container
    clock: AdjustableClock
    providers: Providers
    shopmonkey: FakeShopMonkey
    shopmonkey_server: RunningServer
    client: TestClient[Any]
    lead_id: str = ""
    runtime: Runtime | None = None
    sessions: dict[str, str] = field(default_factory=dict)

    # -- leads ----------------------------------------------------------------------------------------

    def new_lead(
        self,
        *,
        first_name: str = "Maya",
        last_name: str = "Ortega",
        email: str | None = MAYA_EMAIL,
        phone: str | None = MAYA_PHONE,
        order_id: str | None = None,
        services: list[str] | None = None,
    ) -> str:
        """A lead with a started touch schedule, saved as ingestion saves them; its id."""
        config = config_service(self.container)
        tenant = config.tenant(TENANT)
        location = config.location(TENANT, LOCATION)
        now = self.clock.now()
        lead = Lead.register(
            tenant_id=TENANT,
            location_id=LOCATION,
            crm_order_id=order_id or f"order-{next(_orders)}",
            crm_customer_id=MAYA_CUSTOMER,
            crm_vehicle_id=MAYA_VEHICLE,
            contact=Contact(first_name, last_name, email, phone),
            vehicle=Vehicle(2024, "Toyota", "Camry"),
            services=services if services is not None else ["Customer requested a quote online: ceramic tint"],
            email_consent=email is not None,
            sms_consent=phone is not None,
            at=now,
        )
        schedule = TouchPointSchedule.start(
            tenant_id=TENANT,
            lead_id=str(lead.id),
            location_id=LOCATION,
            plan=tenant.touch_plan(),
            window=location.sending_window(),
            time_zone=location.time_zone,
            email_ok=lead.can_contact("email"),
            sms_ok=lead.can_contact("sms"),
            at=now,
        )
        self.container.store.save(lead, schedule)
        return str(lead.id)

    def token(self, lead_id: str | None = None, *, valid_for: timedelta = timedelta(days=30)) -> str:
        return links_for(self.container).chat_token(TENANT, lead_id or self.lead_id, self.clock.now() + valid_for)

    # -- the chat, as the page uses it ------------------------------------------------------------------

    def open(self, lead_id: str | None = None, **headers: str) -> dict[str, Any]:
        response = self.client.post("/api/chat/sessions", json={"token": self.token(lead_id)}, headers=headers)
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
        return self.container.store.load(UUID(lead_id or self.lead_id), Lead, TENANT)

    def schedule(self, lead_id: str | None = None) -> TouchPointSchedule:
        return self.container.store.load(ids.schedule_id(lead_id or self.lead_id), TouchPointSchedule, TENANT)

    def conversation(self, lead_id: str | None = None) -> Conversation:
        return self.container.store.load(conversation_id(lead_id or self.lead_id), Conversation, TENANT)

    def appointment(self, appointment_id: str) -> Appointment:
        return self.container.store.load(UUID(appointment_id), Appointment, TENANT)

    def events(self, suffix: str) -> list[Any]:
        """Every stored event whose topic ends with `suffix` (e.g. `Conversation.ToolCalled`)."""
        store = self.container.store
        return [
            store.mapper.to_domain_event(n)
            for n in store.recorder.select_notifications(start=1, limit=1_000_000)
            if n.topic.endswith(suffix)
        ]

    def catch_up(self) -> None:
        catch_up(self.container)

    def settle(self) -> None:
        """Let background jobs finish (in-memory broker), then bring the read models up to date."""
        if self.runtime is not None:
            self.runtime.join()
        self.catch_up()

    def emails_to(self, address: str) -> list[Any]:
        return [mail for mail in self.providers.sendgrid.outbox if address in mail.to]

    def texts_to(self, number: str) -> list[Any]:
        return [sms for sms in self.providers.twilio.outbox if sms.to == number]


@contextmanager
def chat_world(
    database_url: str,
    *,
    start: datetime = WEDNESDAY_0930,
    workers: bool = False,
    providers: Providers | None = None,
    **settings: Any,
) -> Iterator[ChatWorld]:
    """The world on `database_url`; `workers` runs background jobs on an in-memory broker (else inline)."""
    own_providers = providers is None
    providers = providers or start_providers()
    shopmonkey = FakeShopMonkey.from_fixtures(api_key=SHOPMONKEY_KEY)
    shopmonkey_server = serve_in_thread(shopmonkey)
    clock = AdjustableClock(start)
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
    seed_demo_tenant(config_repository(container), clock)
    config_service(container).set_crm_credentials(TENANT, api_key=SHOPMONKEY_KEY, actor="test")
    config_service(container).update_location(TENANT, LOCATION, sms_from_number=SHOP_NUMBER, actor="test")
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
    world.lead_id = world.new_lead(order_id=MAYA_ORDER)
    try:
        with client:
            yield world
    finally:
        if runtime is not None:
            runtime.stop()
        container.close()
        shopmonkey_server.stop()
        if own_providers:
            providers.stop()
