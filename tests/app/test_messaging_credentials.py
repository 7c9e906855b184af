"""Without SendGrid/Twilio credentials the demo sends to local stand-ins and says so; a deployment refuses.

A deployment is told apart from the embedded demo default by a real LEADORCH_SECRET_KEY. Left unchecked,
such a deployment would put every email and SMS in an in-process outbox and look healthy.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from leadorch.app.bootstrap import bootstrap
from leadorch.app.cli import main
from leadorch.app.messaging import missing_messaging_settings
from leadorch.app.settings import Settings, SettingsError, load_settings

REAL_SECRET = "a-real-deployment-secret-key-0123456789"
REAL_ADMIN_TOKEN = "a-real-operator-token-0123456789"
EVERY_CREDENTIAL = "SENDGRID_API_KEY, TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN"


def settings(tmp_path: Path, **overrides: object) -> Settings:
    return load_settings({}, database_url=f"sqlite:///{tmp_path / 'events.db'}", **overrides)


def test_the_demo_default_sends_to_the_stand_ins_and_logs_one_line_saying_where(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="leadorch.app.messaging"):
        container = bootstrap(settings(tmp_path))
    try:
        standins = container.standins
        assert standins is not None
    finally:
        container.close()

    (line,) = [r for r in caplog.records if r.name == "leadorch.app.messaging"]
    assert line.levelno == logging.WARNING
    assert line.getMessage() == (
        "messages go to local stand-ins, not to customers: "
        f"email to the SendGrid stand-in's outbox at {standins.sendgrid_url} and "
        f"SMS to the Twilio stand-in's outbox at {standins.twilio_url} ({EVERY_CREDENTIAL} not set)"
    )


@pytest.mark.parametrize("command", [["serve"], ["worker", "--metrics-port", "0"]])
def test_a_deployment_without_messaging_credentials_refuses_to_start(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LEADORCH_SECRET_KEY", REAL_SECRET)
    monkeypatch.setenv("LEADORCH_ADMIN_TOKEN", REAL_ADMIN_TOKEN)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'events.db'}")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "AC" + "0" * 32)

    assert main(command) == 2

    assert capsys.readouterr().err == (
        "leadorch: error: SENDGRID_API_KEY, TWILIO_AUTH_TOKEN not set: email and SMS would go to local "
        "stand-ins and reach no customer. Set them, or set LEADORCH_ALLOW_MESSAGING_STANDINS=true to run "
        "with the stand-ins on purpose\n"
    )
    assert not (tmp_path / "events.db").exists()  # refused before anything was opened


def test_a_deployment_may_run_on_the_stand_ins_when_it_says_so_and_is_warned(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="leadorch.app.messaging"):
        container = bootstrap(
            settings(
                tmp_path,
                secret_key=REAL_SECRET,
                admin_token=REAL_ADMIN_TOKEN,
                allow_messaging_standins="true",
                sendgrid_api_key="SG.x",
            ),
            sends_messages=True,
        )
    standins = container.standins
    container.close()

    # The allowance first, then (from bootstrap, at start rather than at the first send) where SMS goes.
    assert standins is not None
    assert [r.getMessage() for r in caplog.records if r.name == "leadorch.app.messaging"] == [
        "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN not set and LEADORCH_ALLOW_MESSAGING_STANDINS=true: "
        "email and SMS go to local stand-ins, no customer receives them",
        f"messages go to local stand-ins, not to customers: SMS to the Twilio stand-in's outbox at "
        f"{standins.twilio_url} (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN not set)",
    ]


def test_a_deployment_with_every_credential_starts_without_a_word(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    complete = settings(
        tmp_path,
        secret_key=REAL_SECRET,
        admin_token=REAL_ADMIN_TOKEN,
        sendgrid_api_key="SG.x",
        twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token="t" * 32,
    )
    with caplog.at_level(logging.INFO, logger="leadorch.app.messaging"):
        bootstrap(complete, sends_messages=True).close()

    assert missing_messaging_settings(complete) == []
    assert [r for r in caplog.records if r.name == "leadorch.app.messaging"] == []


def test_the_allowance_is_a_boolean_setting_named_in_its_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="LEADORCH_ALLOW_MESSAGING_STANDINS"):
        load_settings({"LEADORCH_ALLOW_MESSAGING_STANDINS": "sometimes"})
    assert load_settings({"LEADORCH_ALLOW_MESSAGING_STANDINS": "true"}).allow_messaging_standins is True
    assert load_settings({}).allow_messaging_standins is False


def test_operator_commands_still_run_in_a_deployment_missing_messaging_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only the processes that contact customers refuse; an operator can still inspect and fix config."""
    monkeypatch.setenv("LEADORCH_SECRET_KEY", REAL_SECRET)
    monkeypatch.setenv("LEADORCH_ADMIN_TOKEN", REAL_ADMIN_TOKEN)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'events.db'}")

    assert main(["projections", "status"]) == 0

    assert "would go to local stand-ins" not in capsys.readouterr().err
