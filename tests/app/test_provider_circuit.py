"""A provider's own failure is not the recipient's: while Twilio refuses our credentials (401, 20003),
no lead's SMS channel is disabled, sending through Twilio pauses, `/ready` names it as degraded, a
metric counts it and the operator is alerted; once the key works again the touches that waited go out,
inside the sending window and without a burst."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient
from tests.support.touch_world import TIME_ZONE, TouchWorld, touch_world

from leadorch.app.http.app import create_app
from leadorch.app.observability.metrics import REGISTRY
from leadorch.domain.schedule import TouchOutcome
from leadorch.domain.values import Channel


@pytest.fixture
def world(sqlite_url: str) -> Iterator[TouchWorld]:
    with touch_world(sqlite_url) as built:
        yield built


def _auth_failures() -> float:
    return REGISTRY.get_sample_value("leadorch_provider_auth_failures_total", {"provider": "twilio"}) or 0.0


def test_a_revoked_twilio_key_disables_no_channel_and_the_waiting_touches_go_out_after_it_recovers(
    world: TouchWorld, caplog: pytest.LogCaptureFixture
) -> None:
    twilio = world.providers.twilio
    real_token = twilio.auth_token
    leads = [world.new_lead(phone=f"+1619555{n:04d}", email=f"lead{n}@example.com") for n in range(3)]
    before = _auth_failures()

    twilio.auth_token = "revoked-by-the-operator"  # Twilio now answers our key with 401 / 20003
    with caplog.at_level(logging.ERROR):
        world.dispatch_due()  # touch 1: email goes out, SMS meets the refused key
    with TestClient(create_app(world.container)) as client:
        ready = client.get("/ready").json()
    world.run_days(3)  # touch 2 (email) and touch 3 (SMS) come due during the outage

    for lead_id, schedule_id in leads:
        schedule = world.schedule(schedule_id)
        assert Channel.SMS in schedule.enabled_channels, "a provider's failure disabled a lead's channel"
        assert world.lead(lead_id).can_contact("sms")
    assert _auth_failures() > before
    alerts = [r for r in caplog.records if "refused our credentials" in r.getMessage()]
    assert alerts and getattr(alerts[0], "fields", {}).get("alert") == "operator"
    assert ready["status"] == "degraded"
    assert ready["degraded"] and ready["degraded"][0].startswith("twilio refuses our credentials")
    assert twilio.outbox == []
    emails_during_outage = len(world.providers.sendgrid.outbox)
    assert emails_during_outage >= 6, "email through SendGrid kept going"

    twilio.auth_token = real_token  # the operator fixes the key
    world.run_days(1)

    # Each probe of the refused key costs the one touch it tried (recorded failed, channel kept); every
    # touch that waited instead goes out once the key works: one text per lead, no burst.
    outcomes = [world.schedule(schedule_id).history[3].outcomes[Channel.SMS] for _, schedule_id in leads]
    assert outcomes.count(TouchOutcome.SENT) >= 2, outcomes
    sent_to = [text.to for text in twilio.outbox]
    assert len(sent_to) == len(set(sent_to)) == outcomes.count(TouchOutcome.SENT)
    for _, schedule_id in leads:
        record = world.schedule(schedule_id).history[3]
        assert record.claimed_at is not None
        local = record.claimed_at.astimezone(ZoneInfo(TIME_ZONE))
        assert 9 <= local.hour <= 20, f"sent outside the sending window at {local}"
    with TestClient(create_app(world.container)) as client:
        assert client.get("/ready").json()["status"] == "ready"
