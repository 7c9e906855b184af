"""Every location has senders that exist once real messaging credentials are set.

Real Twilio refuses a text without a sender, so a location with none would fail every text; real
SendGrid sends only from a verified sender. Each location's own sender wins, else the deployment's
defaults (LEADORCH_DEFAULT_SMS_FROM / LEADORCH_DEFAULT_MESSAGING_SERVICE_SID, LEADORCH_DEFAULT_EMAIL_FROM);
a location with neither is refused by `locations add`, stops `serve` and `worker` from starting, and
makes `/ready` degraded, each naming it. Without credentials (the embedded demo) nothing is required.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.support.touch_world import LOCATION, TouchWorld, touch_world

from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.cli import main
from leadorch.app.config.models import LocationConfig
from leadorch.app.http.app import create_app
from leadorch.app.senders import senders_for
from leadorch.app.settings import SettingsError, load_settings
from leadorch.domain.values import Channel

REAL_SECRET = "a-real-deployment-secret-key-0123456789"
REAL_ADMIN_TOKEN = "a-real-operator-token-0123456789"
SERVICE_SID = "MG" + "4d" * 16
CREDENTIALS = {
    "SENDGRID_API_KEY": "SG.real-looking-key",
    "TWILIO_ACCOUNT_SID": "AC" + "1f" * 16,
    "TWILIO_AUTH_TOKEN": "a-real-looking-auth-token",
}
ADD_SAN_DIEGO = [
    "locations", "add", "tintworld", "san-diego", "--name", "Tint World San Diego",
    "--crm-location-id", "6198139a5391fa197fac13e7", "--time-zone", "America/Los_Angeles",
]  # fmt: skip


def a_location(**senders: str | None) -> LocationConfig:
    return LocationConfig(
        tenant_id="tintworld",
        location_id="san-diego",
        name="San Diego",
        crm_location_id="crm-sd",
        time_zone="America/Los_Angeles",
        **senders,  # type: ignore[arg-type]
    )


# -- whose sender ---------------------------------------------------------------------------------------


def test_a_locations_own_senders_win_over_the_deployments_defaults() -> None:
    settings = load_settings(
        {},
        default_sms_from="+16195550111",
        default_messaging_service_sid=SERVICE_SID,
        default_email_from="leads@tintworld.example.com",
    )

    senders = senders_for(
        a_location(sms_from_number="+16195550100", email_from="sd@tintworld.example.com"), settings
    )

    assert (senders.sms_from_number, senders.messaging_service_sid) == ("+16195550100", None)
    assert senders.email_from == "sd@tintworld.example.com"


def test_a_location_without_its_own_uses_the_messaging_service_before_the_default_number() -> None:
    both = load_settings({}, default_sms_from="+16195550111", default_messaging_service_sid=SERVICE_SID)
    number_only = load_settings({}, default_sms_from="+16195550111", default_email_from="hi@tw.example.com")

    by_service = senders_for(a_location(), both)
    assert (by_service.sms_from_number, by_service.messaging_service_sid) == (None, SERVICE_SID)
    assert senders_for(a_location(), number_only).sms_from_number == "+16195550111"
    assert senders_for(a_location(), number_only).email_from == "hi@tw.example.com"


def test_with_nothing_configured_email_comes_from_leads_at_the_public_host() -> None:
    settings = load_settings({}, public_base_url="https://leads.tintworld.example.com")

    assert senders_for(a_location(), settings).email_from == "leads@leads.tintworld.example.com"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LEADORCH_DEFAULT_SMS_FROM", "619-555-0100"),
        ("LEADORCH_DEFAULT_MESSAGING_SERVICE_SID", "MG-not-a-sid"),
        ("LEADORCH_DEFAULT_EMAIL_FROM", "not-an-address"),
    ],
)
def test_a_malformed_default_sender_stops_the_process_naming_the_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=f"setting {name} must be"):
        load_settings({name: value})


# -- locations add ---------------------------------------------------------------------------------------


@pytest.fixture
def operator_env(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("USER", "ana")
    assert main(["tenants", "create", "tintworld", "--name", "Tint World"]) == 0
    return sqlite_url


def test_with_real_credentials_locations_add_refuses_a_location_without_senders_in_one_line(
    operator_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()

    assert main(ADD_SAN_DIEGO) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("leadorch: error: locations add: --sms-from and --email-from required")
    assert "LEADORCH_DEFAULT_SMS_FROM or LEADORCH_DEFAULT_MESSAGING_SERVICE_SID is not" in err
    assert main(["locations", "list", "tintworld"]) == 0
    assert "san-diego" not in capsys.readouterr().out


def test_with_real_twilio_credentials_only_the_sms_sender_is_required(
    operator_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", CREDENTIALS["TWILIO_ACCOUNT_SID"])
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", CREDENTIALS["TWILIO_AUTH_TOKEN"])
    capsys.readouterr()

    assert main([*ADD_SAN_DIEGO, "--email-from", "sd@tintworld.example.com"]) == 2
    assert "locations add: --sms-from required" in capsys.readouterr().err
    assert main([*ADD_SAN_DIEGO, "--sms-from", "+16195550100"]) == 0


def test_the_deployments_defaults_are_enough_for_locations_add(
    operator_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LEADORCH_DEFAULT_MESSAGING_SERVICE_SID", SERVICE_SID)
    monkeypatch.setenv("LEADORCH_DEFAULT_EMAIL_FROM", "leads@tintworld.example.com")

    assert main(ADD_SAN_DIEGO) == 0
    assert "senders: sms (default); email (default)" in capsys.readouterr().out


def test_without_credentials_locations_add_needs_no_sender(
    operator_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(ADD_SAN_DIEGO) == 0
    assert "added location tintworld/san-diego" in capsys.readouterr().out


# -- serve and worker ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [["serve", "--port", "0"], ["worker", "--metrics-port", "0"]])
def test_a_deployment_with_a_location_without_senders_refuses_to_start_naming_it(
    command: list[str], operator_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*ADD_SAN_DIEGO, "--email-from", "sd@tintworld.example.com"]) == 0  # before the credentials
    monkeypatch.setenv("LEADORCH_SECRET_KEY", REAL_SECRET)
    monkeypatch.setenv("LEADORCH_ADMIN_TOKEN", REAL_ADMIN_TOKEN)
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()

    assert main(command) == 2

    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("leadorch: error: location tintworld/san-diego has no SMS sender: set it with ")
    assert "`leadorch locations update tintworld san-diego --sms-from …`" in err


def test_a_deployment_whose_locations_all_have_senders_passes_the_check(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    container = bootstrap(load_settings({}, database_url=url))
    container.config.create_tenant("tintworld", name="Tint World", actor="test")
    container.config.add_location(
        "tintworld", "san-diego", name="San Diego", crm_location_id="crm-sd", time_zone="America/Los_Angeles",
        sms_from_number="+16195550100", actor="test",
    )  # fmt: skip
    container.close()
    deployment = load_settings(
        {**CREDENTIALS, "LEADORCH_DEFAULT_EMAIL_FROM": "leads@tintworld.example.com"},
        database_url=url,
        secret_key=REAL_SECRET,
        admin_token=REAL_ADMIN_TOKEN,
    )

    bootstrap(deployment, sends_messages=True).close()


# -- /ready ----------------------------------------------------------------------------------------------


@pytest.fixture
def world(sqlite_url: str) -> Iterator[TouchWorld]:
    with touch_world(sqlite_url) as built:
        yield built


def ready(container: Container) -> tuple[int, dict[str, object]]:
    with TestClient(app=create_app(container)) as client:
        response = client.get("/ready")
    return response.status_code, response.json()


def test_ready_is_degraded_naming_a_location_without_an_sms_sender(world: TouchWorld) -> None:
    assert ready(world.container)[1]["status"] == "ready"

    world.container.config.update_location(world.tenant_id, LOCATION, sms_from_number="", actor="test")
    status, body = ready(world.container)

    assert status == 200
    assert body["status"] == "degraded"
    (line,) = body["degraded"]  # type: ignore[misc]
    assert line.startswith(f"location {world.tenant_id}/{LOCATION} has no SMS sender")


# -- what the providers receive -------------------------------------------------------------------------


@pytest.fixture
def world_with_defaults(sqlite_url: str) -> Iterator[TouchWorld]:
    with touch_world(
        sqlite_url,
        default_messaging_service_sid=SERVICE_SID,
        default_email_from="leads@sunshield.example.com",
    ) as built:
        built.providers.twilio.add_messaging_service(SERVICE_SID)
        service = built.container.config
        service.update_location(built.tenant_id, LOCATION, sms_from_number="", email_from="", actor="test")
        yield built


def test_a_touch_from_a_location_without_its_own_senders_goes_from_the_deployments(
    world_with_defaults: TouchWorld,
) -> None:
    world = world_with_defaults
    world.new_lead()

    world.dispatch_due()

    (text,) = world.texts_to(world.phone)
    assert (text.from_number, text.messaging_service_sid, text.status) == (None, SERVICE_SID, "accepted")
    (email,) = world.emails_to(world.email)
    assert email.from_email == "leads@sunshield.example.com"


def test_a_sender_twilio_refuses_fails_the_touch_but_keeps_the_leads_sms_channel(world: TouchWorld) -> None:
    world.container.config.update_location(
        world.tenant_id, LOCATION, sms_from_number="+15125550142", actor="test"
    )  # a number this Twilio account does not own
    lead_id, schedule_id = world.new_lead()

    (result,) = world.dispatch_due()

    assert result.outcomes["sms"] == "failed"
    assert world.texts_to(world.phone) == []
    assert Channel.SMS in world.schedule(schedule_id).enabled_channels
    assert world.lead(lead_id).can_contact("sms")


# -- the admin API ---------------------------------------------------------------------------------------

ADMIN_TOKEN = "operator-admin-token-0001"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def _admin_api(sqlite_url: str, **settings: str) -> Iterator[TestClient[Any]]:
    container = bootstrap(load_settings({}, database_url=sqlite_url, admin_token=ADMIN_TOKEN, **settings))
    with TestClient(create_app(container)) as client:
        assert client.post(
            "/api/admin/tenants", json={"tenant_id": "tintworld", "name": "Tint World"}, headers=ADMIN
        )
        yield client
    container.close()


LOCATION_BODY = {
    "location_id": "san-diego",
    "name": "Tint World San Diego",
    "crm_location_id": "crm-sd",
    "time_zone": "America/Los_Angeles",
}


def test_with_real_credentials_the_admin_api_refuses_a_location_without_senders_with_a_422(
    sqlite_url: str,
) -> None:
    credentials = {
        "sendgrid_api_key": CREDENTIALS["SENDGRID_API_KEY"],
        "twilio_account_sid": CREDENTIALS["TWILIO_ACCOUNT_SID"],
        "twilio_auth_token": CREDENTIALS["TWILIO_AUTH_TOKEN"],
    }
    for client in _admin_api(sqlite_url, **credentials):
        refused = client.post("/api/admin/tenants/tintworld/locations", json=LOCATION_BODY, headers=ADMIN)
        accepted = client.post(
            "/api/admin/tenants/tintworld/locations",
            json={
                **LOCATION_BODY,
                "sms_from_number": "+16195550100",
                "email_from": "sd@tintworld.example.com",
            },
            headers=ADMIN,
        )
        unknown_tenant = client.post("/api/admin/tenants/nobody/locations", json=LOCATION_BODY, headers=ADMIN)

    assert refused.status_code == 422
    assert "sms_from_number and email_from required" in refused.text
    assert accepted.status_code == 201
    assert unknown_tenant.status_code == 404


def test_without_credentials_the_admin_api_needs_no_sender(sqlite_url: str) -> None:
    for client in _admin_api(sqlite_url):
        response = client.post("/api/admin/tenants/tintworld/locations", json=LOCATION_BODY, headers=ADMIN)

    assert response.status_code == 201
