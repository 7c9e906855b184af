"""The fast tier: application services through `bootstrap(...)` with fakes of our own ports.

No PostgreSQL, no Redis, no HTTP: the event store lives in memory (the library's POPO persistence), the
configuration in an embedded SQLite file, the CRM is `FakeCrm` (our `Crm` port, in memory) and the
messenger records what it was given. For decision tables that need no server; what crosses a wire is
tested in `tests/adapters` and `tests/app`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.crm import CrmClients
from leadorch.app.eventstore.store import memory_event_store
from leadorch.app.settings import load_settings
from leadorch.ports.crm import CrmAppointment, CrmCustomer, CrmNotFound, CrmOrder, CrmVehicle
from leadorch.ports.messaging import (
    Accepted,
    EmailMessage,
    NotAccepted,
    ProviderAnswer,
    SendReceipt,
    SmsMessage,
    Unknown,
)

NOW = datetime(2026, 3, 3, 17, 0, tzinfo=UTC)  # a Tuesday, 09:00 in San Diego
TENANT = "tint"
LOCATION = "san-diego"
CRM_LOCATION = "loc-sd"
WEBSITE_STATUS = "wf-website"


class FakeCrm:
    """Our `Crm` port in memory: what the ShopMonkey adapter would have read, as port values."""

    def __init__(self) -> None:
        self.orders: dict[str, CrmOrder] = {}
        self.customers: dict[str, CrmCustomer] = {}
        self.vehicles: dict[str, CrmVehicle] = {}

    async def get_order(self, order_id: str) -> CrmOrder:
        try:
            return self.orders[order_id]
        except KeyError:
            raise CrmNotFound(f"order {order_id}") from None

    async def get_customer(
        self, customer_id: str, *, email_id: str | None = None, phone_number_id: str | None = None
    ) -> CrmCustomer:
        try:
            return self.customers[customer_id]
        except KeyError:
            raise CrmNotFound(f"customer {customer_id}") from None

    async def get_vehicle(self, vehicle_id: str) -> CrmVehicle:
        try:
            return self.vehicles[vehicle_id]
        except KeyError:
            raise CrmNotFound(f"vehicle {vehicle_id}") from None

    async def appointments_on_order(self, order_id: str) -> list[CrmAppointment]:
        return []

    async def aclose(self) -> None:
        return None


class RecordingMessenger:
    """Our `Messenger` port, keeping what it was asked to send."""

    def __init__(self) -> None:
        self.emails: list[EmailMessage] = []
        self.texts: list[SmsMessage] = []

    def send_email(self, msg: EmailMessage) -> SendReceipt:
        self.emails.append(msg)
        return SendReceipt(provider_message_id=f"email-{len(self.emails)}")

    def send_sms(self, msg: SmsMessage) -> SendReceipt:
        self.texts.append(msg)
        return SendReceipt(provider_message_id=f"sms-{len(self.texts)}")

    def was_sms_accepted(self, *, to: str, body: str, since: datetime) -> ProviderAnswer:
        """As the port promises, from what it kept (it keeps no times: every text counts as recent)."""
        texts = [(number, sms) for number, sms in enumerate(self.texts, 1) if sms.to == to]
        for number, sms in texts:
            if sms.body == body:
                return Accepted(provider_message_id=f"sms-{number}")
        return Unknown(reason=f"{len(texts)} other text(s) to {to}") if texts else NotAccepted()


class ServiceWorld:
    def __init__(self, container: Container, crm: FakeCrm, messenger: RecordingMessenger) -> None:
        self.container, self.crm, self.messenger = container, crm, messenger

    def order(self, order_id: str, **changes: Any) -> CrmOrder:
        """A fresh website quote at the San Diego shop, for customer `c-1` and vehicle `v-1`."""
        fields: dict[str, Any] = {
            "id": order_id,
            "location_id": CRM_LOCATION,
            "company_id": "co-1",
            "customer_id": "c-1",
            "vehicle_id": "v-1",
            "workflow_status_id": WEBSITE_STATUS,
            "status": "Estimate",
            "authorized": False,
            "message_count": 0,
            "name": "New Quote",
            "complaint": "Ceramic tint, all windows except windshield",
            "appointment_dates": [],
            "invoiced": False,
            "paid": False,
            "created_date": NOW,
            "updated_date": NOW,
            **changes,
        }
        order = CrmOrder(**fields)
        self.crm.orders[order_id] = order
        return order


def customer(**changes: Any) -> CrmCustomer:
    fields: dict[str, Any] = {
        "id": "c-1",
        "first_name": "Maya",
        "last_name": "Ortega",
        "email": "maya.ortega@example.com",
        "phone": "+16195550142",
        "email_subscribed": True,
        "sms_subscribed": True,
        "preferred_contact_method": None,
        "marketing_opt_in": None,
        **changes,
    }
    return CrmCustomer(**fields)


@pytest.fixture
def service_world(tmp_path: Path) -> Iterator[ServiceWorld]:
    crm, messenger = FakeCrm(), RecordingMessenger()
    crm.customers["c-1"] = customer()
    crm.vehicles["v-1"] = CrmVehicle(id="v-1", year=2024, make="Toyota", model="Camry", submodel=None)
    container = bootstrap(
        load_settings({}, database_url=f"sqlite:///{tmp_path / 'config.db'}"),
        clock=AdjustableClock(NOW),
        store=memory_event_store(),
        messenger=messenger,
        crm=CrmClients(lambda _api_key: crm),
    )
    config = container.config
    config.create_tenant(
        TENANT, name="Tint World", website_status_ids=[WEBSITE_STATUS], crm_api_key="key", actor="test"
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
    try:
        yield ServiceWorld(container, crm, messenger)
    finally:
        container.close()
