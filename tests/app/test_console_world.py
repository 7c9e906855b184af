"""The small, scripted history every console test starts from, and a check that it is what it says.

Two shops of one tenant ("Sunshield Tint": Austin and Dallas) and a second tenant with one lead of its
own. Each lead lives a different life through the real domain commands, saved in the event store the
way the services save them, and the read models catch up:

- Jane (Austin): touch 1 sent on email and SMS 30 s after arrival, she replies, then books.
- John (Austin): touch 1 sent by email after 2 min (SMS suppressed: demo mode); touch 2 was claimed and
  never confirmed, so it is uncertain.
- Maria (Austin): touch 1's SMS failed for good (bad number), its email went out after 45 s; she later
  opted out of SMS.
- Lou (Austin): never reached; marked lost.
- Dan (Dallas): touch 1 sent by email after 10 min; then the shop took him over.

Funnel (all arrived on 2025-06-02 UTC): received 5, contacted 4, engaged 1, booked 1, lost 1, opted out
1, handed to shop 1; speed to lead 30 s, 45 s, 2 min, 10 min (median 45 s).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import TestClient
from tests.support.leads import a_lead

from leadorch.adapters.clocks import AdjustableClock
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.config.hours import parse_weekly_hours
from leadorch.app.config.models import CatalogService
from leadorch.app.projections.wiring import catch_up
from leadorch.app.readmodels.funnel import funnel
from leadorch.app.readmodels.leads import get_lead
from leadorch.app.settings import load_settings
from leadorch.domain.appointment import Appointment
from leadorch.domain.availability import ServiceLine
from leadorch.domain.consent import ConsentEvidence
from leadorch.domain.lead import Lead
from leadorch.domain.schedule import TouchPointSchedule
from leadorch.domain.values import Channel, Vehicle

TENANT = "sunshield"
OTHER_TENANT = "othertint"
AUSTIN = "austin"
DALLAS = "dallas"
ADMIN_TOKEN = "console-test-admin-token"
# Monday 2 June 2025, 10:00 in Austin (CDT): inside the default 09:00–20:00 sending window.
ARRIVAL = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)
NOW = datetime(2025, 6, 10, 17, 0, tzinfo=UTC)
CERAMIC = ServiceLine(service_id="ceramic", name="Ceramic Tint", duration_minutes=120, price_cents=45000)


@dataclass
class ConsoleWorld:
    container: Container
    tenant_token: str
    other_token: str
    leads: dict[str, str] = field(default_factory=dict)  # first name -> lead id
    other_lead: str = ""

    @property
    def clock(self) -> AdjustableClock:
        return self.container.clock  # type: ignore[return-value]


def build_world(database_url: str) -> ConsoleWorld:
    """A container with the scripted history saved and every read model caught up."""
    container = bootstrap(
        load_settings({}, database_url=database_url, admin_token=ADMIN_TOKEN), clock=AdjustableClock(NOW)
    )
    config = container.config
    tenant_token = config.create_tenant(TENANT, name="Sunshield Tint", actor="test").api_token
    hours = parse_weekly_hours("mon-fri 09:00-18:00; sat 10:00-16:00; sun closed")
    for location_id, name, zone, phone in (
        (AUSTIN, "Sunshield Austin", "America/Chicago", "+15125550100"),
        (DALLAS, "Sunshield Dallas", "America/Chicago", "+12145550100"),
    ):
        config.add_location(
            TENANT, location_id, name=name, crm_location_id=f"crm-{location_id}", time_zone=zone,
            phone=phone, weekly_hours=hours, capacity=2, actor="test",
        )  # fmt: skip
    config.put_service(
        TENANT,
        CatalogService(service_id="ceramic", name="Ceramic Tint", duration_minutes=120, price_cents=45000),
        actor="test",
    )
    other_token = config.create_tenant(OTHER_TENANT, name="Other Tint", actor="test").api_token
    config.add_location(
        OTHER_TENANT, "miami", name="Other Miami", crm_location_id="crm-miami", time_zone="America/New_York",
        weekly_hours=hours, actor="test",
    )  # fmt: skip
    world = ConsoleWorld(container, tenant_token, other_token)
    _script(world)
    catch_up(container)
    return world


@pytest.fixture
def world(sqlite_url: str) -> Iterator[ConsoleWorld]:
    built = build_world(sqlite_url)
    yield built
    built.container.close()


def log_in(client: TestClient, token: str, *, name: str = "Ana", next_path: str = "/console") -> str:
    """Log in through the form as a browser would; returns where the console sent us."""
    form = client.get("/console/login")
    nonce = re.search(r'name="login_nonce" value="([^"]+)"', form.text)
    assert nonce is not None, form.text
    answer = client.post(
        "/console/login",
        data={"token": token, "name": name, "login_nonce": nonce.group(1), "next": next_path},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def csrf_of(html: str) -> str:
    """The CSRF token the page's forms carry."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


# ------------------------------------------------------------------------------------------- script


def _script(world: ConsoleWorld) -> None:
    store = world.container.store
    t0 = ARRIVAL

    jane, jane_schedule = arrive(world, "Jane", "Doe", AUSTIN, t0, order="1001", texts_verified=t0)
    _send_first(
        jane, jane_schedule, t0 + timedelta(seconds=30), channels={"email": "SG.jane", "sms": "SMjane"}
    )
    jane.record_reply(
        channel="sms", text="Yes please, how much for ceramic on my Camry?", at=t0 + timedelta(hours=1)
    )
    jane_schedule.stop(reason="the customer replied by sms", now=t0 + timedelta(hours=1))
    appointment = Appointment.book(
        appointment_id=uuid.uuid4(), tenant_id=TENANT, lead_id=str(jane.id), location_id=AUSTIN,
        services=[CERAMIC], start=datetime(2025, 6, 5, 15, 0, tzinfo=UTC), at=t0 + timedelta(hours=2),
    )  # fmt: skip
    jane.record_booking(appointment_id=appointment.id, at=t0 + timedelta(hours=2))
    store.save(jane, jane_schedule, appointment)

    john, john_schedule = arrive(world, "John", "Smith", AUSTIN, t0 + timedelta(seconds=1), order="1002")
    claimed = john_schedule.claim_next_touch(now=t0 + timedelta(minutes=2), claim_id="claim-john-1")
    assert claimed is not None
    john_schedule.record_sent(
        touch_number=1, channel="email", provider_message_id="SG.john", now=t0 + timedelta(seconds=121)
    )
    john_schedule.record_suppressed(
        touch_number=1,
        channel="sms",
        reason="demo mode: not on the allow-list",
        now=t0 + timedelta(seconds=121),
    )
    john.record_contacted(at=t0 + timedelta(seconds=121))
    second_due = john_schedule.next_due_at
    assert second_due is not None
    john_schedule.claim_next_touch(now=second_due, claim_id="claim-john-2")
    john_schedule.mark_uncertain(touch_number=2, now=second_due + timedelta(minutes=30))
    store.save(john, john_schedule)

    maria, maria_schedule = arrive(world, "Maria", "Garcia", AUSTIN, t0 + timedelta(seconds=2), order="1003")
    maria_schedule.claim_next_touch(now=t0 + timedelta(seconds=40), claim_id="claim-maria-1")
    maria_schedule.record_failed(
        touch_number=1,
        channel="sms",
        reason="21211 invalid 'To' phone number",
        retriable=False,
        now=t0 + timedelta(seconds=41),
    )
    maria_schedule.record_sent(
        touch_number=1, channel="email", provider_message_id="SG.maria", now=t0 + timedelta(seconds=47)
    )
    maria.record_contacted(at=t0 + timedelta(seconds=47))
    maria.opt_out(channel="sms", reason="the customer wrote 'stop texting me'", at=t0 + timedelta(hours=3))
    store.save(maria, maria_schedule)

    lou, lou_schedule = arrive(
        world, "Lou", "Reed", AUSTIN, t0 + timedelta(seconds=3), order="1004", email=False
    )
    lou.mark_lost(reason="no response to the whole cadence", at=t0 + timedelta(days=4))
    lou_schedule.stop(reason="the lead was marked lost", now=t0 + timedelta(days=4))
    store.save(lou, lou_schedule)

    dan, dan_schedule = arrive(world, "Dan", "Brown", DALLAS, t0 + timedelta(seconds=4), order="2001")
    _send_first(dan, dan_schedule, t0 + timedelta(seconds=4, minutes=10), channels={"email": "SG.dan"})
    dan.hand_to_shop(reason="staff messaged the customer in ShopMonkey", at=t0 + timedelta(days=1))
    dan_schedule.stop(reason="handed to the shop", now=t0 + timedelta(days=1))
    store.save(dan, dan_schedule)

    other, other_schedule = arrive(world, "Olga", "Other", "miami", t0, order="9001", tenant=OTHER_TENANT)
    store.save(other, other_schedule)
    world.other_lead = str(other.id)


def arrive(
    world: ConsoleWorld,
    first: str,
    last: str,
    location_id: str,
    at: datetime,
    *,
    order: str,
    tenant: str = TENANT,
    email: bool = True,
    texts_verified: datetime | None = None,
) -> tuple[Lead, TouchPointSchedule]:
    """The lead arrived (with evidence of its SMS consent when `texts_verified` says when ShopMonkey
    verified it; without, like leads imported before the evidence was kept)."""
    config = world.container.config
    location = config.location(tenant, location_id)
    lead, schedule = (
        a_lead(
            tenant_id=tenant,
            order=order,
            customer=f"customer-{order}",
            vehicle_id=f"vehicle-{order}",
            first_name=first,
            last_name=last,
            email=f"{first.lower()}@example.com" if email else None,
            phone=f"+1512555{order[-4:]}",
            vehicle=Vehicle(2021, "Toyota", "Camry"),
            services=("Ceramic Tint",),
            consent_evidence=_texts_evidence(texts_verified, at),
            at=at,
        )
        .at_location(location, config.tenant(tenant).touch_plan())
        .arrived()
    )
    if tenant == TENANT:
        world.leads[first] = str(lead.id)
    return lead, schedule


def _texts_evidence(verified: datetime | None, at: datetime) -> tuple[ConsentEvidence, ...]:
    if verified is None:
        return ()
    return (
        ConsentEvidence(
            channel=Channel.SMS,
            granted=True,
            source="shopmonkey",
            reason="the phone number is opted in to automatic texts in the CRM",
            fields={"phoneNumbers[0].optIn": True, "phoneNumbers[0].type": "Mobile"},
            verified_at=verified,
            observed_at=at,
        ),
    )


def _send_first(
    lead: Lead,
    schedule: TouchPointSchedule,
    at: datetime,
    *,
    channels: dict[str, str],
) -> None:
    """Touch 1 claimed and sent at `at` on `channels` (any other claimed channel suppressed)."""
    claimed = schedule.claim_next_touch(now=at, claim_id=f"claim-{lead.id}-1")
    assert claimed is not None
    for channel in sorted(claimed.channels):
        if channel in channels:
            schedule.record_sent(
                touch_number=1, channel=channel, provider_message_id=channels[channel], now=at
            )
        else:
            schedule.record_suppressed(touch_number=1, channel=channel, reason="demo mode", now=at)
    lead.record_contacted(at=at)


# -------------------------------------------------------------------------------------------- tests


def test_the_scripted_history_is_what_the_console_tests_assume(world: ConsoleWorld) -> None:
    db = world.container.db
    days = funnel(db, TENANT, None, ARRIVAL.date(), ARRIVAL.date())
    totals = {
        stage: sum(getattr(day, stage) for day in days)
        for stage in ("received", "contacted", "engaged", "booked", "lost", "opted_out", "handed_to_shop")
    }
    assert totals == {
        "received": 5, "contacted": 4, "engaged": 1, "booked": 1, "lost": 1, "opted_out": 1, "handed_to_shop": 1,
    }  # fmt: skip
    statuses = {name: get_lead(db, TENANT, lead_id).status for name, lead_id in world.leads.items()}  # type: ignore[union-attr]
    assert statuses == {
        "Jane": "booked", "John": "contacting", "Maria": "contacting", "Lou": "lost", "Dan": "handled_by_shop",
    }  # fmt: skip
    assert get_lead(db, TENANT, world.other_lead) is None
