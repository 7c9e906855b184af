"""`leadorch audit LEAD_ID` and `GET /api/tenants/{tenant}/leads/{id}/events`: a lead's complete history
(its events, its CRM order's intake, its touch schedule, its chat and its appointments) in time order,
with contact details masked unless asked for in full and secrets never shown."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from litestar.testing import TestClient
from tests.support.leads import a_lead

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.audit import mask
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.cli import main
from leadorch.app.http.app import create_app
from leadorch.app.settings import load_settings
from leadorch.domain.appointment import Appointment
from leadorch.domain.availability import ServiceLine
from leadorch.domain.conversation import Conversation
from leadorch.domain.intake import OrderIntake, OrderVersion
from leadorch.domain.lead import Lead
from leadorch.domain.values import Vehicle

ARRIVAL = datetime(2025, 6, 2, 17, 0, tzinfo=UTC)
ADMIN = {"Authorization": "Bearer test-admin-token"}


@pytest.fixture
def container(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    monkeypatch.setenv("DATABASE_URL", database_url)
    built = bootstrap(
        load_settings({}, database_url=database_url, admin_token="test-admin-token"),
        clock=AdjustableClock(ARRIVAL),
    )
    yield built
    built.close()


def a_lead_with_a_full_history(container: Container) -> Lead:
    """Order accepted, first touch sent, an SMS reply, a chat, a booking synced to the CRM."""
    intake = OrderIntake.open(tenant_id="tint-co", order_id="o-77", at=ARRIVAL)
    builder = a_lead(
        order="o-77", customer="c-77", vehicle_id="v-77", vehicle=Vehicle(2021, "Toyota", "Camry"), at=ARRIVAL
    )
    lead = builder.registered()
    intake.record_lead_created(
        OrderVersion("o-77", "crm-sd", ARRIVAL, "webhook"), lead_id=lead.id, at=ARRIVAL
    )
    schedule = builder.schedule_of(lead, at=ARRIVAL + timedelta(seconds=1))
    container.store.save(intake, lead, schedule)
    sent_at = ARRIVAL + timedelta(seconds=20)
    schedule.claim_next_touch(now=sent_at - timedelta(seconds=2), claim_id="claim-1")
    schedule.record_sent(touch_number=1, channel="email", provider_message_id="sg-1", now=sent_at)
    schedule.record_sent(touch_number=1, channel="sms", provider_message_id="SM1", now=sent_at)
    lead.record_contacted(at=sent_at)
    lead.record_reply(
        channel="sms", text="Text me at +16195550199 or mia.l@gmail.com", at=ARRIVAL + timedelta(hours=1)
    )
    schedule.stop(reason="the customer replied", now=ARRIVAL + timedelta(hours=1))
    chat = Conversation.open(
        tenant_id="tint-co", lead_id=lead.id, location_id="san-diego", at=ARRIVAL + timedelta(hours=2)
    )
    chat.receive_customer_message(text="Is Thursday possible?", at=ARRIVAL + timedelta(hours=2, seconds=5))
    appointment = Appointment.book(
        appointment_id=UUID(int=42),
        tenant_id="tint-co",
        lead_id=str(lead.id),
        location_id="san-diego",
        services=[ServiceLine("svc-1", "Premium Tint", 120, 30000)],
        start=datetime(2025, 6, 5, 16, tzinfo=UTC),
        at=ARRIVAL + timedelta(hours=2, minutes=1),
    )
    lead.record_booking(appointment_id=appointment.id, at=ARRIVAL + timedelta(hours=2, minutes=1))
    appointment.record_crm_synced(crm_appointment_id="sm-appt-1", at=ARRIVAL + timedelta(hours=2, minutes=2))
    container.store.save(lead, schedule, chat, appointment)
    return lead


def test_the_audit_prints_the_whole_history_in_time_order_with_contact_details_masked(
    container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    lead = a_lead_with_a_full_history(container)

    assert main(["audit", str(lead.id)]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Lead {lead.id} (tenant tint-co): 16 events"
    events = [re.split(r"\s{2,}", line)[2] for line in lines[1:]]  # time, source, event, data
    assert events == [
        "Opened",
        "OrderVersionSeen",
        "Registered",
        "Started",
        "TouchClaimed",
        "Contacted",
        "TouchSent",
        "TouchSent",
        "TouchCompleted",
        "ReplyRecorded",
        "Stopped",
        "Opened",
        "CustomerMessageReceived",
        "AppointmentBooked",
        "Booked",
        "CrmSynced",
    ]
    assert lines[1].startswith("2025-06-02 17:00:00.000 UTC  OrderIntake v1")
    registered = lines[3]
    assert "first_name=M*** last_name=L*** email=m***@example.com phone=+1******0142" in registered
    assert "vehicle_make=Toyota" in registered
    assert 'text="Text me at +1******0199 or m***@gmail.com"' in lines[10]
    assert "Maria" not in "\n".join(lines)
    assert "maria@example.com" not in "\n".join(lines)


def test_the_full_audit_shows_contact_details_and_json_is_machine_readable(
    container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    lead = a_lead_with_a_full_history(container)

    assert main(["audit", str(lead.id), "--full", "--json"]) == 0

    document = json.loads(capsys.readouterr().out)
    assert (document["lead_id"], document["tenant_id"]) == (str(lead.id), "tint-co")
    moments = [event["at"] for event in document["events"]]
    assert moments == sorted(moments)
    registered = next(e for e in document["events"] if e["event"] == "Registered")
    assert registered["aggregate"] == "Lead"
    assert registered["version"] == 1
    assert registered["data"]["first_name"] == "Maria"
    assert registered["data"]["email"] == "maria@example.com"
    assert registered["data"]["received_at"] == "2025-06-02T17:00:00+00:00"
    booked = next(e for e in document["events"] if e["event"] == "Booked")
    assert booked["aggregate_id"] == str(UUID(int=42))
    assert booked["data"]["services"][0]["name"] == "Premium Tint"  # a service's name is not a person's


def test_the_audit_refuses_unknown_ids_and_other_tenants_leads_as_not_found(
    container: Container, capsys: pytest.CaptureFixture[str]
) -> None:
    lead = a_lead_with_a_full_history(container)

    assert main(["audit", str(UUID(int=7))]) == 2
    assert main(["audit", "not-a-uuid"]) == 2
    assert main(["audit", str(lead.id), "--tenant", "other-co"]) == 2

    errors = capsys.readouterr().err.splitlines()
    assert errors == [
        f"leadorch: error: lead {UUID(int=7)} not found",
        "leadorch: error: lead 'not-a-uuid' not found: a lead id is a UUID",
        f"leadorch: error: lead {lead.id} not found",
    ]


def test_secrets_are_hidden_even_in_full_and_contact_details_masked_by_key_and_in_text() -> None:
    data = {
        "crm_api_key": "sk_live_1",
        "settings": {"webhook_secret": "whsec_1", "token": None},
        "phone": "+16195550142",
        "first_name": "Maria",
        "note": "write to maria@example.com",
    }

    assert mask(data, full=True) == {
        **data,
        "crm_api_key": "(secret)",
        "settings": {"webhook_secret": "(secret)", "token": None},
    }
    assert mask(data) == {
        "crm_api_key": "(secret)",
        "settings": {"webhook_secret": "(secret)", "token": None},
        "phone": "+1******0142",
        "first_name": "M***",
        "note": "write to m***@example.com",
    }


def test_the_history_endpoint_is_tenant_scoped_and_masks_unless_full(container: Container) -> None:
    lead = a_lead_with_a_full_history(container)
    config = container.config
    own_token = config.create_tenant("tint-co", name="Tint Co", actor="test").api_token
    other_token = config.create_tenant("other-co", name="Other Co", actor="test").api_token
    path = f"/api/tenants/tint-co/leads/{lead.id}/events"

    with TestClient(create_app(container)) as client:
        masked = client.get(path, headers=ADMIN)
        full = client.get(path, params={"full": "true"}, headers={"Authorization": f"Bearer {own_token}"})
        foreign = client.get(path, headers={"Authorization": f"Bearer {other_token}"})
        wrong_tenant = client.get(f"/api/tenants/other-co/leads/{lead.id}/events", headers=ADMIN)
        anonymous = client.get(path)

    assert masked.status_code == 200
    registered = next(e for e in masked.json()["events"] if e["event"] == "Registered")
    assert registered["data"]["email"] == "m***@example.com"
    assert len(masked.json()["events"]) == 16
    assert full.status_code == 200
    assert (
        next(e for e in full.json()["events"] if e["event"] == "Registered")["data"]["email"]
        == "maria@example.com"
    )
    assert (foreign.status_code, wrong_tenant.status_code, anonymous.status_code) == (404, 404, 401)
