"""A provider's own failure is not the recipient's: while Twilio refuses our credentials (401, 20003),
no lead's SMS channel is disabled, sending through Twilio pauses, `/ready` names it as degraded, a
metric counts it and the operator is alerted once; once the key works again the touches that waited go
out, each once, inside the sending window and without a burst. Finding out whether the key works again
costs no customer's touch: the probe is a credentials check that sends nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient
from tests.support.touch_world import SHOP_NUMBER, TIME_ZONE, TouchWorld, touch_of_text, touch_world

from leadorch.app.bootstrap import bootstrap
from leadorch.app.db import Database
from leadorch.app.http.app import create_app
from leadorch.app.observability.metrics import REGISTRY
from leadorch.app.settings import load_settings
from leadorch.app.touches.provider_circuit import (
    FIRST_PAUSE,
    open_circuit,
    open_circuits,
    paused_providers,
)
from leadorch.domain.touches import TouchOutcome
from leadorch.domain.values import Channel
from leadorch.ports.messaging import ProviderRefusedCredentials, TransientDeliveryError

OPERATOR_EMAIL = "ops@sunshield.example.com"
OPERATOR_PHONE = "+15125550999"


@pytest.fixture
def world(sqlite_url: str) -> Iterator[TouchWorld]:
    with touch_world(
        sqlite_url,
        operator_alert_email=OPERATOR_EMAIL,
        operator_alert_phone=OPERATOR_PHONE,
        default_sms_from=SHOP_NUMBER,
    ) as built:
        yield built


def _auth_failures(provider: str) -> float:
    return REGISTRY.get_sample_value("leadorch_provider_auth_failures_total", {"provider": provider}) or 0.0


def _operator_alerts(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "fields", {}).get("alert") == "operator"]


def _ready(world: TouchWorld) -> dict[str, object]:
    with TestClient(create_app(world.container)) as client:
        return client.get("/ready").json()  # type: ignore[no-any-return]


def test_a_twilio_key_refused_for_days_disables_no_channel_and_the_waiting_touches_go_out_each_once(
    world: TouchWorld, caplog: pytest.LogCaptureFixture
) -> None:
    twilio, sendgrid = world.providers.twilio, world.providers.sendgrid
    real_token = twilio.auth_token
    leads = [world.new_lead(phone=f"+1619555{n:04d}", email=f"lead{n}@example.com") for n in range(3)]
    before = _auth_failures("twilio")

    twilio.auth_token = "revoked-by-the-operator"  # Twilio now answers our key with 401 / 20003
    with caplog.at_level(logging.INFO):
        world.dispatch_due()  # the first text meets the refused key; the other leads' touch 1 waits
        ready_during = _ready(world)
        world.run_days(3)  # hourly dispatches: each probes the key once its pause is over, and waits

    for lead_id, schedule_id in leads:
        assert Channel.SMS in world.schedule(schedule_id).enabled_channels, (
            "a provider's failure disabled a channel"
        )
        assert world.lead(lead_id).can_contact("sms")
    assert _auth_failures("twilio") > before + 1  # the refusal and every failed probe count
    (alert,) = _operator_alerts(caplog)  # once for the opening, not per probe nor per touch
    assert alert.levelno == logging.ERROR and "twilio refused our credentials" in alert.getMessage()
    (operator_mail,) = [mail for mail in sendgrid.outbox if OPERATOR_EMAIL in mail.to]
    assert "twilio refuses our credentials" in operator_mail.subject
    assert not [text for text in twilio.outbox if text.to == OPERATOR_PHONE]  # not through the refusing one
    assert ready_during["status"] == "degraded"
    assert str(ready_during["degraded"][0]).startswith("twilio refuses our credentials")  # type: ignore[index]
    assert twilio.calls == 1, "a probe spent a customer's touch"
    assert twilio.account_fetches >= 3  # the probes: credentials checks that send nothing
    assert twilio.outbox == []

    twilio.auth_token = real_token  # the operator fixes the key
    world.run_days(2)

    assert _ready(world)["status"] == "ready"
    failed = [
        (schedule_id, record.number)
        for _, schedule_id in leads
        for record in world.schedule(schedule_id).touches
        if record.outcomes.get(Channel.SMS) is TouchOutcome.FAILED
    ]
    (finder, lost_touch), *others = failed
    assert (lost_touch, others) == (1, []), "only the text that found the refusal is lost"
    for n, (_, schedule_id) in enumerate(leads):
        schedule = world.schedule(schedule_id)
        texts = world.texts_to(f"+1619555{n:04d}")
        touches = [touch_of_text(text) for text in texts]
        assert len(touches) == len(set(touches)), f"a touch was texted twice: {touches}"
        waited = 3 if schedule_id == finder else 1  # touch 1, or the finder's touch 3, came due meanwhile
        assert schedule.history[waited].outcomes[Channel.SMS] is TouchOutcome.SENT
        sent_days = []
        for record in schedule.touches:
            if TouchOutcome.SENT in record.outcomes.values():
                assert record.claimed_at is not None
                local = record.claimed_at.astimezone(ZoneInfo(TIME_ZONE))
                assert 9 <= local.hour < 20, f"touch {record.number} sent outside the window at {local}"
                sent_days.append(local.date())
        assert len(sent_days) == len(set(sent_days)), f"two touches on one day (a burst): {sent_days}"


def test_a_sendgrid_key_refused_alerts_the_operator_by_text_once(
    world: TouchWorld, caplog: pytest.LogCaptureFixture
) -> None:
    sendgrid, twilio = world.providers.sendgrid, world.providers.twilio
    real_key = sendgrid.api_key
    leads = [world.new_lead(phone=f"+1619556{n:04d}", email=f"mail{n}@example.com") for n in range(2)]

    sendgrid.api_key = "SG.revoked"
    with caplog.at_level(logging.INFO):
        world.dispatch_due()
        world.run_days(1)

    assert len(_operator_alerts(caplog)) == 1
    (operator_text,) = [text for text in twilio.outbox if text.to == OPERATOR_PHONE]
    assert operator_text.body.startswith("sendgrid refuses our credentials")
    assert operator_text.from_number == SHOP_NUMBER  # the deployment's default sender
    assert not [mail for mail in sendgrid.outbox if OPERATOR_EMAIL in mail.to]
    for lead_id, schedule_id in leads:
        assert Channel.EMAIL in world.schedule(schedule_id).enabled_channels
        assert world.lead(lead_id).can_contact("email")

    sendgrid.api_key = real_key
    world.run_days(1)

    assert _ready(world)["status"] == "ready"
    assert all(world.emails_to(f"mail{n}@example.com") for n in range(2))


# -- the circuit itself -----------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    container = bootstrap(load_settings({}, database_url=f"sqlite:///{tmp_path / 'events.db'}"))
    yield container.db
    container.close()


NOON = datetime(2025, 6, 2, 17, 0, tzinfo=UTC)


def _unreachable(provider: str) -> None:
    raise TransientDeliveryError(f"{provider} did not answer")


def _broken(provider: str) -> None:
    raise RuntimeError(f"a bug in the {provider} check")


def test_only_the_refusal_that_opens_the_circuit_is_an_opening(db: Database) -> None:
    first = open_circuit(db, "twilio", "401", now=NOON)
    straggler = open_circuit(db, "twilio", "401", now=NOON + timedelta(seconds=5))

    assert first.opened and not straggler.opened
    assert first.until == straggler.until == NOON + FIRST_PAUSE  # a straggler does not lengthen the pause


def test_a_failed_probe_doubles_the_pause_and_an_accepted_one_closes_the_circuit(db: Database) -> None:
    open_circuit(db, "twilio", "401", now=NOON)
    checked: list[str] = []

    def refuse(provider: str) -> None:
        checked.append(provider)
        raise ProviderRefusedCredentials("still 401", provider=provider, code="401")

    still_paused = paused_providers(db, refuse, now=NOON + timedelta(seconds=30))
    probe_time = NOON + FIRST_PAUSE
    refused = paused_providers(db, refuse, now=probe_time)
    until, _ = open_circuits(db)["twilio"]
    unreachable = paused_providers(db, _unreachable, now=until)
    broken = paused_providers(db, _broken, now=until)
    accepted = paused_providers(db, lambda _p: None, now=until)

    assert still_paused == refused == unreachable == broken == {"twilio"}
    assert checked == ["twilio"]  # not probed while the pause lasts
    assert until == probe_time + 2 * FIRST_PAUSE
    assert accepted == set() and open_circuits(db) == {}
