"""A tenant with one shop, wired to the SendGrid and Twilio stand-ins on real sockets: what the touch tests
start from.

`TouchWorld` holds a container (real database, adjustable clock), a configured tenant and location,
the two provider stand-ins (the production adapters and the vendors' SDKs talk to them over HTTP), the
read-model runner, and helpers: create a lead and its schedule the way ingestion does, run the due
touches, and read what the providers received.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID, uuid4

import pytest

from leadorch.adapters.clocks import AdjustableClock
from leadorch.adapters.standins.sendgrid import AcceptedEmail, SendGridStandIn
from leadorch.adapters.standins.server import RunningServer, serve_in_thread
from leadorch.adapters.standins.twilio import AcceptedSms, TwilioStandIn
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.projections.registry import all_projections
from leadorch.app.projections.runner import ReadModelRunner
from leadorch.app.readmodels.due_touches import due_touches
from leadorch.app.settings import load_settings
from leadorch.app.touches.dispatch import DispatchResult, dispatch_touch
from leadorch.domain import ids
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.values import Vehicle
from tests.support.leads import a_lead
from tests.support.services import create_database, drop_database

TENANT = "sunshield"
LOCATION = "austin"
TIME_ZONE = "America/Chicago"
SHOP_NUMBER = "+15125550100"
SHOP_EMAIL = "hello@sunshield.example.com"
JANE_EMAIL = "jane.doe@example.com"
JANE_PHONE = "+15125550123"
# Monday 2 June 2025, 10:00 in Austin (CDT, UTC-5): inside the default 09:00–20:00 window.
MONDAY_10AM = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)


@dataclass
class Providers:
    """The SendGrid and Twilio stand-ins, each on its own loopback socket."""

    sendgrid: SendGridStandIn
    twilio: TwilioStandIn
    sendgrid_server: RunningServer
    twilio_server: RunningServer

    def settings(self) -> dict[str, Any]:
        return {
            "sendgrid_api_key": self.sendgrid.api_key,
            "sendgrid_host": self.sendgrid_server.url,
            "twilio_account_sid": self.twilio.account_sid,
            "twilio_auth_token": self.twilio.auth_token,
            "twilio_base_url": self.twilio_server.url,
        }

    def reset(self) -> None:
        self.sendgrid.reset()
        self.twilio.reset()

    def stop(self) -> None:
        self.sendgrid_server.stop()
        self.twilio_server.stop()


def start_providers(shop_number: str = SHOP_NUMBER) -> Providers:
    """The stand-ins, the Twilio account owning `shop_number` (the shop's texts come from it)."""
    sendgrid, twilio = SendGridStandIn(), TwilioStandIn(phone_numbers=[shop_number])
    return Providers(sendgrid, twilio, serve_in_thread(sendgrid.app), serve_in_thread(twilio.app))


@dataclass
class TouchWorld:
    container: Container
    clock: AdjustableClock
    providers: Providers
    runner: ReadModelRunner
    tenant_id: str = TENANT
    api_token: str = ""
    email: str = JANE_EMAIL
    phone: str = JANE_PHONE
    _orders: int = 0

    # -- leads ------------------------------------------------------------------------------------------

    def new_lead(
        self,
        *,
        email: str | None = "",
        phone: str | None = "",
        email_consent: bool = True,
        sms_consent: bool = True,
        first_name: str = "Jane",
        order_id: str | None = None,
    ) -> tuple[str, str]:
        """A lead and its started schedule, saved together as ingestion saves them; (lead id, schedule id).

        Email and phone default to the world's own (`""`); None leaves them out."""
        self._orders += 1
        email = self.email if email == "" else email
        phone = self.phone if phone == "" else phone
        now = self.clock.now()
        tenant = self.container.config.tenant(self.tenant_id)
        location = self.container.config.location(self.tenant_id, LOCATION)
        lead, schedule = (
            a_lead(
                tenant_id=self.tenant_id,
                order=order_id or f"order-{self._orders}",
                customer=f"customer-{self._orders}",
                first_name=first_name,
                last_name="Doe",
                email=email,
                phone=phone,
                vehicle=Vehicle(2021, "Toyota", "Camry"),
                services=("Ceramic Tint",),
                email_consent=email_consent,
                sms_consent=sms_consent,
                at=now,
                recipient=self.container.recipients.context_for(phone),
            )
            .at_location(location, tenant.touch_plan())
            .arrived()
        )
        self.container.store.save(lead, schedule)
        return str(lead.id), str(schedule.id)

    def lead(self, lead_id: str) -> Lead:
        return self.container.store.load(UUID(lead_id), Lead, self.tenant_id)

    def schedule(self, schedule_id: str) -> TouchPointSchedule:
        return self.container.store.load(UUID(schedule_id), TouchPointSchedule, self.tenant_id)

    def schedule_of(self, lead_id: str) -> TouchPointSchedule:
        return self.schedule(str(ids.schedule_id(lead_id)))

    # -- running ----------------------------------------------------------------------------------------

    def catch_up(self) -> None:
        self.runner.catch_up()

    def dispatch(self, schedule_id: str) -> DispatchResult:
        return dispatch_touch(self.container, self.tenant_id, schedule_id, sleep=lambda _: None)

    def dispatch_due(self) -> list[DispatchResult]:
        """What the tick + worker do: find this tenant's due touches in the read model and dispatch each."""
        self.catch_up()
        results = [
            dispatch_touch(self.container, due.tenant_id, due.schedule_id, sleep=lambda _: None)
            for due in due_touches(self.container.db, self.clock.now(), 500)
            if due.tenant_id == self.tenant_id
        ]
        self.catch_up()
        return results

    def run_days(self, days: int, *, step: timedelta = timedelta(hours=1)) -> None:
        """Advance the clock `days` days in `step`s, dispatching whatever is due after each step."""
        end = self.clock.now() + timedelta(days=days)
        while self.clock.now() < end:
            self.clock.advance(step)
            self.dispatch_due()

    # -- what the providers received --------------------------------------------------------------------

    def emails_to(self, address: str) -> list[AcceptedEmail]:
        return [mail for mail in self.providers.sendgrid.outbox if address in mail.to]

    def texts_to(self, number: str) -> list[AcceptedSms]:
        return [sms for sms in self.providers.twilio.outbox if sms.to == number]

    def close(self) -> None:
        self.container.close()


def touch_of_text(sms: AcceptedSms) -> int:
    """The touch number a text belongs to, read from its status callback URL."""
    assert sms.status_callback is not None
    return int(parse_qs(urlsplit(sms.status_callback).query)["touch"][0])


def configure_tenant(
    container: Container,
    tenant_id: str = TENANT,
    *,
    demo_mode: bool = False,
    allow: tuple[str, ...] = (),
    time_zone: str = TIME_ZONE,
) -> str:
    """The tenant and its Austin shop; returns the tenant's API token."""
    service = container.config
    created = service.create_tenant(tenant_id, name="Sun Shield Tint", actor="test")
    service.add_location(
        tenant_id,
        LOCATION,
        name="Sun Shield Austin",
        crm_location_id="crm-austin",
        time_zone=time_zone,
        phone="+15125550100",
        address="12400 N Lamar Blvd, Austin, TX 78753",
        weekly_hours={day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat")},
        sms_from_number=SHOP_NUMBER,
        email_from=SHOP_EMAIL,
        actor="test",
    )
    for address in allow:
        service.allow_address(tenant_id, address, actor="test")
    if not demo_mode:
        service.set_demo_mode(tenant_id, False, actor="test", by_operator=True, confirm=tenant_id)
    return created.api_token


@contextmanager
def touch_world(
    database_url: str,
    *,
    start: datetime = MONDAY_10AM,
    demo_mode: bool = False,
    allow: tuple[str, ...] = (),
    providers: Providers | None = None,
    tenant_id: str | None = None,
    time_zone: str = TIME_ZONE,
    clock: AdjustableClock | None = None,
    **settings: Any,
) -> Iterator[TouchWorld]:
    """A world on `database_url`; several may share one database, each with its own tenant."""
    tenant_id = tenant_id or TENANT
    own_providers = providers is None
    providers = providers or start_providers()
    clock = clock or AdjustableClock(start)
    providers.twilio.clock = clock.now  # the account's "since the claim" is the application's
    container = bootstrap(
        load_settings(
            {},
            database_url=database_url,
            public_base_url="https://leads.sunshield.example.com",
            **providers.settings(),
            **settings,
        ),
        clock=clock,
    )
    token = configure_tenant(container, tenant_id, demo_mode=demo_mode, allow=allow, time_zone=time_zone)
    runner = ReadModelRunner(container.db, container.store, all_projections())
    world = TouchWorld(
        container=container, clock=clock, providers=providers, runner=runner, tenant_id=tenant_id
    )
    world.api_token = token
    try:
        yield world
    finally:
        world.close()
        if own_providers:
            providers.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database per test module and backend; tests share it with a tenant each (`world_on`)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('touches') / 'events.db'}"
        return
    admin = str(request.getfixturevalue("pg_admin_url"))
    url = create_database(admin)
    try:
        yield url
    finally:
        drop_database(admin, url)


@pytest.fixture(scope="module")
def shared_providers() -> Iterator[Providers]:
    providers = start_providers()
    try:
        yield providers
    finally:
        providers.stop()


@contextmanager
def world_on(database_url: str, providers: Providers, **options: Any) -> Iterator[TouchWorld]:
    """A world with a fresh tenant of its own in a shared database, with the providers' records cleared."""
    providers.reset()
    number = next(_contacts)
    tenant_id = f"t-{uuid4().hex[:10]}"
    with touch_world(database_url, providers=providers, tenant_id=tenant_id, **options) as world:
        world.email, world.phone = f"jane.{number}@example.com", f"+1737555{number:04d}"
        yield world


_contacts = itertools.count(1)


@pytest.fixture(scope="module")
def shared_client() -> Iterator[Any]:
    """One HTTP app per module (building it takes a second); each test points it at its own world."""
    from litestar.testing import TestClient

    from leadorch.app.http.app import create_app

    with TestClient(create_app(None)) as client:  # type: ignore[arg-type]
        yield client


def client_for(client: Any, world: TouchWorld) -> Any:
    """`client`, now serving `world`'s container."""
    client.app.state["container"] = world.container
    return client


@pytest.fixture(name="touch_world")
def fresh_touch_world(shared_database_url: str, shared_providers: Providers) -> Iterator[TouchWorld]:
    """A fresh tenant of its own on the module's database and provider stand-ins, for one test."""
    with world_on(shared_database_url, shared_providers) as world:
        yield world


@pytest.fixture
def touch_client(touch_world: TouchWorld, shared_client: Any) -> Any:
    """The module's HTTP client, serving this test's world."""
    return client_for(shared_client, touch_world)
