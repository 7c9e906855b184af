"""The composition root: `bootstrap()` builds every collaborator once, and each can be replaced by an argument."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from tests.support.leads import a_lead

from leadorch.adapters.offline_assistant import OfflineAssistant
from leadorch.app.bootstrap import Container, bootstrap
from leadorch.app.chat.rate_limits import ChatRateLimits
from leadorch.app.crm import shopmonkey_clients
from leadorch.app.messaging import NoMessaging
from leadorch.app.settings import load_settings
from leadorch.ports.messaging import (
    EmailMessage,
    NotAccepted,
    ProviderAnswer,
    SendReceipt,
    SmsMessage,
    Unknown,
)


class RecordingMessenger:
    """A fake of our `Messenger` port."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send_email(self, msg: EmailMessage) -> SendReceipt:
        self.sent.append(msg.to)
        return SendReceipt(provider_message_id="m-1")

    def send_sms(self, msg: SmsMessage) -> SendReceipt:
        self.sent.append(msg.to)
        return SendReceipt(provider_message_id="s-1")

    def was_sms_accepted(self, *, to: str, body: str, since: datetime) -> ProviderAnswer:
        # It keeps no bodies or times: only a number it never sent to is a sure "no".
        return Unknown(reason="not recorded") if to in self.sent else NotAccepted()


def test_the_collaborators_passed_in_are_the_ones_the_container_and_its_services_use(sqlite_url: str) -> None:
    messenger, assistant = RecordingMessenger(), OfflineAssistant()
    limits, crm = ChatRateLimits(), shopmonkey_clients("http://127.0.0.1:9")
    container = bootstrap(
        load_settings({}, database_url=sqlite_url),
        messenger=messenger,
        assistant=assistant,
        crm=crm,
        chat_rate_limits=limits,
    )
    try:
        assert container.messenger is messenger
        assert container.assistant is assistant
        assert container.crm is crm
        assert container.chat_rate_limits is limits
        assert container.ingestion.container is container
        assert container.booking.container is container
        assert container.chat.container is container
        assert container.runtime is None  # no worker here: jobs run inline
    finally:
        container.close()


def test_every_field_is_built_once_and_typed(sqlite_url: str) -> None:
    import inspect

    container = bootstrap(load_settings({}, database_url=sqlite_url))
    try:
        for name in inspect.signature(Container.__init__).parameters.keys() - {"self", "closers"}:
            assert getattr(container, name) is not None, name
        assert not hasattr(container, "extras")
    finally:
        container.close()


def test_every_save_wakes_the_projections_through_the_one_after_save_hook(sqlite_url: str) -> None:
    container = bootstrap(load_settings({}, database_url=sqlite_url))
    seen: list[int] = []
    container.store.after_save.append(lambda recordings: seen.append(len(recordings)))
    woken: list[bool] = []
    container.projections.wake = lambda: woken.append(True)  # type: ignore[method-assign]
    try:
        lead, schedule = a_lead().arrived()
        container.store.save(lead, schedule)

        assert len(seen) == 1 and seen[0] >= 2  # one call for the save, with all its recordings
        assert woken == [True]
    finally:
        container.close()


def test_a_failing_reaction_is_logged_and_the_save_stands(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    container = bootstrap(load_settings({}, database_url=sqlite_url))

    def broken(_recordings: object) -> None:
        raise RuntimeError("boom")

    container.store.after_save.insert(0, broken)
    try:
        lead = a_lead().registered()
        with caplog.at_level(logging.ERROR, logger="leadorch.app.eventstore.store"):
            container.store.save(lead)

        assert container.store.exists(lead.id)
        assert [r.getMessage() for r in caplog.records if r.name == "leadorch.app.eventstore.store"] == [
            "a reaction to saved events failed; the events are saved"
        ]
    finally:
        container.close()


def test_a_process_that_sends_nothing_starts_no_stand_in_and_refuses_a_send(sqlite_url: str) -> None:
    container = bootstrap(load_settings({}, database_url=sqlite_url), messaging=False)
    try:
        assert container.standins is None
        with pytest.raises(NoMessaging):
            container.messenger.send_sms(SmsMessage(to="+16195550100", body="hello", idempotency_key="k"))
    finally:
        container.close()
    with pytest.raises(ValueError):
        bootstrap(load_settings({}, database_url=sqlite_url), sends_messages=True, messaging=False)


def test_an_operator_command_imports_no_provider_sdk_and_no_web_stack(tmp_path: Path) -> None:
    """`leadorch projections status` is cheap to start: ten at once must not time out under load."""
    script = (
        "import sys\n"
        "from leadorch.app.cli import main\n"
        "assert main(['projections', 'status']) == 0\n"
        "heavy = ('twilio', 'sendgrid', 'litestar', 'uvicorn', 'anthropic', 'leadorch.adapters.standins')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(heavy)))\n"
    )
    env = {"PATH": os.environ["PATH"], "DATABASE_URL": f"sqlite:///{tmp_path / 'events.db'}"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
    assert "stand-in" not in done.stderr
