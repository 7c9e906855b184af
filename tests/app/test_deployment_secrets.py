"""No demo secret opens a real deployment: with a real LEADORCH_SECRET_KEY, `serve` and `worker` refuse
the demo's admin token and `.env.example`'s placeholders; a CRM secret is sealed only with the
deployment's key; a secret the server cannot decrypt answers the webhook 503, logged and counted."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from litestar.testing import TestClient

from leadorch.app.bootstrap import bootstrap
from leadorch.app.cli import main
from leadorch.app.http.app import create_app
from leadorch.app.observability.metrics import REGISTRY
from leadorch.app.settings import load_settings

REAL_SECRET = "a-real-deployment-secret-key-0123456789"
OTHER_SECRET = "another-deployment-secret-key-9876543210"
REAL_TOKEN = "a-real-operator-token-0123456789"
PLACEHOLDER_SECRET = "change-me-to-a-long-random-string-of-at-least-32-chars"  # .env.example's
MESSAGING = {"SENDGRID_API_KEY": "SG.x", "TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "t" * 32}


def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **values: str) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'events.db'}")
    for name, value in {**MESSAGING, **values}.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("command", [["serve"], ["worker", "--metrics-port", "0"]])
@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"LEADORCH_SECRET_KEY": REAL_SECRET}, "LEADORCH_ADMIN_TOKEN"),  # missing: the demo default
        (
            {"LEADORCH_SECRET_KEY": REAL_SECRET, "LEADORCH_ADMIN_TOKEN": "dev-admin-token"},
            "LEADORCH_ADMIN_TOKEN",
        ),
        (
            {"LEADORCH_SECRET_KEY": REAL_SECRET, "LEADORCH_ADMIN_TOKEN": "change-me-admin-token"},
            "LEADORCH_ADMIN_TOKEN",
        ),
        (
            {"LEADORCH_SECRET_KEY": PLACEHOLDER_SECRET, "LEADORCH_ADMIN_TOKEN": REAL_TOKEN},
            "LEADORCH_SECRET_KEY",
        ),
    ],
)
def test_a_deployment_with_a_demo_or_placeholder_secret_refuses_to_start_in_one_line(
    command: list[str],
    values: dict[str, str],
    named: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _env(monkeypatch, tmp_path, **values)

    assert main(command) == 2

    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"leadorch: error: setting {named} ")
    assert not (tmp_path / "events.db").exists(), "refused before anything was opened"


def test_storing_a_crm_secret_against_a_deployment_database_needs_its_key(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("SHOPMONKEY_WEBHOOK_SECRET", "whsec_c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZw==")

    code = main(["tenants", "crm", "tintworld", "--webhook-secret-env", "SHOPMONKEY_WEBHOOK_SECRET"])

    assert code == 2
    err = capsys.readouterr().err
    assert "LEADORCH_SECRET_KEY is not set" in err
    assert "docker compose exec api" in err
    assert "stored" not in err


def test_a_webhook_secret_the_server_cannot_decrypt_is_a_503_logged_and_counted_by_tenant(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database_url = f"sqlite:///{tmp_path / 'events.db'}"
    sealing = bootstrap(
        load_settings({}, database_url=database_url, secret_key=OTHER_SECRET, admin_token=REAL_TOKEN)
    )
    admin = {"Authorization": f"Bearer {REAL_TOKEN}"}
    with TestClient(create_app(sealing)) as client:
        assert (
            client.post(
                "/api/admin/tenants", json={"tenant_id": "sealed", "name": "Sealed"}, headers=admin
            ).status_code
            == 201
        )
        answer = client.put(
            "/api/admin/tenants/sealed/crm-credentials",
            json={"webhook_secret": "whsec_c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZw=="},
            headers=admin,
        )
        assert answer.status_code in (200, 204), answer.text
    sealing.close()

    server = bootstrap(
        load_settings({}, database_url=database_url, secret_key=REAL_SECRET, admin_token=REAL_TOKEN)
    )
    before = REGISTRY.get_sample_value("leadorch_tenant_secret_unreadable_total", {"tenant": "sealed"}) or 0.0
    try:
        with caplog.at_level(logging.ERROR), TestClient(create_app(server)) as client:
            response = client.post(
                "/webhooks/shopmonkey/sealed", content=b"{}", headers={"X-Request-Id": "r1"}
            )
    finally:
        server.close()

    assert response.status_code == 503
    assert "cannot be read" in response.json()["detail"]
    [line] = [r.getMessage() for r in caplog.records if "cannot be decrypted" in r.getMessage()]
    assert line.startswith("tenant sealed:")
    after = REGISTRY.get_sample_value("leadorch_tenant_secret_unreadable_total", {"tenant": "sealed"})
    assert after == before + 1
