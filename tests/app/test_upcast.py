"""Schema evolution: a `Lead.Registered` stored before `received_at` existed (version 1) still loads,
projects and audits, read as received at its registration time; one stored before consent evidence was
kept (version 2) loads with none, and a later CRM read records it; new events are stored as version 3."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from tests.support.leads import a_lead

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.audit import lead_history
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.projections.wiring import catch_up
from leadorch.app.readmodels.funnel import funnel
from leadorch.app.readmodels.leads import get_lead
from leadorch.app.settings import load_settings
from leadorch.domain import ids
from leadorch.domain.consent import ConsentEvidence
from leadorch.domain.lead import Lead
from leadorch.domain.values import Channel

REGISTERED_AT = datetime(2024, 11, 4, 18, 30, tzinfo=UTC)


@pytest.fixture(params=["msgspec", "json"])
def container(database_url: str, request: pytest.FixtureRequest) -> Iterator[Container]:
    settings = load_settings({}, database_url=database_url, event_codec=request.param)
    built = bootstrap(settings, clock=AdjustableClock(REGISTERED_AT))
    yield built
    built.close()


def store_a_version_1_registration(container: Container, *, version: int = 1) -> UUID:
    """Write, by hand, the stored event an old release would have written (version 1, or 2)."""
    lead_id = ids.lead_id("tint-co", "o-1")
    state = {
        "originator_topic": get_topic(Lead),
        "timestamp": REGISTERED_AT,
        "tenant_id": "tint-co",
        "location_id": "san-diego",
        "crm_order_id": "o-1",
        "crm_customer_id": "c-1",
        "crm_vehicle_id": None,
        "first_name": "Maria",
        "last_name": "Lopez",
        "email": "maria@example.com",
        "phone": None,
        "vehicle_year": None,
        "vehicle_make": None,
        "vehicle_model": None,
        "services": ["Premium Tint"],
        "email_consent": True,
        "sms_consent": False,
    }  # no "received_at", no "class_version": that is what version 1 looked like
    if version == 2:  # received_at, but no "consent_evidence"
        state |= {"received_at": REGISTERED_AT, "class_version": 2}
    stored = StoredEvent(
        originator_id=lead_id,
        originator_version=1,
        topic=get_topic(Lead.Registered),
        state=container.store.mapper.transcoder.encode(state),
    )
    container.store.recorder.insert_events([stored])
    return lead_id


def test_a_version_1_registration_loads_with_the_upcast_received_at(container: Container) -> None:
    lead_id = store_a_version_1_registration(container)

    lead = container.store.load(lead_id, Lead, "tint-co")

    assert lead.received_at == REGISTERED_AT
    assert lead.contact.email == "maria@example.com"
    lead.record_reply(channel="email", text="Still interested", at=REGISTERED_AT + timedelta(days=1))
    container.store.save(lead)
    assert container.store.load(lead_id, Lead, "tint-co").status.value == "engaged"


def test_read_models_and_the_audit_read_version_1_events_through_the_upcast(container: Container) -> None:
    lead_id = store_a_version_1_registration(container)
    catch_up(container)

    shown = get_lead(container.db, "tint-co", str(lead_id))
    assert shown is not None
    assert shown.received_at == REGISTERED_AT
    assert funnel(container.db, "tint-co", None, REGISTERED_AT.date(), REGISTERED_AT.date())[0].received == 1
    registered = lead_history(container.store, lead_id, full=True).entries[0]
    assert registered.data["received_at"] == REGISTERED_AT.isoformat()


def test_a_version_2_registration_loads_without_consent_evidence_until_a_crm_read_records_it(
    container: Container,
) -> None:
    lead_id = store_a_version_1_registration(container, version=2)

    lead = container.store.load(lead_id, Lead, "tint-co")
    assert lead.consent_evidence == {} and lead.can_contact(Channel.EMAIL)
    read = REGISTERED_AT + timedelta(days=2)
    lead.record_crm_consent(
        ConsentEvidence(
            channel=Channel.EMAIL,
            granted=True,
            source="shopmonkey",
            reason="the email address is subscribed in the CRM",
            fields={"emails[0].subscribed": True},
            observed_at=read,
        ),
        at=read,
    )
    container.store.save(lead)

    reloaded = container.store.load(lead_id, Lead, "tint-co")
    assert reloaded.consent_evidence[Channel.EMAIL].fields == {"emails[0].subscribed": True}
    assert reloaded.consent_evidence[Channel.EMAIL].observed_at == read


def test_new_registrations_are_stored_as_version_3(container: Container) -> None:
    lead = a_lead(
        order="o-2",
        customer="c-2",
        first_name="Aiko",
        last_name="Tanaka",
        email="aiko@example.com",
        phone=None,
        services=(),
        sms_consent=False,
        at=REGISTERED_AT,
    ).registered()
    container.store.save(lead)

    (stored,) = container.store.recorder.select_events(lead.id)
    state = container.store.mapper.transcoder.decode(stored.state)
    assert state["class_version"] == 3
    assert "received_at" in state and state["consent_evidence"] == []
